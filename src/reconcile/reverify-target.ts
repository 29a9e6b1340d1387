import { FAMILIES } from '../common/tango/families';
import { type ResourceFamily } from '../common/tango/resource-family';
import { type RetryTarget } from '../outbox/fetch-target-outbox';

/** A low-priority fetch target that re-reads one mirrored record (re-verification, a modified-since hit). */
export function reverifyTarget(family: ResourceFamily, id: string, reason: string): RetryTarget {
  return {
    resource: family,
    recordId: id,
    idKind: FAMILIES[family].idKind,
    kind: 'record',
    reason,
    priority: 'sweep',
    sweep: null,
    attempt: 0,
    notBefore: new Date(),
  };
}
