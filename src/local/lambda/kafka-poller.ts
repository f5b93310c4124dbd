// The poller behind one enabled self-managed Kafka event source mapping of the
// Lambda emulator: what Lambda's Kafka pollers do, against the mapping's own
// bootstrap servers, with kafkajs.
//
//   consumer in the mapping's group (ConsumerGroupId; the mapping's UUID when none)
//   → per partition, in offset order, one batch at a time:
//       at most BatchSize records and 6 MB of event, waited for at most the
//       batching window (the fetch's maxWait; minBytes large, so the broker
//       holds the fetch until the window ends or data fills it)
//   → invoke the function (RequestResponse, with the mapping's qualifier)
//   → success: commit offset+1 of the batch's last record, then the next batch
//   → failure: the same batch again after a backoff; with BisectBatchOnFunctionError
//     the batch is split in two and each half handled in turn (splits do not
//     count as retries, as in Lambda); after MaximumRetryAttempts retries
//     (-1 = forever; 10 when an on-failure destination is set, as Lambda does)
//     the records go to the `kafka://<topic>` destination, then are committed.
//
// Invariants: a partition's batches are invoked in order, never two at once;
// an offset is committed only after everything before it was delivered (to the
// function or to the destination); stop() leaves committed offsets as they are.
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage, Producer } from 'kafkajs';
import { createKafka } from '../../kafka/client.js';
import type { Logger } from '../../logging.js';
import type { InvokeResult } from './emulator.js';

/** What a poller needs of its mapping (already validated). */
export interface PollerConfig {
  uuid: string;
  /** The function name with its qualifier, as the mapping names it. */
  functionName: string;
  qualifier?: string;
  bootstrapServers: string[];
  topic: string;
  groupId: string;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  batchSize: number;
  batchingWindowMs: number;
  /** -1: retry until it succeeds. */
  maximumRetryAttempts: number;
  bisectBatchOnFunctionError: boolean;
  /** The topic of a `kafka://<topic>` on-failure destination. */
  onFailureTopic?: string;
}

export interface PollerDeps {
  invoke(functionName: string, payload: Buffer | string, qualifier?: string): Promise<InvokeResult>;
  logger: Logger;
  /** Backoff between retries of a failed batch: doubled from initialMs up to maxMs. */
  retryBackoff?: { initialMs: number; maxMs: number };
  /** Told after each batch: "OK" or "PROBLEM: …" (LastProcessingResult). */
  onResult?(result: string): void;
}

/** Lambda's invoke payload cap, less room for the event's envelope. */
export const MAX_EVENT_BYTES = 6 * 1024 * 1024;
const ENVELOPE_BYTES = 1024;
/** Lambda's cap on retries when a destination is set and retries are otherwise infinite. */
const RETRIES_WITH_DESTINATION = 10;

/**
 * One record of the event as Lambda writes it, as JSON text:
 * `{"topic","partition","offset","timestamp","timestampType","key","value","headers"}`
 * with base64 key and value (null when absent) and headers as
 * `[{"<name>": [signed bytes]}]`. Written as text, not as an object that is
 * then serialised: this runs for every record the mapping delivers.
 */
export function eventRecordJson(topicJson: string, partition: number, m: KafkaMessage): string {
  const batchContext = (m as KafkaMessage & { batchContext?: { timestampType?: number } }).batchContext;
  const key = m.key ? `"${m.key.toString('base64')}"` : 'null';
  const value = m.value ? `"${m.value.toString('base64')}"` : 'null';
  const headers = hasHeaders(m.headers) ? JSON.stringify(eventHeaders(m.headers)) : '[]';
  const timestamp = Number(m.timestamp);
  // The offset is kafkajs's decimal string of an int64: a valid JSON number as it is.
  return `{"topic":${topicJson},"partition":${partition},"offset":${m.offset},"timestamp":${Number.isFinite(timestamp) ? timestamp : -1},"timestampType":"${batchContext?.timestampType === 1 ? 'LOG_APPEND_TIME' : 'CREATE_TIME'}","key":${key},"value":${value},"headers":${headers}}`;
}

function hasHeaders(headers: IHeaders | undefined): headers is IHeaders {
  for (const _ in headers) return true;
  return false;
}

/** kafkajs folds repeated header names into an array; Lambda lists each header as `{name: [signed bytes]}`. */
function eventHeaders(headers: IHeaders): Array<Record<string, number[]>> {
  const out: Array<Record<string, number[]>> = [];
  for (const [name, raw] of Object.entries(headers)) {
    for (const value of Array.isArray(raw) ? raw : [raw]) {
      if (value === undefined) continue;
      const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
      out.push({ [name]: [...new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length)] });
    }
  }
  return out;
}

