// One sink invocation delivers one batch of Lambda's Kafka event source mapping
// to the sink connector the mapping belongs to:
//
//   parse the batch → load the connector (missing: fail; not RUNNING: retriable)
//   → resolve its config → converters (key/value toConnectData with the record's
//   topic, headers kept) → SinkRecords → transforms (null: dropped) → SinkTask
//   (started, or kept warm from an earlier invocation: src/runtime/sink-tasks.ts)
//   → open → put(all, each partition in offset order) → preCommit/flush
//   → close → (stop, unless kept)
//   → task status RUNNING; a non-retriable error marks it FAILED with the
//     (secret-free) trace.
//
// Success tells Lambda to commit the batch's offsets; any thrown error makes it
// retry the whole batch (at least once, as Kafka Connect). So nothing here
// stores offsets: the consumer group of the mapping is the offset store.
//
// Errors (errors.* keys; the decisions are src/runtime/error-handling.ts's):
// a record that cannot be converted or transformed fails the batch before
// anything of it is put, as in Kafka Connect (WorkerSinkTask.convertMessages),
// with errors.tolerance=none; with all it goes to the dead letter queue (its
// original bytes and headers as consumed) or, without one, is skipped and
// logged, and the rest of the batch goes on. The task gets an
// errantRecordReporter when a DLQ is configured. Every DLQ record is
// acknowledged before the invocation returns success, so none is lost when
// Lambda commits the batch.
//
// Which connector: the mapping invokes the function through an alias made per
// connector by sinkAliasOf (see functions/sink.ts for why).
import { createHash } from 'node:crypto';
import type { Admin, Kafka, Producer } from 'kafkajs';
import type { ConfigSpec } from '../connect/config/config-def.js';
import { resolveConfig } from '../connect/config/providers.js';
import { createConverters, type Converters } from '../connect/converters/index.js';
import { ConnectError, NotFoundError, RetriableError, isRetriable } from '../connect/errors.js';
import type { ErrantRecordReporter, SinkConnector, SinkTask, TopicPartition, TopicPartitionOffset } from '../connect/plugin.js';
import type { PluginRegistry } from '../connect/registry.js';
import { sinkRecord, type Header, type SinkRecord } from '../connect/record.js';
import { TransformChain } from '../connect/transforms/chain.js';
import { scrubSecrets } from '../api/config-check.js';
import { createKafka } from '../kafka/client.js';
import { TopicCreator } from '../kafka/topics.js';
import type { Logger } from '../logging.js';
import type { ConnectorItem, Store, TaskItem } from '../store/index.js';
import { parseKafkaSinkEvent, type PartitionBatch, type RawKafkaRecord } from './sink-event.js';
import { converterClassName, DeadLetterQueueReporter, errorHandlingConfig, RetryWithToleranceOperator, TOLERATED, type ErrorContext, type FailedRecord, type Stage } from './error-handling.js';
import { configFingerprint, type SinkItems, type SinkTaskCache, type WarmSinkTask } from './sink-tasks.js';
import { traceOf } from './worker.js';

export interface SinkDeps {
  store: Store;
  registry: PluginRegistry;
  clock: () => number;
  logger: Logger;
  /** `<hostname>:<pid>` locally, the log stream in AWS: recorded as the task's worker_id. */
  workerId: string;
  env: NodeJS.ProcessEnv;
  /** Worker-level converter defaults (key.converter, value.converter, …). */
  workerDefaults?: Record<string, string>;
  /**
   * The client dead letter queue records are produced with. Default: one for
   * the batch's bootstrapServers (no SASL/TLS), made once per warm environment.
   */
  kafka?: Kafka;
  /** The invocation's remaining time (Lambda's getRemainingTimeInMillis): retries end before it does. Default: 60 s. */
  remainingTimeMs?: () => number;
  /** Started tasks kept between invocations of a warm environment; without it, each invocation starts and stops its own. */
  tasks?: SinkTaskCache;
}

export interface SinkResult {
  connector: string;
  records: number;
  /** Per partition, the next offset to consume: what Lambda commits after this success. */
  offsets: TopicPartitionOffset[];
}

