// One worker invocation runs one source task, from lease to release:
//
//   acquire lease (new epoch) → read config and offsets → task.start
//   → loop: poll → transforms → convert → produce (idempotent, acks=all) → remember offsets
//           → every offset flush interval: store offsets (fenced by epoch) → task.commit
//   → at the deadline (remaining time − safety buffer): flush, commit, start the
//     successor invocation, release the lease.
//
// Offsets are stored only after Kafka acknowledged every record they cover, so a
// crash anywhere replays at most one flush interval and loses nothing. A lost
// lease (fenced, or near expiry unrenewed) stops the loop at once and the
// invocation writes nothing more. A connector exception marks the task FAILED
// with its trace; other tasks are untouched.
//
// Transforms and converters run under the errors.* settings
// (src/runtime/error-handling.ts): with errors.tolerance=all a record that
// fails them is skipped, and sent to errors.deadletterqueue.topic.name when
// one is set. Kafka Connect has no dead letter queue for sources (users ask
// for one); Slipway's carries the record's source partition and offset as
// context. A record dropped by a transform or tolerated still counts as done:
// the offsets are those of the polled batch, stored once Kafka acknowledged
// every record of it that was produced.
import type { Admin, Kafka, Message, Producer } from 'kafkajs';
import { createConverters, type Converters } from '../connect/converters/index.js';
import { isSecretKey, MASK } from '../connect/config/config-def.js';
import { resolveConfig } from '../connect/config/providers.js';
import { ConnectError, FencedError, NotFoundError } from '../connect/errors.js';
import type { SourceConnector, SourceTask } from '../connect/plugin.js';
import type { PluginRegistry } from '../connect/registry.js';
import type { SourcePartition, SourceRecord } from '../connect/record.js';
import { TransformChain } from '../connect/transforms/chain.js';
import { createSourceProducer } from '../kafka/client.js';
import { TopicCreator } from '../kafka/topics.js';
import type { Logger } from '../logging.js';
import { canonicalJson, type LeaseGrant, type Store } from '../store/index.js';
import { converterClassName, DeadLetterQueueReporter, errorHandlingConfig, RetryWithToleranceOperator, TOLERATED, type ErrorContext, type FailedRecord, type RecordBytes, type Stage } from './error-handling.js';
import { LeaseKeeper } from './lease.js';

export interface WorkerEvent {
  connector: string;
  task: number;
  /** Set by a predecessor handing off: its lease (this epoch) is about to be released. */
  handoffEpoch?: number;
}

export interface WorkerSettings {
  leaseTtlMs: number;
  renewIntervalMs: number;
  /** Stop this long before the function's deadline: flush, commit, hand off. */
  safetyBufferMs: number;
  /** offset.flush.interval.ms: how often acknowledged offsets are stored. */
  offsetFlushIntervalMs: number;
  /** How long a successor waits for its predecessor to release the lease. */
  handoffWaitMs: number;
  /**
   * The successor is invoked this long before the deadline, so its start-up (cold, when
   * this environment is still busy) overlaps the end of this invocation. Must stay well
   * below handoffWaitMs. Default 1500.
   */
  handoffLeadMs?: number;
}

export const defaultWorkerSettings: Required<WorkerSettings> = {
  leaseTtlMs: 15_000,
  renewIntervalMs: 3_000,
  safetyBufferMs: 3_000,
  offsetFlushIntervalMs: 5_000,
  handoffWaitMs: 5_000,
  handoffLeadMs: 1_500,
};

export interface WorkerDeps {
  store: Store;
  registry: PluginRegistry;
  /** Warm invocations reuse one client; the producer is created per invocation. */
  kafka: Kafka;
  /** Starts the next invocation of this task (async Invoke of the worker function). */
  invokeSuccessor(event: WorkerEvent): Promise<void>;
  clock: () => number;
  logger: Logger;
  /** `<hostname>:<pid>` locally, the log stream in AWS. */
  workerId: string;
  env: NodeJS.ProcessEnv;
  /** Worker-level converter defaults (key.converter, value.converter, …). */
  workerDefaults?: Record<string, string>;
  settings: WorkerSettings;
}

