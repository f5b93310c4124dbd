// The MySQL/MariaDB CDC connector's source partition and offset, in Debezium's
// shape plus Slipway's resumable-snapshot progress. Changing a key name needs a
// migration in loadOffset(): stored offsets outlive every deploy.
//
// Partition  {"server": "<topic.prefix>"}
// Streaming  {file, pos, gtids?, event?, row?, ts_sec, server_id?}
//   file/pos  where a restart begins reading: after the last complete transaction,
//             or the start of the transaction the record belongs to
//   gtids     the GTID position (MariaDB 'D-S-N,…') matching file/pos; when present
//             a restart asks the server for the transactions after it
//   event,row in the first transaction after file/pos, skip `event` row events and
//             then `row` rows of the next one: they were already sent (Debezium's
//             meaning, counting row events only)
// Snapshot   the same keys (file/pos = the binlog position recorded at the snapshot's
//            start) plus snapshot: true and
//   snapshot_binlog_file/pos/gtids   that position again, explicitly
//   snapshot_table     'db.table' being read (null: no table started)
//   snapshot_last_key  JSON array of the primary key values of the last row done in
//                      it (null: table started from its beginning, or no primary key)
//   snapshot_completed false while the snapshot runs; the last snapshot record carries
//                      a streaming offset with snapshot_completed: true
//   snapshot_token     the task config's snapshot token (snapshot.mode=always)
//
// loadOffset() also reads Debezium's own offsets (a connector moved over from
// Kafka Connect): numbers written as strings, a snapshot offset without
// Slipway's progress (the snapshot then starts again at that position), and
// absent optional keys.

import { ConnectError } from '../../connect/errors.js';
import type { SourceOffset, SourcePartition } from '../../connect/record.js';

export interface BinlogPosition {
  readonly file: string;
  readonly pos: number;
  /** The GTID position at file/pos, when the server has one; '' on a server with no transaction yet. */
  readonly gtids?: string | null;
}

export interface SnapshotProgress {
  /** Recorded when the snapshot started; streaming begins here afterwards. */
  readonly binlog: BinlogPosition;
  /** 'db.table' being read; null before the first table. */
  readonly table: string | null;
  /** Primary key values of the last row done in `table`; null: read `table` from its beginning. */
  readonly lastKey: readonly KeyValue[] | null;
  readonly token: string | null;
}

export interface StreamingPosition extends BinlogPosition {
  /** Row events of the first transaction after file/pos already sent. */
  readonly event: number;
  /** Rows of the next row event already sent. */
  readonly row: number;
}

export type LoadedOffset =
  | { readonly kind: 'snapshot'; readonly progress: SnapshotProgress }
  | { readonly kind: 'streaming'; readonly position: StreamingPosition; readonly token: string | null };

/** A primary key value as mysql2 returns it (dates and big numbers as strings, binary as Buffer). */
export type KeyValue = string | number | boolean | Buffer | null;

export function sourcePartitionOf(topicPrefix: string): SourcePartition {
  return { server: topicPrefix };
}

/** The streaming offset of a record: where a restart begins, and what it then skips. */
export function streamingOffset(position: StreamingPosition, tsSec: number, serverId: number | null, token: string | null): SourceOffset {
  const o: Record<string, unknown> = { file: position.file, pos: position.pos };
  if (position.gtids != null) o.gtids = position.gtids;
  if (position.event > 0) o.event = position.event;
  if (position.row > 0) o.row = position.row;
  o.ts_sec = tsSec;
  if (serverId !== null) o.server_id = serverId;
  if (token !== null) o.snapshot_token = token;
  return o;
}

/** The offset of a snapshot record: the snapshot's binlog position and how far it got. */
export function snapshotOffset(progress: SnapshotProgress, tsSec: number): SourceOffset {
  const { binlog } = progress;
  const o: Record<string, unknown> = { file: binlog.file, pos: binlog.pos };
  if (binlog.gtids != null) o.gtids = binlog.gtids;
  o.ts_sec = tsSec;
  o.snapshot = true;
  o.snapshot_binlog_file = binlog.file;
  o.snapshot_binlog_pos = binlog.pos;
  if (binlog.gtids != null) o.snapshot_binlog_gtids = binlog.gtids;
  o.snapshot_table = progress.table;
  o.snapshot_last_key = progress.lastKey === null ? null : encodeKey(progress.lastKey);
  o.snapshot_completed = false;
  if (progress.token !== null) o.snapshot_token = progress.token;
  return o;
}