/**
 * The sink connector's task the event source mapping feeds. One mapping per
 * connector, so one task: Lambda's own concurrency (one poller per partition
 * range) takes the place of tasks.max.
 */
const SINK_TASK = 0;

/** Lambda alias names: [A-Za-z0-9_-]{1,128}, not all digits. */
const ALIAS_UNSAFE = /[^A-Za-z0-9_-]/g;
const ALIAS_NAME_CHARS = 60;

/**
 * The alias of the sink function a connector's event source mapping invokes:
 * `sink-<name, every other character as _, at most 60>-<8 hex of sha256(name)>`.
 * The hash keeps two names that read the same after replacing apart.
 */
export function sinkAliasOf(connector: string): string {
  const hash = createHash('sha256').update(connector, 'utf8').digest('hex').slice(0, 8);
  return `sink-${connector.replace(ALIAS_UNSAFE, '_').slice(0, ALIAS_NAME_CHARS)}-${hash}`;
}

/** The alias in `arn:aws:lambda:<region>:<account>:function:<name>:<alias>`; undefined when unqualified, $LATEST or a version. */
export function aliasOfFunctionArn(arn: string): string | undefined {
  const qualifier = arn.split(':')[7];
  if (qualifier === undefined || qualifier === '$LATEST' || /^\d+$/.test(qualifier)) return undefined;
  return qualifier;
}

/**
 * The connector a sink invocation is for. Through an alias: the connector
 * whose sinkAliasOf it is. Unqualified (`slipway invoke sink`, a test): the
 * one sink connector whose topics take every topic of the batch, if there is
 * exactly one. NotFoundError otherwise, naming what was looked for.
 */
export async function sinkConnectorFor(
  invokedFunctionArn: string,
  topics: readonly string[],
  deps: Pick<SinkDeps, 'store' | 'registry'>,
  /** alias → connector, kept by a warm environment: an alias is a function of the name, so an entry never goes wrong (a deleted connector is then not found by runSinkInvocation). */
  aliases?: Map<string, string>,
): Promise<string> {
  const alias = aliasOfFunctionArn(invokedFunctionArn);
  const known = alias === undefined ? undefined : aliases?.get(alias);
  if (known !== undefined) return known;
  const connectors = await deps.store.listConnectors();
  if (alias !== undefined) {
    const found = connectors.find((c) => sinkAliasOf(c.name) === alias);
    if (!found) throw new NotFoundError(`No connector has the sink alias ${alias} (of ${invokedFunctionArn}); was it deleted?`);
    aliases?.set(alias, found.name);
    return found.name;
  }
  const candidates = connectors.filter((c) => deps.registry.findConnector(c.config['connector.class'] ?? '')?.type === 'sink' && topics.every((t) => consumes(c, t)));
  if (candidates.length === 1) return candidates[0]!.name;
  const which = candidates.length === 0 ? 'no sink connector consumes' : `sink connectors ${candidates.map((c) => c.name).join(', ')} all consume`;
  throw new NotFoundError(`Invoked without a connector alias and ${which} ${topics.join(', ') || 'these topics'}; invoke through the alias sinkAliasOf(<connector>)`);
}

