// The batch Lambda's Kafka event source mapping invokes the sink function with,
// parsed and checked before any of it reaches a connector.
//
// Wire format (MSK: eventSource "aws:kafka" with eventSourceArn; self-managed
// Kafka: "SelfManagedKafka", no ARN; both carry bootstrapServers):
//
//   { eventSource, eventSourceArn?, bootstrapServers: "h1:9092,h2:9092",
//     records: { "<topic>-<partition>": [
//       { topic, partition, offset, timestamp, timestampType: "CREATE_TIME" | "LOG_APPEND_TIME",
//         key?: <base64> | null, value: <base64> | null,
//         headers: [ { "<name>": [<signed byte>, …] }, … ] }, … ] } }
//
// Each partition's records arrive in offset order, and that order is kept.
// Anything else (a missing field, bytes that are not base64, a record filed
// under another partition's key, offsets going backwards) is a DataError
// naming the exact path, e.g. `records["orders-0"][3].value: not base64`:
// a batch that cannot be read must fail loudly, never be half-delivered.
import { DataError } from '../connect/errors.js';
import type { TimestampType } from '../connect/record.js';

export type KafkaEventSource = 'aws:kafka' | 'SelfManagedKafka';

/** One header as Kafka carries it: a name and raw bytes (null when the producer sent none). */
export interface RawHeader {
  readonly key: string;
  readonly value: Buffer | null;
}

/** One Kafka record of the batch, as bytes: the converters turn it into Connect data. */
export interface RawKafkaRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: TimestampType;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: readonly RawHeader[];
}

/** One partition's records, in offset order. */
export interface PartitionBatch {
  readonly topic: string;
  readonly partition: number;
  readonly records: readonly RawKafkaRecord[];
}

export interface KafkaSinkEvent {
  readonly eventSource: KafkaEventSource;
  /** The MSK cluster's ARN; absent for self-managed Kafka. */
  readonly eventSourceArn?: string;
  readonly bootstrapServers: string;
  readonly partitions: readonly PartitionBatch[];
}

const TIMESTAMP_TYPES: ReadonlySet<string> = new Set<TimestampType>(['CREATE_TIME', 'LOG_APPEND_TIME', 'NO_TIMESTAMP_TYPE']);

/**
 * A cheap guard for the handler: the event claims to come from a Kafka event
 * source mapping. parseKafkaSinkEvent checks everything else.
 */
export function isKafkaSinkEvent(event: unknown): boolean {
  if (!isObject(event)) return false;
  return (event.eventSource === 'aws:kafka' || event.eventSource === 'SelfManagedKafka') && isObject(event.records);
}

/** The batch, or a DataError naming the first path that is wrong. */
export function parseKafkaSinkEvent(event: unknown): KafkaSinkEvent {
  if (!isObject(event)) fail('event', `not an object: ${describe(event)}`);
  const eventSource = event.eventSource;
  if (eventSource !== 'aws:kafka' && eventSource !== 'SelfManagedKafka') fail('eventSource', `expected "aws:kafka" or "SelfManagedKafka", got ${describe(eventSource)}`);
  let eventSourceArn: string | undefined;
  if (eventSource === 'aws:kafka') {
    if (typeof event.eventSourceArn !== 'string' || !event.eventSourceArn.startsWith('arn:')) fail('eventSourceArn', `expected the MSK cluster's ARN, got ${describe(event.eventSourceArn)}`);
    eventSourceArn = event.eventSourceArn;
  }
  if (typeof event.bootstrapServers !== 'string') fail('bootstrapServers', `expected a string, got ${describe(event.bootstrapServers)}`);
  if (!isObject(event.records)) fail('records', `expected an object keyed "<topic>-<partition>", got ${describe(event.records)}`);

  const partitions: PartitionBatch[] = [];
  for (const batchKey of Object.keys(event.records)) {
    const path = `records[${JSON.stringify(batchKey)}]`;
    const list = event.records[batchKey];
    if (!Array.isArray(list)) fail(path, `expected an array of records, got ${describe(list)}`);
    const records: RawKafkaRecord[] = [];
    for (let i = 0; i < list.length; i++) {
      // Paths are spelled out only for an error: this runs for every record of every batch.
      const record = parseRecord(list[i], path, i);
      const previous = records[records.length - 1];
      if (previous ? record.topic !== previous.topic || record.partition !== previous.partition : `${record.topic}-${record.partition}` !== batchKey) fail(`${path}[${i}]`, `topic ${JSON.stringify(record.topic)} partition ${record.partition} filed under another partition's key`);
      if (previous && record.offset <= previous.offset) fail(`${path}[${i}].offset`, `${record.offset} does not follow ${previous.offset}`);
      records.push(record);
    }
    if (records.length > 0) partitions.push({ topic: records[0]!.topic, partition: records[0]!.partition, records });
  }
  return { eventSource, ...(eventSourceArn === undefined ? {} : { eventSourceArn }), bootstrapServers: event.bootstrapServers, partitions };
}