/** The offset of the snapshot's last record: streaming starts at the snapshot's position. */
export function snapshotCompletedOffset(binlog: BinlogPosition, tsSec: number, token: string | null): SourceOffset {
  return { ...streamingOffset({ ...binlog, event: 0, row: 0 }, tsSec, null, token), snapshot_completed: true };
}

/** Primary key values as JSON text; a Buffer becomes {"base64": "…"}. */
export function encodeKey(values: readonly KeyValue[]): string {
  return JSON.stringify(values.map((v) => (Buffer.isBuffer(v) ? { base64: v.toString('base64') } : v)));
}

export function decodeKey(text: string): KeyValue[] {
  const parsed: unknown = JSON.parse(text);
  if (!Array.isArray(parsed)) throw new Error('not a JSON array');
  return parsed.map((v: unknown) => {
    if (v !== null && typeof v === 'object') {
      const b64 = (v as { base64?: unknown }).base64;
      if (typeof b64 !== 'string') throw new Error(`unknown key value ${JSON.stringify(v)}`);
      return Buffer.from(b64, 'base64');
    }
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return v;
    throw new Error(`unknown key value ${JSON.stringify(v)}`);
  });
}

/**
 * The stored offset, or null when none is stored. Throws a ConnectError naming
 * the fix when what is stored cannot be a binlog position at all.
 */
export function loadOffset(stored: SourceOffset | null | undefined): LoadedOffset | null {
  if (stored === null || stored === undefined) return null;
  const unreadable = (why: string) =>
    new ConnectError(`The stored offset ${JSON.stringify(stored)} is not a MySQL/MariaDB binlog position (${why}); reset the connector's offsets (slipway offsets --reset) to start again with a snapshot`, {
      code: 'CONFIG_INVALID',
    });
  const token = stringOrNull(stored.snapshot_token);
  const snapshotRunning = isTrue(stored.snapshot) && !isTrue(stored.snapshot_completed);
  const file = stringOrNull(snapshotRunning ? (stored.snapshot_binlog_file ?? stored.file) : stored.file);
  const pos = intOrNull(snapshotRunning ? (stored.snapshot_binlog_pos ?? stored.pos) : stored.pos);
  if (file === null || file === '') throw unreadable('no binlog file name');
  if (pos === null || pos < 0) throw unreadable('no binlog position');
  const gtids = stringOrNull(snapshotRunning ? (stored.snapshot_binlog_gtids ?? stored.gtids) : stored.gtids);
  const binlog: BinlogPosition = { file, pos, gtids };
  if (snapshotRunning) {
    let lastKey: KeyValue[] | null = null;
    const rawKey = stored.snapshot_last_key;
    if (typeof rawKey === 'string' && rawKey !== '') {
      try {
        lastKey = decodeKey(rawKey);
      } catch (err) {
        throw unreadable(`snapshot_last_key: ${(err as Error).message}`);
      }
    }
    const table = stringOrNull(stored.snapshot_table);
    return { kind: 'snapshot', progress: { binlog, table, lastKey: table === null ? null : lastKey, token } };
  }
  return { kind: 'streaming', position: { ...binlog, event: intOrNull(stored.event) ?? 0, row: intOrNull(stored.row) ?? 0 }, token };
}

/**
 * Orders two binlog positions of one server: by the file's sequence number
 * (binlog.000012), then the position. Files without a number compare by name.
 */
export function compareBinlogPositions(a: BinlogPosition, b: BinlogPosition): number {
  const fa = fileSequence(a.file);
  const fb = fileSequence(b.file);
  if (fa !== fb) return fa !== null && fb !== null ? fa - fb : a.file < b.file ? -1 : 1;
  return a.pos - b.pos;
}

function fileSequence(file: string): number | null {
  const m = /\.(\d+)$/.exec(file);
  return m ? Number(m[1]) : null;
}

function isTrue(v: unknown): boolean {
  if (typeof v === 'string') return v !== '' && v.toLowerCase() !== 'false';
  return v === true;
}

function stringOrNull(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

function intOrNull(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isInteger(n) ? n : null;
}
