// Keys of the single DynamoDB table (design.md "DynamoDB: one table").
//
// Every item of a connector shares its partition key, so one Query reads a
// connector's tasks or offsets and a delete can sweep them all.
//
// PK                  SK                          attributes
// ------------------  --------------------------  ---------------------------------------------
// connector#<name>    config                      name S, config M{S}, targetState S,
//                                                 generation N, epoch N, taskCount N,
//                                                 tasksGeneration N,
//                                                 status M{state S, trace S?, workerId S?},
//                                                 createdAt N, updatedAt N
// connector#<name>    task#<id>                   connector S, task N, config M{S}, generation N,
//                                                 state S, workerId S?, trace S?, restartCount N,
//                                                 nextRestartAt N?, launchBy S?, launchAt N?,
//                                                 leaseOwner S?, leaseEpoch N?, leaseExpiresAt N?,
//                                                 updatedAt N
// connector#<name>    offset#<canonical JSON>     partition S (canonical JSON), offset S (JSON,
//                     or offset#sha256:<hex>      "null" when cleared), epoch N, updatedAt N
//
// - Times are epoch milliseconds from the store's clock.
// - Configs are maps of strings (M of S): Kafka Connect configs are string maps,
//   and an M keeps each key readable in the console and `aws dynamodb get-item`.
// - Offsets and partitions are JSON strings: a source offset is any JSON value
//   (nested maps, arrays, null, large numbers), which a JSON string stores
//   exactly and a DynamoDB M would not without a type mapping of its own.
// - `epoch` on the config item is the fencing counter: each lease acquisition
//   ADDs 1 to it. A connector starts its counter at the clock's time of creation
//   rather than 0, so that after a delete and re-create under the same name the
//   new epochs still exceed any a zombie of the old connector holds.
// - A lease is flat attributes (leaseOwner, leaseEpoch, leaseExpiresAt), absent
//   when no invocation holds the task. It is NOT named `expiresAt`: template.yaml
//   declares that attribute as the table's TTL (epoch seconds), meant only for
//   items that may disappear.
// - `launch*` is a coordinator's claim that it invoked a worker for the task;
//   acquiring the lease clears it.
// - Task ids in the sort key are not zero-padded (`task#10` sorts before
//   `task#2`); readers sort by the numeric `task` attribute.
// - An offset's sort key is its source partition map as canonical JSON (keys
//   sorted at every level), so one partition always maps to one item; when that
//   would pass DynamoDB's 1024-byte sort-key limit it is the SHA-256 of it
//   instead. A partition is a JSON object, so `offset#{` and `offset#sha256:`
//   never collide. Readers take the partition from the item, never the key.
//
// Changing any prefix, separator or the canonical form needs a migration:
// items already written under the old keys would no longer be found.
import { createHash } from 'node:crypto';

export const CONNECTOR_PK_PREFIX = 'connector#';
export const CONFIG_SK = 'config';
export const TASK_SK_PREFIX = 'task#';
export const OFFSET_SK_PREFIX = 'offset#';
export const OFFSET_HASH_PREFIX = 'sha256:';

/** DynamoDB's limit on a sort key's UTF-8 length. */
export const MAX_SORT_KEY_BYTES = 1024;

export interface ItemKey {
  PK: string;
  SK: string;
}

export function connectorPk(name: string): string {
  return CONNECTOR_PK_PREFIX + name;
}

export function configKey(name: string): ItemKey {
  return { PK: connectorPk(name), SK: CONFIG_SK };
}

export function taskKey(name: string, task: number): ItemKey {
  if (!Number.isSafeInteger(task) || task < 0) throw new RangeError(`task id must be a non-negative integer, got ${task}`);
  return { PK: connectorPk(name), SK: TASK_SK_PREFIX + task };
}

export function offsetKey(name: string, partition: Record<string, unknown>): ItemKey {
  return { PK: connectorPk(name), SK: offsetSortKey(partition) };
}

export function offsetSortKey(partition: Record<string, unknown>): string {
  const canonical = canonicalJson(partition);
  const sk = OFFSET_SK_PREFIX + canonical;
  if (Buffer.byteLength(sk, 'utf8') <= MAX_SORT_KEY_BYTES) return sk;
  return OFFSET_SK_PREFIX + OFFSET_HASH_PREFIX + createHash('sha256').update(canonical, 'utf8').digest('hex');
}

/**
 * JSON with object keys sorted (by UTF-16 code units) at every level, so equal
 * maps give equal strings whatever order their keys were inserted in.
 * Otherwise as JSON.stringify: toJSON is honoured, undefined members dropped.
 */
export function canonicalJson(value: unknown): string {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalJson((value as { toJSON: () => unknown }).toJSON());
  }
  if (Array.isArray(value)) {
    return `[${value.map((v) => (isOmitted(v) ? 'null' : canonicalJson(v))).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const members = Object.keys(obj)
      .filter((k) => !isOmitted(obj[k]))
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function isOmitted(v: unknown): boolean {
  return v === undefined || typeof v === 'function' || typeof v === 'symbol';
}