/** The SelfManagedKafka event of one partition's batch, from its records' JSON texts. */
export function selfManagedKafkaEvent(bootstrapServers: string[], topic: string, partition: number, records: readonly string[]): string {
  return `{"eventSource":"SelfManagedKafka","bootstrapServers":${JSON.stringify(bootstrapServers.join(','))},"records":{${JSON.stringify(`${topic}-${partition}`)}:[${records.join(',')}]}}`;
}

interface Pending {
  message: KafkaMessage;
  /** The record's JSON text in the event. */
  json: string;
}

export class KafkaPoller {
  private readonly kafka: Kafka;
  private readonly logger: Logger;
  private consumer?: Consumer;
  private producer?: Producer;
  private stopping = false;
  private readonly wakers = new Set<() => void>();

  constructor(
    private readonly config: PollerConfig,
    private readonly deps: PollerDeps,
  ) {
    this.logger = deps.logger.child({ component: 'kafka-poller', uuid: config.uuid });
    this.kafka = createKafka({ brokers: config.bootstrapServers, clientId: `slipway-esm-${config.uuid}`, logger: this.logger });
  }

  /** Joins the group and starts consuming; resolves once the consumer runs. */
  async start(): Promise<void> {
    const c = this.config;
    const waitMs = c.batchingWindowMs > 0 ? c.batchingWindowMs : 1_000;
    const consumer = this.kafka.consumer({
      groupId: c.groupId,
      maxWaitTimeInMs: waitMs,
      // With a window, the broker holds the fetch until the window ends or a full batch's bytes arrived.
      minBytes: c.batchingWindowMs > 0 ? MAX_EVENT_BYTES : 1,
      maxBytesPerPartition: MAX_EVENT_BYTES,
      maxBytes: MAX_EVENT_BYTES * 2,
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 300, maxRetryTime: 5_000 },
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [c.topic], fromBeginning: c.startingPosition === 'TRIM_HORIZON' });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Partitions progress independently, each in order (kafkajs never runs two batches of one partition at once).
      partitionsConsumedConcurrently: 8,
      eachBatch: (payload) => this.onFetch(payload),
    });
  }

  /** Stops consuming (committed offsets stay); an invocation under way is waited for, a retry wait is cut short. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakers) wake();
    await this.consumer?.disconnect().catch((err: unknown) => this.logger.warn('consumer disconnect failed', { err }));
    await this.producer?.disconnect().catch((err: unknown) => this.logger.warn('producer disconnect failed', { err }));
  }

  /** One fetch of one partition: cut into batches (BatchSize, 6 MB) and delivered one by one. */
  private async onFetch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    let current: Pending[] = [];
    let bytes = ENVELOPE_BYTES;
    const topicJson = JSON.stringify(batch.topic);
    const asciiTopic = /^[\x20-\x7e]*$/.test(topicJson);
    const flush = async (): Promise<boolean> => {
      if (current.length === 0) return true;
      const done = await this.process(current, payload, 0);
      current = [];
      bytes = ENVELOPE_BYTES;
      return done;
    };
    for (const message of batch.messages) {
      if ((message as KafkaMessage & { isControlRecord?: boolean }).isControlRecord) continue;
      const json = eventRecordJson(topicJson, batch.partition, message);
      // Characters are bytes but for a topic or header name outside ASCII: counted exactly then.
      const size = (asciiTopic && !hasHeaders(message.headers) ? json.length : Buffer.byteLength(json)) + 1;
      if (current.length > 0 && (current.length >= this.config.batchSize || bytes + size > MAX_EVENT_BYTES)) {
        if (!(await flush())) return;
      }
      current.push({ message, json });
      bytes += size;
    }
    await flush();
  }

  /**
   * Delivers one batch until it succeeds or goes to the destination, then
   * commits it. False when stopped or the partition was revoked first (nothing
   * committed: the next owner starts at the batch again).
   */
  private async process(batch: Pending[], payload: EachBatchPayload, retriesSoFar: number): Promise<boolean> {
    const c = this.config;
    const limit = c.maximumRetryAttempts === -1 && c.onFailureTopic ? RETRIES_WITH_DESTINATION : c.maximumRetryAttempts;
    let retries = retriesSoFar;
    let delayMs = this.deps.retryBackoff?.initialMs ?? 500;
    for (;;) {
      if (!this.live(payload)) return false;
      // kafkajs heartbeats only between fetches: keep the membership alive through a long invocation.
      const beat = setInterval(() => void payload.heartbeat().catch(() => undefined), 3_000);
      const failure = await this.invokeOnce(batch, payload).finally(() => clearInterval(beat));
      if (failure === undefined) {
        this.deps.onResult?.('OK');
        return this.commit(batch, payload);
      }
      this.deps.onResult?.('PROBLEM: Function call failed');
      const { topic, partition } = payload.batch;
      const lastOffset = batch[batch.length - 1]!.message.offset;
      this.logger.info('batch failed', { topic, partition, firstOffset: batch[0]!.message.offset, lastOffset, records: batch.length, retries, failure });
      if (c.bisectBatchOnFunctionError && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        return (await this.process(batch.slice(0, half), payload, retries)) && this.process(batch.slice(half), payload, retries);
      }
      if (limit !== -1 && retries >= limit) {
        if (!c.onFailureTopic) {
          this.logger.warn('batch failed; retries exhausted, records skipped', { topic, partition, lastOffset, failure });
          return this.commit(batch, payload);
        }
        if (!(await this.sendToDestination(batch, payload.batch.topic, payload.batch.partition, failure))) return false;
        return this.commit(batch, payload);
      }
      retries++;
      if (!(await this.pause(delayMs, payload))) return false;
      delayMs = Math.min(delayMs * 2, this.deps.retryBackoff?.maxMs ?? 10_000);
    }
  }

  /** Undefined on success; otherwise why the invocation failed. */
  private async invokeOnce(batch: Pending[], payload: EachBatchPayload): Promise<string | undefined> {
    const event = selfManagedKafkaEvent(this.config.bootstrapServers, payload.batch.topic, payload.batch.partition, batch.map((p) => p.json));
    try {
      const result = await this.deps.invoke(this.config.functionName, event, this.config.qualifier);
      if (!result.functionError) return undefined;
      return result.payload.toString('utf8').slice(0, 1_000);
    } catch (err) {
      // API errors (throttled, too large, the function gone) fail the batch like a function error.
      return `${(err as { type?: string }).type ?? 'Error'}: ${(err as Error).message}`;
    }
  }

  private async commit(batch: Pending[], payload: EachBatchPayload): Promise<boolean> {
    const last = batch[batch.length - 1]!.message;
    const { topic, partition } = payload.batch;
    payload.resolveOffset(last.offset);
    try {
      await this.consumer!.commitOffsets([{ topic, partition, offset: (BigInt(last.offset) + 1n).toString() }]);
    } catch (err) {
      // Not committed: after a rebalance or restart the batch is delivered again (at least once).
      this.logger.warn('offset commit failed', { topic, partition, offset: last.offset, err });
      return false;
    }
    await payload.heartbeat().catch(() => undefined);
    return true;
  }

  /**
   * The failed records to the `kafka://` destination: each record as it was
   * (key, value, headers), plus headers naming where it came from and why.
   */
  private async sendToDestination(batch: Pending[], sourceTopic: string, sourcePartition: number, failure: string): Promise<boolean> {
    const topic = this.config.onFailureTopic!;
    for (let delayMs = 500; ; delayMs = Math.min(delayMs * 2, 10_000)) {
      if (this.stopping) return false;
      try {
        if (!this.producer) {
          const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
          await producer.connect();
          this.producer = producer;
        }
        await this.producer.send({
          topic,
          messages: batch.map(({ message }) => ({
            key: message.key,
            value: message.value,
            timestamp: message.timestamp,
            headers: {
              ...message.headers,
              'slipway.esm.uuid': this.config.uuid,
              'slipway.esm.source.topic': sourceTopic,
              'slipway.esm.source.partition': String(sourcePartition),
              'slipway.esm.source.offset': message.offset,
              'slipway.esm.condition': 'RetryAttemptsExhausted',
              'slipway.esm.function.error': failure.slice(0, 1_000),
            },
          })),
        });
        this.logger.warn('batch failed; retries exhausted, records sent to the on-failure destination', { topic, records: batch.length });
        return true;
      } catch (err) {
        this.logger.warn('sending to the on-failure destination failed; retrying', { topic, err });
        await new Promise((resolve) => setTimeout(resolve, delayMs));
      }
    }
  }

  private live(payload: EachBatchPayload): boolean {
    return !this.stopping && payload.isRunning() && !payload.isStale();
  }

  /** Waits out a retry backoff, heartbeating; false if stopped or revoked meanwhile. */
  private async pause(ms: number, payload: EachBatchPayload): Promise<boolean> {
    const until = Date.now() + ms;
    while (Date.now() < until) {
      if (!this.live(payload)) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.wakers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(1_000, until - Date.now()));
        this.wakers.add(wake);
      });
      await payload.heartbeat().catch(() => undefined);
    }
    return this.live(payload);
  }
}
