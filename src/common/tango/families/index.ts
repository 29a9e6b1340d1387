/**
 * The family descriptors, the one home of what a family is, and the helpers that read them: record ids, legacy
 * event naming, event types, follow-ups and subject ids.
 */
export * from './event-types';
export * from './family-descriptor';
export * from './follow-ups';
export * from './legacy-events';
export * from './record-id';
export * from './registry';
export * from './subject-ids';
