// Records as Kafka Connect defines them. A SourceRecord carries where it came
// from (sourcePartition → sourceOffset); the runtime stores that offset only
// after Kafka acknowledged the record. A SinkRecord carries where it sits in
// Kafka (topic, partition, offset).
//
// Records are plain readonly objects: an SMT derives a new one with a spread,
// `{ ...record, value: newValue }`, and never mutates the one it was given.

import type { Schema } from './data/schema.js';

/** One header; a record's headers are an ordered list and a key may repeat. */
export interface Header {
  readonly key: string;
  readonly schema?: Schema | null;
  readonly value: unknown;
}

export type Headers = readonly Header[];

export interface ConnectRecord {
  readonly topic: string;
  /** null/undefined: let the producer's partitioner choose. */
  readonly kafkaPartition?: number | null;
  readonly keySchema?: Schema | null;
  readonly key: unknown;
  readonly valueSchema?: Schema | null;
  readonly value: unknown;
  /** Epoch milliseconds. */
  readonly timestamp?: number | null;
  readonly headers: Headers;
}

/** Identifies a stream in the source system, e.g. `{ server: 'inventory' }` or `{ filename: '/data/in.txt' }`. */
export type SourcePartition = Readonly<Record<string, unknown>>;
/** A position in that stream, e.g. `{ file: 'binlog.000003', pos: 1234 }` or `{ position: 5120 }`. */
export type SourceOffset = Readonly<Record<string, unknown>>;

export interface SourceRecord extends ConnectRecord {
  readonly sourcePartition: SourcePartition;
  readonly sourceOffset: SourceOffset;
}

export type TimestampType = 'NO_TIMESTAMP_TYPE' | 'CREATE_TIME' | 'LOG_APPEND_TIME';

export interface SinkRecord extends ConnectRecord {
  readonly kafkaPartition: number;
  readonly kafkaOffset: number;
  readonly timestampType: TimestampType;
}

type Init<R extends ConnectRecord> = Omit<R, 'headers'> & { headers?: Headers };

/** A SourceRecord with `headers` defaulting to none. */
export function sourceRecord(init: Init<SourceRecord>): SourceRecord {
  return { ...init, headers: init.headers ?? [] };
}

/** A SinkRecord with `headers` defaulting to none. */
export function sinkRecord(init: Init<SinkRecord>): SinkRecord {
  return { ...init, headers: init.headers ?? [] };
}

/** The last header with `key`, as ConnectHeaders.lastWithName. */
export function lastHeader(headers: Headers, key: string): Header | undefined {
  for (let i = headers.length - 1; i >= 0; i--) if (headers[i]!.key === key) return headers[i];
  return undefined;
}

/** The headers without any named `key`. */
export function withoutHeader(headers: Headers, key: string): Header[] {
  return headers.filter((h) => h.key !== key);
}

/**
 * A stable string for a source partition: JSON with keys sorted at every level,
 * so `{a:1,b:2}` and `{b:2,a:1}` name the same stored offset.
 */
export function sourcePartitionKey(partition: SourcePartition): string {
  return JSON.stringify(sortKeys(partition));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  if (typeof v === 'bigint') return v.toString();
  return v;
}
