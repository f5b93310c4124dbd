// The one place that decides what a failure in a record's processing does:
// retry it, tolerate it (skip the record, log it, send it to the dead letter
// queue) or fail the task. Kafka Connect's RetryWithToleranceOperator, with its
// LogReporter and DeadLetterQueueReporter, for both paths.
//
// Kafka Connect's semantics, kept:
// - A retriable error is retried with exponential backoff (300 ms, doubling,
//   capped by errors.retry.delay.max.ms) for up to errors.retry.timeout ms
//   (0: never retried, -1: forever).
// - Then a failure in a converter or a transform is tolerated with
//   errors.tolerance=all, and fails the task with none. A failure in put is
//   never tolerated here (a task reports its bad records itself, through the
//   errantRecordReporter: report()).
// - A tolerated record goes to errors.deadletterqueue.topic.name when one is
//   set, with the `__connect.errors.*` context headers when
//   errors.deadletterqueue.context.headers.enable; errors.log.enable logs
//   every failure (the record's key and value only with
//   errors.log.include.messages).
//
// What a serverless invocation changes:
// - Retries also end with the invocation's time (deadline). If the error is
//   still retriable then, a RetriableError is thrown: the batch is delivered
//   again (sinks) rather than skipped or failed before errors.retry.timeout
//   is spent. The retry clock starts again with that invocation.
// - A retriable error from put with errors.retry.timeout=0 is rethrown as it
//   is, so the event source mapping delivers the batch again, as Kafka
//   Connect's WorkerSinkTask redelivers a batch on a RetriableException.
//   With a timeout, the task fails once the timeout is spent.
// - Sources get the dead letter queue too (Kafka Connect has none for sources;
//   users ask for one). A source record has no Kafka topic, partition and
//   offset of its own: its DLQ record carries the topic it was for, and its
//   source partition and offset as `__connect.errors.source.partition` and
//   `__connect.errors.source.offset` (JSON).
//
// The DLQ record: the original key, value and headers as consumed (sinks) or
// as the connector's converters make them (sources), plus the context
// headers. Every report waits for Kafka's acknowledgement (acks=all), so a
// batch whose bad records are reported is never committed before they are
// durable in the DLQ. Header values are UTF-8 strings, as Kafka writes them.
import type { IHeaders, Producer } from 'kafkajs';
import { ConfigSpec } from '../connect/config/config-def.js';
import { connectorBaseConfig } from '../connect/config/connector-config.js';
import { JsonConverter } from '../connect/converters/index.js';
import { ConnectError, DataError, RetriableError, isRetriable } from '../connect/errors.js';
import type { SourceOffset, SourcePartition } from '../connect/record.js';
import type { PluginRegistry } from '../connect/registry.js';
import { TransformError } from '../connect/transforms/chain.js';
import type { TopicCreator } from '../kafka/topics.js';
import type { Logger } from '../logging.js';

/** Kafka Connect's Stage: what was running when a record failed. */
export type Stage = 'KEY_CONVERTER' | 'VALUE_CONVERTER' | 'HEADER_CONVERTER' | 'TRANSFORMATION' | 'TASK_PUT' | 'TASK_POLL' | 'KAFKA_PRODUCE' | 'KAFKA_CONSUME';

/** Failures in these stages may be tolerated (errors.tolerance=all), whatever the error; in any other, never. */
const TOLERABLE_STAGES: ReadonlySet<Stage> = new Set<Stage>(['KEY_CONVERTER', 'VALUE_CONVERTER', 'HEADER_CONVERTER', 'TRANSFORMATION']);

const STAGE_VERB: Record<Stage, string> = {
  KEY_CONVERTER: 'Converting the key of',
  VALUE_CONVERTER: 'Converting the value of',
  HEADER_CONVERTER: 'Converting the headers of',
  TRANSFORMATION: 'Transforming',
  TASK_PUT: 'Putting',
  TASK_POLL: 'Polling',
  KAFKA_PRODUCE: 'Producing',
  KAFKA_CONSUME: 'Consuming',
};

/** Kafka Connect's DLQ context header names (DeadLetterQueueReporter). */
export const DLQ_HEADERS = {
  topic: '__connect.errors.topic',
  partition: '__connect.errors.partition',
  offset: '__connect.errors.offset',
  connectorName: '__connect.errors.connector.name',
  taskId: '__connect.errors.task.id',
  stage: '__connect.errors.stage',
  className: '__connect.errors.class.name',
  exceptionClassName: '__connect.errors.exception.class.name',
  exceptionMessage: '__connect.errors.exception.message',
  exceptionStacktrace: '__connect.errors.exception.stacktrace',
  // Slipway's, for source records (no Kafka offset of their own).
  sourcePartition: '__connect.errors.source.partition',
  sourceOffset: '__connect.errors.source.offset',
} as const;