/** Whether the connector's `topics` / `topics.regex` take `topic` (the raw config: topics are not secrets). */
function consumes(connector: ConnectorItem, topic: string): boolean {
  const list = (connector.config.topics ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (list.length > 0) return list.includes(topic);
  const pattern = connector.config['topics.regex']?.trim();
  if (!pattern) return false;
  try {
    return new RegExp(`^(?:${pattern})$`).test(topic);
  } catch {
    return false;
  }
}

export async function runSinkInvocation(event: unknown, connectorName: string, deps: SinkDeps): Promise<SinkResult> {
  const log = deps.logger.child({ connector: connectorName, task: SINK_TASK, workerId: deps.workerId });
  const deadline = deps.clock() + Math.max(0, (deps.remainingTimeMs?.() ?? DEFAULT_REMAINING_MS) - RETRY_SAFETY_MS);
  const { connector: item, task: taskItem } = await sinkItems(connectorName, deps);
  if (!item) throw new NotFoundError(`Connector ${connectorName} not found; its event source mapping should have been deleted with it`);
  // Not committing is how a sink pauses here: the mapping keeps the batch until it runs again.
  if (item.targetState !== 'RUNNING') throw new RetriableError(`Connector ${connectorName} is ${item.targetState}; the batch is left uncommitted`);
  if (taskItem?.state === 'FAILED') throw new RetriableError(`Connector ${connectorName} task ${SINK_TASK} is FAILED; the batch is left uncommitted until it is restarted`);

  let secretConfig: Record<string, string> = {};
  let spec: ConfigSpec<unknown> | undefined;
  let task: SinkTask | undefined;
  let warm: WarmSinkTask | undefined;
  let kept = false;
  let chain: TransformChain | undefined;
  let dlqProducer: Promise<Producer> | undefined;
  let dlqAdmin: Admin | undefined;
  try {
    const batch = parseKafkaSinkEvent(event);
    // Secrets are resolved here, inside the invocation that uses them, and never stored.
    const config = await resolveConfig({ ...item.config, ...taskItem?.config }, { env: deps.env });
    secretConfig = config;
    const plugin = deps.registry.resolveConnector(item.config['connector.class'] ?? '');
    if (plugin.type !== 'sink') throw new ConnectError(`${plugin.class} is a source connector; only sink connectors take event source mapping batches`, { code: 'CONFIG_INVALID' });
    const connector = plugin.create() as SinkConnector;
    spec = connector.config();
    const errors = errorHandlingConfig(config);
    const converters = createConverters(config, deps.workerDefaults ?? {}, { registry: deps.registry });
    chain = TransformChain.fromConfig(config, deps.registry);

    let dlq: DeadLetterQueueReporter | null = null;
    if (errors.dlqTopic !== '') {
      const kafka = deps.kafka ?? kafkaFor(batch.bootstrapServers, deps.logger);
      dlq = new DeadLetterQueueReporter({
        topic: errors.dlqTopic,
        contextHeaders: errors.dlqContextHeaders,
        connector: connectorName,
        task: SINK_TASK,
        // Kafka Connect creates its DLQ topic with one partition.
        topics: new TopicCreator((dlqAdmin = kafka.admin()), { partitions: 1, replicationFactor: errors.dlqReplicationFactor }),
        producer: () => (dlqProducer ??= connectedProducer(kafka)),
      });
    }
    const scrub = (text: string) => scrubSecrets(text, secretConfig, spec);
    const operator = new RetryWithToleranceOperator(errors, { connector: connectorName, task: SINK_TASK, logger: log, clock: deps.clock, deadline: () => deadline, scrub, dlq });
    const defaults = deps.workerDefaults ?? {};
    const classes = { key: converterClassName(deps.registry, config, defaults, 'key.converter'), value: converterClassName(deps.registry, config, defaults, 'value.converter') };
    const records = await toSinkRecords(batch.partitions, converters, classes, chain, operator);
    const partitions: TopicPartition[] = batch.partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
    const offsets = batch.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.records[p.records.length - 1]!.offset + 1 }));

    // Kafka Connect's WorkerErrantRecordReporter: a record put could not write goes to the DLQ (all) or fails the task (none).
    const errantRecordReporter: ErrantRecordReporter | null = dlq
      ? {
          report: (record, error) => operator.report({ stage: 'TASK_PUT', className: plugin.class, record: failedSinkRecord(rawAt(batch.partitions, record)) }, error),
        }
      : null;
    const fingerprint = configFingerprint(config);
    warm = await deps.tasks?.take(connectorName, fingerprint, deps.clock());
    if (!warm) {
      const fresh: WarmSinkTask = { task: connector.createTask(), fingerprint, reporter: null, lastUsedMs: 0 };
      warm = fresh;
      task = fresh.task;
      await task.start(config, {
        connectorName,
        taskId: SINK_TASK,
        logger: log,
        signal: new AbortController().signal,
        // A kept task outlives this invocation: its reporter forwards to the current one's.
        errantRecordReporter: errantRecordReporter ? { report: (record, error) => (fresh.reporter ?? errantRecordReporter).report(record, error) } : null,
        requestCommit: () => {},
      });
    }
    warm.reporter = errantRecordReporter;
    task = warm.task;
    await task.open?.(partitions);
    if (records.length > 0) {
      const put = task.put.bind(task);
      // put takes the whole batch: its failure is placed at the batch's first record.
      const first = batch.partitions[0]!.records[0]!;
      await operator.executeAsync(() => ({ stage: 'TASK_PUT', className: plugin.class, record: failedSinkRecord(first) }), async () => put(records));
    }
    if (task.preCommit) await task.preCommit(offsets);
    else await task.flush?.(offsets);
    await task.close?.(partitions);

    if (deps.tasks) {
      await deps.tasks.put(connectorName, warm, deps.clock());
      kept = true;
    }
    await recordRunning(connectorName, taskItem, deps, log);
    log.info('sink batch delivered', { records: records.length, partitions: partitions.length, tolerated: operator.tolerated });
    return { connector: connectorName, records: records.length, offsets };
  } catch (err) {
    deps.tasks?.forgetItems(connectorName);
    if (isRetriable(err)) {
      log.warn('sink batch failed; Lambda retries it', { error: scrubSecrets(err instanceof Error ? err.message : String(err), secretConfig, spec) });
      throw err;
    }
    const trace = scrubSecrets(traceOf(err), secretConfig, spec);
    log.error('task failed', { error: trace.split('\n')[0] });
    try {
      await deps.store.setTaskState(connectorName, SINK_TASK, null, { state: 'FAILED', trace, workerId: deps.workerId });
    } catch (writeErr) {
      log.warn('could not record the failure', { err: writeErr });
    }
    throw err instanceof ConnectError ? err : new ConnectError(trace.split('\n')[0]!, { cause: err });
  } finally {
    chain?.close();
    if (!kept) {
      try {
        await task?.stop();
      } catch (err) {
        log.warn('task stop failed', { err });
      }
    }
    // A warm environment keeps the client, never this invocation's connections.
    if (dlqProducer) await dlqProducer.then((p) => p.disconnect()).catch((err: unknown) => log.warn('dead letter queue producer disconnect failed', { err }));
    await dlqAdmin?.disconnect().catch((err: unknown) => log.warn('dead letter queue admin disconnect failed', { err }));
  }
}

