/**
 * The resources tango-sync can mirror, as the rest of the worker imports them. Their home is
 * `src/tango-contract/resource-names.ts`, below the configuration (which checks TANGO_RESOURCES against them).
 */
export * from '../../tango-contract/resource-names';