/** Kafka's RETRIES_DELAY_MIN_MS: the first backoff. */
const RETRY_DELAY_MIN_MS = 300;
/** Where a logged key or value is cut. */
const LOGGED_BYTES = 1024;

export interface ErrorHandlingConfig {
  tolerance: 'none' | 'all';
  /** errors.retry.timeout: 0 no retries, -1 forever. */
  retryTimeoutMs: number;
  retryDelayMaxMs: number;
  logEnable: boolean;
  logIncludeMessages: boolean;
  /** Empty: no dead letter queue. */
  dlqTopic: string;
  dlqReplicationFactor: number;
  dlqContextHeaders: boolean;
}

const KEYS = [
  'errors.tolerance',
  'errors.retry.timeout',
  'errors.retry.delay.max.ms',
  'errors.log.enable',
  'errors.log.include.messages',
  'errors.deadletterqueue.topic.name',
  'errors.deadletterqueue.topic.replication.factor',
  'errors.deadletterqueue.context.headers.enable',
] as const;

/** Only the errors.* keys of the base config, so parsing them never trips over the rest. */
const errorsSpec = new ConfigSpec(KEYS.map((k) => connectorBaseConfig.get(k)!));

/** The errors.* settings of a (resolved) connector config, Kafka's defaults for those absent; ConfigError naming the key otherwise. */
export function errorHandlingConfig(config: Readonly<Record<string, string>>): ErrorHandlingConfig {
  const v = errorsSpec.parse(config);
  return {
    tolerance: String(v['errors.tolerance']).toLowerCase() === 'all' ? 'all' : 'none',
    retryTimeoutMs: v['errors.retry.timeout'] as number,
    retryDelayMaxMs: v['errors.retry.delay.max.ms'] as number,
    logEnable: v['errors.log.enable'] as boolean,
    logIncludeMessages: v['errors.log.include.messages'] as boolean,
    dlqTopic: String(v['errors.deadletterqueue.topic.name'] ?? '').trim(),
    dlqReplicationFactor: v['errors.deadletterqueue.topic.replication.factor'] as number,
    dlqContextHeaders: v['errors.deadletterqueue.context.headers.enable'] as boolean,
  };
}

/** A record as bytes: what a DLQ record holds. */
export interface RecordBytes {
  key: Buffer | null;
  value: Buffer | null;
  headers: ReadonlyArray<{ key: string; value: Buffer | string | null }>;
}

/** The record that failed: where it is, and (lazily: only a failure pays for it) its bytes. */
export interface FailedRecord {
  /** The Kafka topic it was consumed from (sinks) or was meant for (sources). */
  topic: string;
  /** Sinks: where it was consumed. Sources: none. */
  partition?: number;
  offset?: number;
  /** Sources: where it came from. */
  sourcePartition?: SourcePartition;
  sourceOffset?: SourceOffset;
  bytes(): RecordBytes;
}

export interface ErrorContext {
  stage: Stage;
  /** The class that was running: the converter's, the transform's (taken from a TransformError), the connector's. */
  className: string;
  record: FailedRecord;
}

/** What execute() returns for a record whose failure was tolerated: skip it. */
export const TOLERATED: unique symbol = Symbol('tolerated');
export type Tolerated = typeof TOLERATED;

export interface ErrorHandlerDeps {
  connector: string;
  task: number;
  logger: Logger;
  clock: () => number;
  /** When retries must end: the invocation's deadline (epoch ms). */
  deadline: () => number;
  /** Secret-free text: resolved secret values masked. */
  scrub: (text: string) => string;
  /** Null without errors.deadletterqueue.topic.name. */
  dlq: DeadLetterQueueReporter | null;
  sleep?: (ms: number) => Promise<void>;
}

export class RetryWithToleranceOperator {
  readonly #sleep: (ms: number) => Promise<void>;
  /** Failures tolerated by this operator (reported or skipped). */
  tolerated = 0;

