// Errors inside JSON conversion carry the path of the bad value, collected
// while unwinding (cheap: nothing is built unless a value is bad).

import { DataError } from '../errors.js';

export class PathError extends Error {
  /** Outermost first: ['after', '.price'] or ['items', '[3]']. */
  readonly segments: string[] = [];
}

/** Re-throws `err` (a PathError, or any Error turned into one) with `segment` put in front of its path. */
export function rethrowAt(err: unknown, segment: string): never {
  const e = err instanceof PathError ? err : new PathError(err instanceof Error ? err.message : String(err));
  e.segments.unshift(segment);
  throw e;
}

/** A DataError for the caller: `<what> at "after.price": <message>`. */
export function toDataError(err: unknown, what: string): DataError {
  if (err instanceof DataError) return err;
  if (!(err instanceof PathError)) return new DataError(`${what}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  const path = err.segments.map((s, i) => (i === 0 || s.startsWith('[') ? s : '.' + s)).join('');
  return new DataError(`${what}${path ? ` at "${path}"` : ''}: ${err.message}`, { path });
}

export function describeJson(json: unknown): string {
  if (json === null) return 'null';
  if (Array.isArray(json)) return 'array';
  return typeof json === 'object' ? 'object' : typeof json;
}