function parseRecord(raw: unknown, batchPath: string, i: number): RawKafkaRecord {
  const path = new RecordPath(batchPath, i);
  if (!isObject(raw)) fail(path.at(), `not an object: ${describe(raw)}`);
  const { topic, partition, offset, timestamp, timestampType } = raw;
  if (typeof topic !== 'string' || topic === '') fail(path.at('.topic'), `expected a topic name, got ${describe(topic)}`);
  if (!isNonNegativeInteger(partition)) fail(path.at('.partition'), `expected a partition number, got ${describe(partition)}`);
  if (!isNonNegativeInteger(offset)) fail(path.at('.offset'), `expected an offset, got ${describe(offset)}`);
  // -1: the producer sent none (NO_TIMESTAMP_TYPE).
  if (!Number.isSafeInteger(timestamp) || (timestamp as number) < -1) fail(path.at('.timestamp'), `expected epoch milliseconds, got ${describe(timestamp)}`);
  if (typeof timestampType !== 'string' || !TIMESTAMP_TYPES.has(timestampType)) fail(path.at('.timestampType'), `expected CREATE_TIME or LOG_APPEND_TIME, got ${describe(timestampType)}`);
  return {
    topic,
    partition: partition as number,
    offset: offset as number,
    timestamp: timestamp as number,
    timestampType: timestampType as TimestampType,
    key: bytesOf(raw.key, path, '.key'),
    value: bytesOf(raw.value, path, '.value'),
    headers: raw.headers === undefined || raw.headers === null || (Array.isArray(raw.headers) && raw.headers.length === 0) ? [] : headersOf(raw.headers, path.at('.headers')),
  };
}

/** `records["<topic>-<partition>"][i]<suffix>`, built when an error needs it. */
class RecordPath {
  constructor(
    readonly batchPath: string,
    readonly index: number,
  ) {}

  at(suffix = ''): string {
    return `${this.batchPath}[${this.index}]${suffix}`;
  }
}

/** base64 → bytes; absent or null → null (a null key, a tombstone's value). */
function bytesOf(raw: unknown, record: RecordPath, field: string): Buffer | null {
  if (raw === undefined || raw === null) return null;
  if (typeof raw !== 'string') fail(record.at(field), `expected base64 or null, got ${describe(raw)}`);
  // Node's decoder skips characters outside the alphabet and stops at a `=`, so
  // a length that is not what the text's length promises means the text was
  // not base64; what that cannot see is the URL-safe alphabet's `-` and `_`,
  // which Node also decodes. Cheaper than a regular expression over every value.
  const bytes = Buffer.from(raw, 'base64');
  const padding = raw.endsWith('==') ? 2 : raw.endsWith('=') ? 1 : 0;
  if (raw.length % 4 !== 0 || bytes.length !== (raw.length / 4) * 3 - padding || raw.includes('-') || raw.includes('_')) fail(record.at(field), 'not base64');
  return bytes;
}

/** `[{"name": [signed bytes]}, …]` → `[{key, value}]`, in order; absent → none. */
function headersOf(raw: unknown, path: string): RawHeader[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) fail(path, `expected an array, got ${describe(raw)}`);
  const headers: RawHeader[] = [];
  for (let i = 0; i < raw.length; i++) {
    const entry: unknown = raw[i];
    if (!isObject(entry)) fail(`${path}[${i}]`, `expected {"<name>": [bytes]}, got ${describe(entry)}`);
    for (const name of Object.keys(entry)) {
      const bytes = entry[name];
      const at = `${path}[${i}][${JSON.stringify(name)}]`;
      if (bytes === null) {
        headers.push({ key: name, value: null });
        continue;
      }
      if (!Array.isArray(bytes)) fail(at, `expected an array of bytes, got ${describe(bytes)}`);
      const buf = Buffer.alloc(bytes.length);
      for (let j = 0; j < bytes.length; j++) {
        const b: unknown = bytes[j];
        // Java's signed bytes (-128..127); 128..255 accepted as the same bytes.
        if (!Number.isInteger(b) || (b as number) < -128 || (b as number) > 255) fail(`${at}[${j}]`, `not a byte: ${describe(b)}`);
        buf[j] = (b as number) & 0xff;
      }
      headers.push({ key: name, value: buf });
    }
  }
  return headers;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isNonNegativeInteger(v: unknown): boolean {
  return Number.isSafeInteger(v) && (v as number) >= 0;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return 'an array';
  if (v === null || typeof v !== 'object') {
    const text = typeof v === 'string' ? JSON.stringify(v) : String(v);
    return text.length > 60 ? `${text.slice(0, 57)}...` : text;
  }
  return 'an object';
}

function fail(path: string, message: string): never {
  throw new DataError(`${path}: ${message}`, { path });
}

/** The topics of a batch, read from its "<topic>-<partition>" keys without parsing the records. */
export function topicsOfBatch(event: unknown): string[] {
  if (!isObject(event) || !isObject(event.records)) return [];
  const topics = new Set<string>();
  for (const key of Object.keys(event.records)) {
    const dash = key.lastIndexOf('-');
    if (dash > 0) topics.add(key.slice(0, dash));
  }
  return [...topics];
}
