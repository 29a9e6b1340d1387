import {
  type ContractExpand,
  type ObservedType,
  type ResourceContract,
} from '../tango-contract/tango-contract';

/**
 * What one path of a family's shape becomes in the analyst view: a typed `scalar`, a Tango code object (`code`:
 * its code and its description), or one `jsonb` column (a list, an object that is not expanded into scalar paths,
 * an expand with `*` children).
 */
export type PathKind = 'scalar' | 'code' | 'jsonb';

export interface ContractPath {
  /** Dotted path into the record (`recipient.uei`). */
  readonly path: string;
  readonly kind: PathKind;
  /** The type Tango's SDK maintainers observed at the path, when they did. */
  readonly observed: ObservedType | undefined;
}

/** Every path of the resource's whole shape (each field, each expand and its children), in a stable order. */
export function contractPaths(resource: ResourceContract): ContractPath[] {
  return childPaths(resource, '', resource.fields, resource.expands);
}

function childPaths(
  resource: ResourceContract,
  prefix: string,
  fields: ReadonlySet<string>,
  expands: ReadonlyMap<string, ContractExpand>,
): ContractPath[] {
  const names = [...new Set([...fields, ...expands.keys()])].filter((name) => name !== '*').sort();
  return names.flatMap((name) => {
    const path = `${prefix}${name}`;
    const expand = expands.get(name);
    return expand === undefined ? [fieldPath(resource, path)] : expandPaths(resource, path, expand);
  });
}

function fieldPath(resource: ResourceContract, path: string): ContractPath {
  const observed = resource.observedType(path);
  return { path, kind: kindOfObserved(observed), observed };
}

/** A plain field's kind: what Tango was seen to return there; unknown is a scalar (a text column). */
export function kindOfObserved(observed: ObservedType | undefined): PathKind {
  if (observed === undefined) {
    return 'scalar';
  }
  if (observed.isList || observed.kind === 'object') {
    return 'jsonb';
  }
  return observed.kind === 'code_object' ? 'code' : 'scalar';
}

function expandPaths(resource: ResourceContract, path: string, expand: ContractExpand): ContractPath[] {
  const observed = resource.observedType(path);
  if (observed?.kind === 'code_object' && !observed.isList) {
    return [{ path, kind: 'code', observed }];
  }
  const opaque = expand.fields.has('*') || (expand.fields.size === 0 && expand.expands.size === 0);
  if (observed?.isList === true || opaque) {
    return [{ path, kind: 'jsonb', observed }];
  }
  return childPaths(resource, `${path}.`, expand.fields, expand.expands);
}