  constructor(
    readonly config: ErrorHandlingConfig,
    private readonly deps: ErrorHandlerDeps,
  ) {
    this.#sleep = deps.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  /**
   * `op`'s value at once when it succeeds (no promise on the hot path);
   * otherwise a promise of the value of a retry, or TOLERATED (reported:
   * skip the record), or a rejection that fails the task. For synchronous
   * operations (converters, transforms).
   */
  execute<T>(context: () => ErrorContext, op: () => T): T | Promise<T | Tolerated> {
    try {
      return op();
    } catch (err) {
      return this.#recover(err, context(), op);
    }
  }

  /** execute() for an asynchronous operation (put). */
  async executeAsync<T>(context: () => ErrorContext, op: () => Promise<T>): Promise<T | Tolerated> {
    try {
      return await op();
    } catch (err) {
      return this.#recover(err, context(), op);
    }
  }

  /**
   * A record the task could not handle (errantRecordReporter.report, stage
   * TASK_PUT): with errors.tolerance=all it is sent to the DLQ and logged;
   * with none this throws, and the task fails.
   */
  async report(context: ErrorContext, error: unknown): Promise<void> {
    if (this.config.tolerance !== 'all') {
      this.#log(context, error);
      throw this.#failure(context, error);
    }
    await this.#tolerate(context, error);
  }

  async #recover<T>(first: unknown, context: ErrorContext, op: () => T | Promise<T>): Promise<T | Tolerated> {
    let err = first;
    const { retryTimeoutMs, retryDelayMaxMs } = this.config;
    const start = this.deps.clock();
    let cutShort = false;
    for (let attempt = 1; isRetriable(err) && retryTimeoutMs !== 0; attempt++) {
      const now = this.deps.clock();
      const retryUntil = retryTimeoutMs < 0 ? Infinity : start + retryTimeoutMs;
      const until = Math.min(retryUntil, this.deps.deadline());
      if (now >= until) {
        cutShort = until < retryUntil;
        break;
      }
      const delay = Math.min(RETRY_DELAY_MIN_MS * 2 ** (attempt - 1), retryDelayMaxMs, until - now);
      this.deps.logger.debug('retrying a failed operation', { stage: context.stage, attempt, delayMs: delay, error: this.deps.scrub(messageOf(err)) });
      await this.#sleep(delay);
      try {
        return await op();
      } catch (next) {
        err = next;
      }
    }
    if (isRetriable(err) && (cutShort || (retryTimeoutMs === 0 && context.stage === 'TASK_PUT'))) {
      // Not given up on: delivered again (a new batch, a new invocation's retries).
      if (this.config.logEnable) this.#log(context, err);
      throw err instanceof ConnectError ? err : new RetriableError(`${STAGE_VERB[context.stage]} the record at ${whereIs(context.record)} failed and may succeed later: ${messageOf(err)}`, { cause: err });
    }
    if (this.config.tolerance === 'all' && TOLERABLE_STAGES.has(context.stage)) {
      await this.#tolerate(context, err);
      return TOLERATED;
    }
    this.#log(context, err);
    if (context.stage === 'TASK_PUT' && !isRetriable(err)) throw err; // the task's own error, as it threw it
    throw this.#failure(context, err);
  }

  async #tolerate(context: ErrorContext, err: unknown): Promise<void> {
    this.tolerated++;
    if (this.config.logEnable) this.#log(context, err);
    else if (!this.deps.dlq) this.deps.logger.warn('record skipped (errors.tolerance=all, no dead letter queue)', { ...coordinates(context.record), stage: context.stage, error: this.deps.scrub(messageOf(cause(err))) });
    await this.deps.dlq?.report(context, err, this.deps.scrub);
  }

  /** Kafka's LogReporter; only with errors.log.enable, or when the task fails. */
  #log(context: ErrorContext, err: unknown): void {
    if (!this.config.logEnable) return;
    const fields: Record<string, unknown> = { ...coordinates(context.record), stage: context.stage, class: classOf(context, err), error: this.deps.scrub(messageOf(cause(err))) };
    if (this.config.logIncludeMessages) {
      const bytes = context.record.bytes();
      fields.key = shown(bytes.key);
      fields.value = shown(bytes.value);
    }
    this.deps.logger.error(`Error encountered in task ${this.deps.connector}-${this.deps.task}. Executing stage '${context.stage}' with class '${classOf(context, err)}'.`, fields);
  }

  #failure(context: ErrorContext, err: unknown): ConnectError {
    const exhausted = isRetriable(err) && this.config.retryTimeoutMs !== 0 ? ` (retried for errors.retry.timeout=${this.config.retryTimeoutMs} ms)` : '';
    const message = `${STAGE_VERB[context.stage]} the record at ${whereIs(context.record)} failed${exhausted}: ${messageOf(err)}`;
    return context.stage === 'TASK_PUT' ? new ConnectError(message, { cause: err }) : new DataError(message, { cause: err });
  }
}