export type WorkerOutcome = 'handed-off' | 'not-acquired' | 'lease-lost' | 'failed' | 'paused' | 'stopped';

export interface WorkerResult {
  outcome: WorkerOutcome;
  epoch?: number;
  records: number;
  reason?: string;
}

export async function runWorkerInvocation(event: WorkerEvent, remainingTimeMs: () => number, deps: WorkerDeps): Promise<WorkerResult> {
  const { settings, clock } = deps;
  const log = deps.logger.child({ connector: event.connector, task: event.task, workerId: deps.workerId });
  const deadline = clock() + remainingTimeMs() - settings.safetyBufferMs;
  if (deadline <= clock()) return { outcome: 'not-acquired', records: 0, reason: 'too little time left to start' };

  const grant = await acquire(event, deps, deadline);
  if (!grant) return { outcome: 'not-acquired', records: 0, reason: 'another invocation holds the lease' };
  const epoch = grant.epoch;
  log.info('lease acquired', { epoch, expiresAt: grant.expiresAt });

  const run = new TaskRun(event, grant, deadline, deps, log);
  return run.execute();
}

async function acquire(event: WorkerEvent, deps: WorkerDeps, deadline: number): Promise<LeaseGrant | null> {
  const { store, settings, clock } = deps;
  const waitUntil = Math.min(deadline, clock() + settings.handoffWaitMs);
  for (let delay = 25; ; delay = Math.min(delay * 2, 100)) {
    let grant: LeaseGrant | null;
    try {
      grant = await store.acquireLease(event.connector, event.task, deps.workerId, settings.leaseTtlMs, undefined, { unlessFailed: event.handoffEpoch !== undefined });
    } catch (err) {
      if (err instanceof NotFoundError) return null; // deleted, or fewer tasks now
      throw err;
    }
    if (grant) return grant;
    // Only a successor waits: its predecessor releases right after invoking it.
    if (event.handoffEpoch === undefined || clock() >= waitUntil) return null;
    const current = await store.getTask(event.connector, event.task);
    if (current?.lease && current.lease.epoch !== event.handoffEpoch && current.lease.expiresAt > clock()) return null;
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** What turns a polled record into a Kafka message: transforms, then converters, under the errors.* settings. */
interface Pipeline {
  converters: Converters;
  converterClasses: { key: string; value: string };
  chain: TransformChain;
  operator: RetryWithToleranceOperator;
}

class TaskRun {
  private readonly abort = new AbortController();
  private chain: TransformChain | undefined;
  private admin: Admin | undefined;
  private readonly lease: LeaseKeeper;
  private readonly pending = new Map<string, { partition: SourcePartition; offset: Record<string, unknown> }>();
  private task: SourceTask | undefined;
  private producer: Producer | undefined;
  private records = 0;
  private stopRequested: 'paused' | 'stopped' | 'reconfigured' | undefined;
  private successorInvoked = false;
  /** Topics already recorded for GET /connectors/{name}/topics by this invocation. */
  private readonly topicsRecorded = new Set<string>();
  /** Resolved secret values: never written into a trace or a log line. */
  private secrets: string[] = [];

  constructor(
    private readonly event: WorkerEvent,
    private readonly grant: LeaseGrant,
    private readonly deadline: number,
    private readonly deps: WorkerDeps,
    private readonly log: Logger,
  ) {
    const s = deps.settings;
    this.lease = new LeaseKeeper({
      store: deps.store,
      connector: event.connector,
      task: event.task,
      grant,
      ttlMs: s.leaseTtlMs,
      renewIntervalMs: s.renewIntervalMs,
      safetyMarginMs: Math.min(2_000, s.leaseTtlMs / 5),
      clock: deps.clock,
      logger: log,
      onLost: () => this.abort.abort(),
      onRenewed: (g) => this.checkTarget(g),
    });
  }

  private get epoch(): number {
    return this.grant.epoch;
  }

  async execute(): Promise<WorkerResult> {
    const { store, clock } = this.deps;
    const { connector, task } = this.event;
    this.lease.start();
    try {
      const item = await store.getConnector(connector);
      if (!item) return await this.finish('stopped', 'connector deleted');
      if (item.targetState !== 'RUNNING') return await this.finish(item.targetState === 'PAUSED' ? 'paused' : 'stopped', `target state ${item.targetState}`);
      const taskItem = await store.getTask(connector, task);
      if (!taskItem) return await this.finish('stopped', 'task removed');

      // Secrets are resolved here, inside the invocation that uses them, and never stored.
      const config = await resolveConfig({ ...item.config, ...taskItem.config }, { env: this.deps.env });
      const plugin = this.deps.registry.resolveConnector(item.config['connector.class'] ?? '');
      const spec = plugin.create().config();
      this.secrets = Object.entries(config)
        .filter(([k, v]) => v.length >= 4 && isSecretKey(k, spec))
        .map(([, v]) => v);
      if (plugin.type !== 'source') throw new ConnectError(`${plugin.class} is a sink connector; sinks run from the event source mapping`, { code: 'CONFIG_INVALID' });
      const sourceTask = (this.task = (plugin.create() as SourceConnector).createTask());
      const converters = createConverters(config, this.deps.workerDefaults ?? {});
      const chain = (this.chain = TransformChain.fromConfig(config, this.deps.registry));
      const admin = (this.admin = this.deps.kafka.admin());
      const topics = new TopicCreator(admin, {
        partitions: Number(config['topic.creation.default.partitions'] ?? -1),
        replicationFactor: Number(config['topic.creation.default.replication.factor'] ?? -1),
      });
      const pipeline = this.pipeline(config, converters, chain, admin);
      const stored = await store.readOffsets(connector);
      const offsets = new Map(stored.map((o) => [canonicalJson(o.partition), o.offset]));
      // Re-stamp what we resume from with our epoch: an older zombie can then no longer
      // write any of these partitions, even ones we have not yet committed.
      await store.writeOffsets(connector, stored.map((o) => ({ partition: o.partition, offset: o.offset })), this.epoch);

      await sourceTask.start(config, {
        connectorName: connector,
        taskId: task,
        logger: this.log,
        signal: this.abort.signal,
        offsetStorageReader: {
          offset: async (p) => (offsets.get(canonicalJson(p)) as Record<string, unknown> | undefined) ?? null,
          offsets: async (ps) => new Map(ps.map((p) => [p, (offsets.get(canonicalJson(p)) as Record<string, unknown> | undefined) ?? null])),
        },
      });
      this.producer = await createSourceProducer(this.deps.kafka);
      await store.setTaskState(connector, task, this.epoch, { state: 'RUNNING', workerId: this.deps.workerId, trace: null });

      let lastFlush = clock();
      while (!this.abort.signal.aborted && !this.stopRequested && clock() < this.deadline) {
        if (clock() >= this.deadline - (this.deps.settings.handoffLeadMs ?? defaultWorkerSettings.handoffLeadMs)) await this.invokeSuccessor();
        const batch = await sourceTask.poll();
        if (batch && batch.length > 0) await this.send(batch, pipeline, topics);
        if (clock() - lastFlush >= this.deps.settings.offsetFlushIntervalMs) {
          await this.commit();
          lastFlush = clock();
        }
      }
      if (this.lease.lost) return this.result('lease-lost', 'lease lost');
      if (this.stopRequested === 'paused' || this.stopRequested === 'stopped') {
        await this.commit();
        return await this.finish(this.stopRequested, 'target state changed');
      }
      // Deadline or new config: the successor starts from the offsets stored here.
      return await this.handOff(this.stopRequested === 'reconfigured' ? 'config changed' : 'deadline');
    } catch (err) {
      return await this.fail(err);
    } finally {
      this.lease.stop();
      this.abort.abort();
      await this.cleanup();
    }
  }

  private pipeline(config: Readonly<Record<string, string>>, converters: Converters, chain: TransformChain, admin: Admin): Pipeline {
    const { connector, task } = this.event;
    const errors = errorHandlingConfig(config);
    const dlq =
      errors.dlqTopic === ''
        ? null
        : new DeadLetterQueueReporter({
            topic: errors.dlqTopic,
            contextHeaders: errors.dlqContextHeaders,
            connector,
            task,
            topics: new TopicCreator(admin, { partitions: 1, replicationFactor: errors.dlqReplicationFactor }),
            producer: async () => {
              // Checked right before each write, as for the records themselves.
              if (!this.lease.isValid() || !this.producer) throw new FencedError('lease lost before a dead letter queue produce');
              return this.producer;
            },
          });
    const operator = new RetryWithToleranceOperator(errors, { connector, task, logger: this.log, clock: this.deps.clock, deadline: () => this.deadline, scrub: (t) => redact(t, this.secrets), dlq });
    const classOf = (field: 'key.converter' | 'value.converter') => converterClassName(this.deps.registry, config, this.deps.workerDefaults ?? {}, field);
    return { converters, converterClasses: { key: classOf('key.converter'), value: classOf('value.converter') }, chain, operator };
  }

  /** Transforms, converts and produces one poll's records; returns once Kafka acknowledged all of them. */
  private async send(batch: SourceRecord[], pipeline: Pipeline, topics: TopicCreator): Promise<void> {
    const { converters, converterClasses, chain, operator } = pipeline;
    const transforms = chain.aliases.length > 0;
    const context = (stage: Stage, className: string, record: SourceRecord) => (): ErrorContext => ({ stage, className, record: failedSourceRecord(record, converters) });
    const byTopic = new Map<string, Message[]>();
    let produced = 0;
    for (const polled of batch) {
      let transformed: SourceRecord | null | typeof TOLERATED = polled;
      if (transforms) {
        // The class is the failing transform's own (TransformError carries it).
        const t = operator.execute(context('TRANSFORMATION', 'TransformChain', polled), () => chain.apply(polled));
        transformed = t instanceof Promise ? await t : t;
      }
      if (transformed === null || transformed === TOLERATED) continue;
      const record = transformed;
      const k = operator.execute(context('KEY_CONVERTER', converterClasses.key, record), () => converters.key.fromConnectData(record.topic, record.keySchema, record.key));
      const key = k instanceof Promise ? await k : k;
      if (key === TOLERATED) continue;
      const v = operator.execute(context('VALUE_CONVERTER', converterClasses.value, record), () => converters.value.fromConnectData(record.topic, record.valueSchema, record.value));
      const value = v instanceof Promise ? await v : v;
      if (value === TOLERATED) continue;
      produced++;
      const message: Message = { key, value, headers: headersOf(record) };
      if (record.kafkaPartition != null) message.partition = record.kafkaPartition;
      if (record.timestamp != null) message.timestamp = String(record.timestamp);
      const list = byTopic.get(record.topic);
      if (list) list.push(message);
      else byTopic.set(record.topic, [message]);
    }
    if (byTopic.size > 0) await topics.ensure(byTopic.keys());
    const unseen = [...byTopic.keys()].filter((t) => !this.topicsRecorded.has(t));
    if (unseen.length > 0) {
      await this.deps.store.addConnectorTopics(this.event.connector, unseen);
      for (const t of unseen) this.topicsRecorded.add(t);
    }
    // One request per slice of at most SEND_SLICE_BYTES: kafkajs puts a partition's messages
    // of one send into one record batch, which must stay under the broker's
    // message.max.bytes (1 MB by default). Slices go out in order, each acknowledged.
    for (const slice of slicesBySize(byTopic, SEND_SLICE_BYTES)) {
      // Checked right before each write: a zombie that lost its lease sends nothing.
      if (!this.lease.isValid()) throw new FencedError('lease lost before produce');
      await this.producer!.sendBatch({ acks: -1, topicMessages: slice });
    }
    // The last offset per source partition of the polled batch (dropped and tolerated records
    // included), keyed once per partition object, not per record.
    const lastByPartition = new Map<SourcePartition, SourceRecord>();
    for (const record of batch) lastByPartition.set(record.sourcePartition, record);
    for (const [partition, record] of lastByPartition) {
      this.pending.set(canonicalJson(partition), { partition, offset: { ...record.sourceOffset } });
    }
    this.records += produced;
    if (this.task?.commitRecord) for (const record of batch) await this.task.commitRecord(record, null);
  }

  /** Stores the offsets of acknowledged records, fenced by our epoch. */
  private async commit(): Promise<void> {
    if (this.pending.size === 0) return;
    if (!this.lease.isValid()) throw new FencedError('lease lost before offset commit');
    const entries = [...this.pending.values()].map((e) => ({ partition: { ...e.partition }, offset: e.offset }));
    this.pending.clear();
    await this.deps.store.writeOffsets(this.event.connector, entries, this.epoch);
    await this.task?.commit?.();
  }

  private async checkTarget(grant: LeaseGrant): Promise<void> {
    if (grant.generation !== this.grant.generation) {
      this.stopRequested = 'reconfigured';
      return;
    }
    const item = await this.deps.store.getConnector(this.event.connector);
    if (!item || item.targetState === 'STOPPED') this.stopRequested = 'stopped';
    else if (item.targetState === 'PAUSED') this.stopRequested = 'paused';
  }

  private async handOff(reason: string): Promise<WorkerResult> {
    const { connector, task } = this.event;
    await this.invokeSuccessor();
    await this.commit();
    await this.lease.quiesce();
    await this.deps.store.releaseLease(connector, task, this.epoch);
    this.log.info('handed off', { reason, epoch: this.epoch, records: this.records });
    return this.result('handed-off', reason);
  }

  /**
   * Starts the next invocation, once. It waits for this one's lease (up to handoffWaitMs),
   * so it may start before the final commit: its start-up then overlaps ours.
   */
  private async invokeSuccessor(): Promise<void> {
    if (this.successorInvoked) return;
    this.successorInvoked = true;
    const { connector, task } = this.event;
    try {
      await this.deps.invokeSuccessor({ connector, task, handoffEpoch: this.epoch });
    } catch (err) {
      // Not the task's failure: with the lease released, the coordinator starts the next one.
      this.log.warn('could not invoke the successor; the coordinator will', { err });
    }
  }

  private async finish(outcome: 'paused' | 'stopped', reason: string): Promise<WorkerResult> {
    const { connector, task } = this.event;
    if (outcome === 'paused') await this.deps.store.setTaskState(connector, task, this.epoch, { state: 'PAUSED' });
    await this.lease.quiesce();
    await this.deps.store.releaseLease(connector, task, this.epoch);
    this.log.info('task stopped', { reason, epoch: this.epoch });
    return this.result(outcome, reason);
  }

  private async fail(err: unknown): Promise<WorkerResult> {
    const { connector, task } = this.event;
    if (err instanceof FencedError || this.lease.lost) {
      this.log.warn('stopping: lease lost', { err });
      return this.result('lease-lost', err instanceof Error ? err.message : String(err));
    }
    const trace = redact(traceOf(err), this.secrets);
    this.log.error('task failed', { error: trace.split('\n')[0], epoch: this.epoch });
    try {
      // What Kafka acknowledged before the failure is stored, so a restart repeats none of it.
      await this.commit();
      await this.deps.store.setTaskState(connector, task, this.epoch, { state: 'FAILED', trace, workerId: this.deps.workerId });
      await this.lease.quiesce();
      await this.deps.store.releaseLease(connector, task, this.epoch);
    } catch (writeErr) {
      this.log.warn('could not record the failure', { err: writeErr });
    }
    return this.result('failed', trace.split('\n')[0]);
  }

  private result(outcome: WorkerOutcome, reason?: string): WorkerResult {
    return { outcome, epoch: this.epoch, records: this.records, reason };
  }

  private async cleanup(): Promise<void> {
    this.chain?.close();
    try {
      await this.task?.stop();
    } catch (err) {
      this.log.warn('task stop failed', { err });
    }
    await this.producer?.disconnect().catch((err: unknown) => this.log.warn('producer disconnect failed', { err }));
    await this.admin?.disconnect().catch((err: unknown) => this.log.warn('admin disconnect failed', { err }));
  }
}

/** Bytes per produce request; a record batch per partition stays well under 1 MB. */
const SEND_SLICE_BYTES = 512 * 1024;

/** Splits one poll's messages into consecutive slices of about maxBytes, keeping their order. */
export function slicesBySize(byTopic: Map<string, Message[]>, maxBytes: number): { topic: string; messages: Message[] }[][] {
  const slices: { topic: string; messages: Message[] }[][] = [];
  let current: { topic: string; messages: Message[] }[] = [];
  let size = 0;
  for (const [topic, messages] of byTopic) {
    let entry: { topic: string; messages: Message[] } | undefined;
    for (const m of messages) {
      const bytes = 64 + sizeOf(m.key) + sizeOf(m.value);
      if (size > 0 && size + bytes > maxBytes) {
        slices.push(current);
        current = [];
        entry = undefined;
        size = 0;
      }
      if (!entry) current.push((entry = { topic, messages: [] }));
      entry.messages.push(m);
      size += bytes;
    }
  }
  if (current.length > 0) slices.push(current);
  return slices;
}

function sizeOf(v: Message['key'] | Message['value']): number {
  return v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
}

/** Header values as bytes: strings and buffers as they are, anything else as JSON. */
function headersOf(record: SourceRecord): Record<string, Buffer | string> | undefined {
  if (record.headers.length === 0) return undefined;
  const out: Record<string, Buffer | string> = {};
  for (const h of record.headers) {
    out[h.key] = Buffer.isBuffer(h.value) || typeof h.value === 'string' ? h.value : JSON.stringify(h.value);
  }
  return out;
}

/**
 * A source record as the dead letter queue gets it: converted by the
 * connector's converters; a key or value they cannot convert (the failure
 * itself) as JSON, if it has a JSON form, else null.
 */
function failedSourceRecord(record: SourceRecord, converters: Converters): FailedRecord {
  const bytes = (): RecordBytes => ({
    key: bestEffort(() => converters.key.fromConnectData(record.topic, record.keySchema, record.key), record.key),
    value: bestEffort(() => converters.value.fromConnectData(record.topic, record.valueSchema, record.value), record.value),
    headers: Object.entries(headersOf(record) ?? {}).map(([key, value]) => ({ key, value })),
  });
  return { topic: record.topic, sourcePartition: record.sourcePartition, sourceOffset: record.sourceOffset, bytes };
}

function bestEffort(convert: () => Buffer | null, raw: unknown): Buffer | null {
  try {
    return convert();
  } catch {
    try {
      const json = JSON.stringify(raw, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
      return json === undefined ? null : Buffer.from(json);
    } catch {
      return null;
    }
  }
}

function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join(MASK);
  return out;
}

/** A Java-like trace: the error class and message, its stack, then each cause. */
export function traceOf(err: unknown): string {
  const lines: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      lines.push((depth ? 'Caused by: ' : '') + (cur.stack ?? `${cur.name}: ${cur.message}`));
      cur = (cur as { cause?: unknown }).cause;
    } else {
      lines.push((depth ? 'Caused by: ' : '') + String(cur));
      break;
    }
  }
  return lines.join('\n');
}
