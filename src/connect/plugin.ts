// Plugin interfaces, mirroring Kafka Connect's. Every method may return a
// promise; the runtime awaits each call before making the next one.
//
// Config handling happens before any plugin code sees a config, always in this
// order: resolve config providers → defaults → validate against
// connectorBaseConfig.merge(connector.config()) → connector.validate(config).
// Plugins receive the raw string map (resolved), as in Kafka Connect, and parse
// it with their own spec.
//
// Connector lifecycle (in the coordinator, once per config generation):
//   create() → config() → [validate(config)] → start(config, context)
//     → taskConfigs(maxTasks) → stop()
//   A connector instance lives for that one sequence: keep nothing in it that
//   a later call needs. taskConfigs returns at most maxTasks configs; each
//   becomes one task. stop() is called even if taskConfigs threw.
//
// SourceTask lifecycle (one worker invocation = one task instance):
//   createTask() → start(taskConfig, context)
//     → poll() … poll()            records or null (nothing now; polled again soon)
//         commitRecord(record, md)  once Kafka acknowledged that record (or it was filtered: md null)
//         commit()                  after the offsets of acknowledged records were stored
//     → stop()                      at the deadline, on failure, or when fenced; never during a poll
//   poll() should return within about a second; context.signal aborts when the
//   invocation must stop, so a waiting poll can return early. The next
//   invocation starts a new instance from the stored offsets
//   (context.offsetStorageReader), so a task must resume from its offset alone.
//
// SinkTask lifecycle:
//   createTask() → start(taskConfig, context) → open(partitions)
//     → put(records) … put(records)
//         preCommit(offsets) → offsets to commit (default: flush(offsets), then offsets as given)
//     → close(partitions) → stop()
//   put() may buffer; everything put before a flush/preCommit must be durable
//   when it returns. An offset is the next offset to consume (last + 1).

import type { Logger } from '../logging.js';
import type { ConfigSpec } from './config/config-def.js';
import type { ConnectRecord, SinkRecord, SourceOffset, SourcePartition, SourceRecord } from './record.js';

export type ConnectorType = 'source' | 'sink';
export type MaybePromise<T> = T | Promise<T>;
export type TaskConfig = Record<string, string>;
/** Problems a plugin's own validate() found: field name → messages. */
export type ConfigProblems = Record<string, string[]>;

export interface ConnectorContext {
  readonly connectorName: string;
  readonly logger: Logger;
}

interface ConnectorBase {
  version(): string;
  /** The connector's own config spec; merged onto connectorBaseConfig by the runtime. */
  config(): ConfigSpec<unknown>;
  /** Checks beyond the spec (reachability, combinations). Called only when the spec found no errors. */
  validate?(config: Readonly<Record<string, string>>): MaybePromise<ConfigProblems>;
  start(config: Readonly<Record<string, string>>, context: ConnectorContext): MaybePromise<void>;
  taskConfigs(maxTasks: number): MaybePromise<TaskConfig[]>;
  stop(): MaybePromise<void>;
}

export interface SourceConnector extends ConnectorBase {
  readonly type: 'source';
  createTask(): SourceTask;
}

export interface SinkConnector extends ConnectorBase {
  readonly type: 'sink';
  createTask(): SinkTask;
}

export type Connector = SourceConnector | SinkConnector;

/** Reads committed source offsets (those stored after Kafka acknowledged the records). */
export interface OffsetStorageReader {
  offset(partition: SourcePartition): Promise<SourceOffset | null>;
  /** Keyed by the partition objects passed in. */
  offsets(partitions: readonly SourcePartition[]): Promise<Map<SourcePartition, SourceOffset | null>>;
}

interface TaskContext {
  readonly connectorName: string;
  readonly taskId: number;
  readonly logger: Logger;
  /** Aborted when the invocation is stopping (deadline, fenced, failure elsewhere). */
  readonly signal: AbortSignal;
}

export interface SourceTaskContext extends TaskContext {
  readonly offsetStorageReader: OffsetStorageReader;
}

/** Where Kafka stored a produced record. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

export interface SourceTask {
  version(): string;
  start(config: Readonly<Record<string, string>>, context: SourceTaskContext): MaybePromise<void>;
  /** New records, or null (or []) when there is nothing right now. */
  poll(): Promise<SourceRecord[] | null>;
  /** Offsets up to the last acknowledged record are stored; the source may e.g. acknowledge upstream. */
  commit?(): MaybePromise<void>;
  /** One record was acknowledged by Kafka (metadata null: a transform dropped it). */
  commitRecord?(record: SourceRecord, metadata: RecordMetadata | null): MaybePromise<void>;
  stop(): MaybePromise<void>;
}

export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** A consumer position: `offset` is the next offset to consume. */
export interface TopicPartitionOffset extends TopicPartition {
  readonly offset: number;
}

/** Sends a record that failed in the task to the dead letter queue (errors.tolerance=all), or throws. */
export interface ErrantRecordReporter {
  report(record: SinkRecord, error: Error): Promise<void>;
}

export interface SinkTaskContext extends TaskContext {
  /** null when no dead letter queue is configured. */
  readonly errantRecordReporter: ErrantRecordReporter | null;
  /** Ask for a commit (flush + offsets) as soon as possible. */
  requestCommit(): void;
}

export interface SinkTask {
  version(): string;
  start(config: Readonly<Record<string, string>>, context: SinkTaskContext): MaybePromise<void>;
  open?(partitions: readonly TopicPartition[]): MaybePromise<void>;
  put(records: readonly SinkRecord[]): MaybePromise<void>;
  /** Make everything put so far durable. */
  flush?(offsets: readonly TopicPartitionOffset[]): MaybePromise<void>;
  /** The offsets safe to commit; default: flush(offsets), then offsets. */
  preCommit?(offsets: readonly TopicPartitionOffset[]): MaybePromise<readonly TopicPartitionOffset[]>;
  close?(partitions: readonly TopicPartition[]): MaybePromise<void>;
  stop(): MaybePromise<void>;
}

/** A Single Message Transform: `transforms.<alias>.type`. Returns null to drop the record. */
export interface Transformation<R extends ConnectRecord = ConnectRecord> {
  config(): ConfigSpec<unknown>;
  configure(config: Readonly<Record<string, string>>): void;
  apply(record: R): R | null;
  close?(): void;
}

/** A predicate for transforms: `predicates.<alias>.type`. */
export interface Predicate<R extends ConnectRecord = ConnectRecord> {
  config(): ConfigSpec<unknown>;
  configure(config: Readonly<Record<string, string>>): void;
  test(record: R): boolean;
  close?(): void;
}