/** Kafka Connect's DeadLetterQueueReporter: one DLQ record per tolerated failure, acknowledged before report() returns. */
export class DeadLetterQueueReporter {
  constructor(
    private readonly opts: {
      topic: string;
      contextHeaders: boolean;
      connector: string;
      task: number;
      /** Creates the topic (one partition, the configured replication factor) on first use. */
      topics: TopicCreator;
      /** The producer, connected on first use. */
      producer: () => Promise<Producer>;
    },
  ) {}

  async report(context: ErrorContext, err: unknown, scrub: (text: string) => string): Promise<void> {
    const bytes = context.record.bytes();
    const headers: Record<string, Array<Buffer | string | null>> = {};
    const add = (key: string, value: Buffer | string | null) => (headers[key] ??= []).push(value);
    for (const h of bytes.headers) add(h.key, h.value);
    if (this.opts.contextHeaders) for (const [key, value] of contextHeaders(context, err, this.opts.connector, this.opts.task, scrub)) add(key, value);
    await this.opts.topics.ensure([this.opts.topic]);
    const producer = await this.opts.producer();
    // A header's null value is written as Kafka's null (kafkajs encodes null as length -1).
    await producer.send({ topic: this.opts.topic, acks: -1, messages: [{ key: bytes.key, value: bytes.value, headers: headers as IHeaders }] });
  }
}

/** The `__connect.errors.*` headers of a failure, in Kafka's order. */
export function contextHeaders(context: ErrorContext, err: unknown, connector: string, task: number, scrub: (text: string) => string = (t) => t): Array<[string, string]> {
  const r = context.record;
  const out: Array<[string, string]> = [[DLQ_HEADERS.topic, r.topic]];
  if (r.partition !== undefined) out.push([DLQ_HEADERS.partition, String(r.partition)]);
  if (r.offset !== undefined) out.push([DLQ_HEADERS.offset, String(r.offset)]);
  if (r.sourcePartition) out.push([DLQ_HEADERS.sourcePartition, JSON.stringify(r.sourcePartition)]);
  if (r.sourceOffset) out.push([DLQ_HEADERS.sourceOffset, JSON.stringify(r.sourceOffset)]);
  out.push([DLQ_HEADERS.connectorName, connector], [DLQ_HEADERS.taskId, String(task)], [DLQ_HEADERS.stage, context.stage], [DLQ_HEADERS.className, classOf(context, err)]);
  const e = cause(err);
  out.push([DLQ_HEADERS.exceptionClassName, e instanceof Error ? e.name : typeof e], [DLQ_HEADERS.exceptionMessage, scrub(messageOf(e))]);
  if (e instanceof Error && e.stack) out.push([DLQ_HEADERS.exceptionStacktrace, scrub(e.stack)]);
  return out;
}

/** A converter's class as the context names it (`__connect.errors.class.name`): the connector's, else the worker's, else JsonConverter. */
export function converterClassName(registry: PluginRegistry, config: Readonly<Record<string, string>>, workerDefaults: Readonly<Record<string, string>>, field: 'key.converter' | 'value.converter'): string {
  const name = config[field]?.trim() || workerDefaults[field]?.trim() || JsonConverter.CLASS;
  try {
    return registry.resolveConverter(name, field).class;
  } catch {
    return name; // as written: the converters were built from it, so this is only a label
  }
}

/** The error the stage threw: a TransformError's cause is the transform's own. */
function cause(err: unknown): unknown {
  return err instanceof TransformError ? err.cause : err;
}

function classOf(context: ErrorContext, err: unknown): string {
  return err instanceof TransformError ? err.className : context.className;
}

function coordinates(r: FailedRecord): Record<string, unknown> {
  return r.offset !== undefined ? { topic: r.topic, partition: r.partition, offset: r.offset } : { topic: r.topic, sourcePartition: r.sourcePartition, sourceOffset: r.sourceOffset };
}

/** `topic t partition p offset o` (sinks), `source partition {…} offset {…} for topic t` (sources). */
export function whereIs(r: FailedRecord): string {
  if (r.offset !== undefined) return `topic ${r.topic} partition ${r.partition} offset ${r.offset}`;
  return `source partition ${JSON.stringify(r.sourcePartition ?? {})} offset ${JSON.stringify(r.sourceOffset ?? {})} for topic ${r.topic}`;
}

function shown(b: Buffer | null): string | null {
  if (b === null) return null;
  return b.length > LOGGED_BYTES ? `${b.subarray(0, LOGGED_BYTES).toString('utf8')}…` : b.toString('utf8');
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