/** The connector's and task's items: read, or (a warm environment) as read within the last second. */
async function sinkItems(connectorName: string, deps: SinkDeps): Promise<SinkItems> {
  const now = deps.clock();
  const recent = deps.tasks?.recentItems(connectorName, now);
  if (recent) return recent;
  const [connector, task] = await Promise.all([deps.store.getConnector(connectorName), deps.store.getTask(connectorName, SINK_TASK)]);
  const items = { connector, task };
  // Only a RUNNING connector's: any other state is read afresh each time, so it ends as soon as it is changed.
  if (connector?.targetState === 'RUNNING' && task?.state === 'RUNNING' && !task.trace) deps.tasks?.keepItems(connectorName, items, now);
  return items;
}

/** Without a remaining time from Lambda, retries get this long. */
const DEFAULT_REMAINING_MS = 60_000;
/** Retries end this long before the invocation does: room to report, fail or return. */
const RETRY_SAFETY_MS = 2_000;

const kafkaByBootstrap = new Map<string, Kafka>();

/** A client for the cluster the batch came from, reused by warm invocations. */
function kafkaFor(bootstrapServers: string, logger: Logger): Kafka {
  let kafka = kafkaByBootstrap.get(bootstrapServers);
  if (!kafka) {
    kafka = createKafka({ brokers: bootstrapServers.split(',').map((s) => s.trim()).filter(Boolean), clientId: 'slipway-sink', logger });
    kafkaByBootstrap.set(bootstrapServers, kafka);
  }
  return kafka;
}

/** Idempotent, so kafkajs's own retries never write a DLQ record twice. */
async function connectedProducer(kafka: Kafka): Promise<Producer> {
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  return producer;
}

/**
 * Written only on a change: one store write per state change, not per batch.
 * Several environments deliver a sink's partitions at once, so the worker_id
 * is the one that found the task not yet RUNNING (rewriting it per batch would
 * cost a write per batch for nothing).
 */
async function recordRunning(connector: string, taskItem: TaskItem | undefined, deps: SinkDeps, log: Logger): Promise<void> {
  if (taskItem?.state === 'RUNNING' && !taskItem.trace) return;
  try {
    await deps.store.setTaskState(connector, SINK_TASK, null, { state: 'RUNNING', workerId: deps.workerId, trace: null });
  } catch (err) {
    // No task item yet (the coordinator writes it): the batch is delivered all the same.
    if (!(err instanceof NotFoundError)) throw err;
    log.warn('no task item to record RUNNING in', { err: err.message });
  }
}

/** What the DLQ gets for a consumed record: its original bytes and headers. */
function failedSinkRecord(raw: RawKafkaRecord): FailedRecord {
  return { topic: raw.topic, partition: raw.partition, offset: raw.offset, bytes: () => ({ key: raw.key, value: raw.value, headers: raw.headers }) };
}

/**
 * The consumed record at a SinkRecord's coordinates, as consumed (a transform
 * may have renamed the topic: then the record's own batch is searched by
 * partition and offset). Each partition's records are in offset order.
 */
function rawAt(partitions: readonly PartitionBatch[], record: SinkRecord): RawKafkaRecord {
  const candidates = partitions.filter((p) => p.partition === record.kafkaPartition);
  const inTopic = candidates.filter((p) => p.topic === record.topic);
  for (const p of inTopic.length > 0 ? inTopic : candidates) {
    const raw = byOffset(p.records, record.kafkaOffset);
    if (raw) return raw;
  }
  throw new ConnectError(`The errant record reporter was given a record at topic ${record.topic} partition ${record.kafkaPartition} offset ${record.kafkaOffset}, which is not in this batch`);
}

function byOffset(records: readonly RawKafkaRecord[], offset: number): RawKafkaRecord | undefined {
  let lo = 0;
  let hi = records.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const at = records[mid]!.offset;
    if (at === offset) return records[mid];
    if (at < offset) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/**
 * Converts and transforms the batch, each step under the operator: a record
 * whose failure it tolerates is left out (it went to the DLQ); one it does
 * not fails the batch. The synchronous path costs no promise per record.
 */
async function toSinkRecords(
  partitions: readonly PartitionBatch[],
  converters: Converters,
  classes: { key: string; value: string },
  chain: TransformChain,
  operator: RetryWithToleranceOperator,
): Promise<SinkRecord[]> {
  const records: SinkRecord[] = [];
  const transforms = chain.aliases.length > 0;
  // Made once per batch, not per record: the operator asks for a context only
  // on a failure, which it handles before the loop moves to the next record.
  let raw!: RawKafkaRecord;
  const context = (stage: Stage, className: string) => (): ErrorContext => ({ stage, className, record: failedSinkRecord(raw) });
  const keyContext = context('KEY_CONVERTER', classes.key);
  const valueContext = context('VALUE_CONVERTER', classes.value);
  const transformContext = context('TRANSFORMATION', 'TransformChain');
  const toKey = () => converters.key.toConnectData(raw.topic, raw.key);
  const toValue = () => converters.value.toConnectData(raw.topic, raw.value);
  for (const p of partitions) {
    for (raw of p.records) {
      const k = operator.execute(keyContext, toKey);
      const key = k instanceof Promise ? await k : k;
      if (key === TOLERATED) continue;
      const v = operator.execute(valueContext, toValue);
      const value = v instanceof Promise ? await v : v;
      if (value === TOLERATED) continue;
      const headers: Header[] = raw.headers.length === 0 ? [] : raw.headers.map((h) => ({ key: h.key, value: h.value }));
      const record = sinkRecord({
        topic: raw.topic,
        kafkaPartition: raw.partition,
        kafkaOffset: raw.offset,
        timestamp: raw.timestamp < 0 ? null : raw.timestamp,
        timestampType: raw.timestampType,
        keySchema: key.schema,
        key: key.value,
        valueSchema: value.schema,
        value: value.value,
        headers,
      });
      let next: SinkRecord | null | typeof TOLERATED = record;
      if (transforms) {
        // The class is the failing transform's own (TransformError carries it).
        const t = operator.execute(transformContext, () => chain.apply(record));
        next = t instanceof Promise ? await t : t;
      }
      if (next === null || next === TOLERATED) continue;
      records.push(next);
    }
  }
  return records;
}
