// One sink invocation delivers one batch of Lambda's Kafka event source mapping
// to the sink connector the mapping belongs to:
//
//   parse the batch → load the connector (missing: fail; not RUNNING: retriable)
//   → resolve its config → converters (key/value toConnectData with the record's
//   topic, headers kept) → SinkRecords → transforms (null: dropped) → SinkTask
//   start → open → put(all, each partition in offset order) → preCommit/flush
//   → close → stop
//   → task status RUNNING; a non-retriable error marks it FAILED with the
//     (secret-free) trace.
//
// Success tells Lambda to commit the batch's offsets; any thrown error makes it
// retry the whole batch (at least once, as Kafka Connect). So nothing here
// stores offsets: the consumer group of the mapping is the offset store. As in
// Kafka Connect (WorkerSinkTask.convertMessages), a record that cannot be
// converted or transformed fails the batch before anything of it is put.
//
// Which connector: the mapping invokes the function through an alias made per
// connector by sinkAliasOf (see functions/sink.ts for why).
import { createHash } from 'node:crypto';
import type { ConfigSpec } from '../connect/config/config-def.js';
import { resolveConfig } from '../connect/config/providers.js';
import { createConverters, type Converters } from '../connect/converters/index.js';
import { ConnectError, DataError, NotFoundError, RetriableError, isRetriable } from '../connect/errors.js';
import type { SinkConnector, SinkTask, TopicPartition, TopicPartitionOffset } from '../connect/plugin.js';
import type { PluginRegistry } from '../connect/registry.js';
import { sinkRecord, type Header, type SinkRecord } from '../connect/record.js';
import { TransformChain } from '../connect/transforms/chain.js';
import { scrubSecrets } from '../api/config-check.js';
import type { Logger } from '../logging.js';
import type { ConnectorItem, Store, TaskItem } from '../store/index.js';
import { parseKafkaSinkEvent, type PartitionBatch, type RawKafkaRecord } from './sink-event.js';
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
export async function sinkConnectorFor(invokedFunctionArn: string, topics: readonly string[], deps: Pick<SinkDeps, 'store' | 'registry'>): Promise<string> {
  const connectors = await deps.store.listConnectors();
  const alias = aliasOfFunctionArn(invokedFunctionArn);
  if (alias !== undefined) {
    const found = connectors.find((c) => sinkAliasOf(c.name) === alias);
    if (!found) throw new NotFoundError(`No connector has the sink alias ${alias} (of ${invokedFunctionArn}); was it deleted?`);
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
  const item = await deps.store.getConnector(connectorName);
  if (!item) throw new NotFoundError(`Connector ${connectorName} not found; its event source mapping should have been deleted with it`);
  // Not committing is how a sink pauses here: the mapping keeps the batch until it runs again.
  if (item.targetState !== 'RUNNING') throw new RetriableError(`Connector ${connectorName} is ${item.targetState}; the batch is left uncommitted`);
  const taskItem = await deps.store.getTask(connectorName, SINK_TASK);
  if (taskItem?.state === 'FAILED') throw new RetriableError(`Connector ${connectorName} task ${SINK_TASK} is FAILED; the batch is left uncommitted until it is restarted`);

  let secretConfig: Record<string, string> = {};
  let spec: ConfigSpec<unknown> | undefined;
  let task: SinkTask | undefined;
  let chain: TransformChain | undefined;
  try {
    const batch = parseKafkaSinkEvent(event);
    // Secrets are resolved here, inside the invocation that uses them, and never stored.
    const config = await resolveConfig({ ...item.config, ...taskItem?.config }, { env: deps.env });
    secretConfig = config;
    const plugin = deps.registry.resolveConnector(item.config['connector.class'] ?? '');
    if (plugin.type !== 'sink') throw new ConnectError(`${plugin.class} is a source connector; only sink connectors take event source mapping batches`, { code: 'CONFIG_INVALID' });
    const connector = plugin.create() as SinkConnector;
    spec = connector.config();
    const converters = createConverters(config, deps.workerDefaults ?? {}, { registry: deps.registry });
    chain = TransformChain.fromConfig(config, deps.registry);
    const records = transformed(batch.partitions.flatMap((p) => toSinkRecords(p, converters)), chain);
    const partitions: TopicPartition[] = batch.partitions.map((p) => ({ topic: p.topic, partition: p.partition }));
    const offsets = batch.partitions.map((p) => ({ topic: p.topic, partition: p.partition, offset: p.records[p.records.length - 1]!.offset + 1 }));

    task = connector.createTask();
    await task.start(config, {
      connectorName,
      taskId: SINK_TASK,
      logger: log,
      signal: new AbortController().signal,
      errantRecordReporter: null,
      requestCommit: () => {},
    });
    await task.open?.(partitions);
    if (records.length > 0) await task.put(records);
    if (task.preCommit) await task.preCommit(offsets);
    else await task.flush?.(offsets);
    await task.close?.(partitions);

    await recordRunning(connectorName, taskItem, deps, log);
    log.info('sink batch delivered', { records: records.length, partitions: partitions.length });
    return { connector: connectorName, records: records.length, offsets };
  } catch (err) {
    if (isRetriable(err)) {
      log.warn('sink batch failed; Lambda retries it', { error: err instanceof Error ? err.message : String(err) });
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
    try {
      await task?.stop();
    } catch (err) {
      log.warn('task stop failed', { err });
    }
  }
}

/** Written only on a change: one store write per state change, not per batch. */
async function recordRunning(connector: string, taskItem: TaskItem | undefined, deps: SinkDeps, log: Logger): Promise<void> {
  if (taskItem?.state === 'RUNNING' && taskItem.workerId === deps.workerId && !taskItem.trace) return;
  try {
    await deps.store.setTaskState(connector, SINK_TASK, null, { state: 'RUNNING', workerId: deps.workerId, trace: null });
  } catch (err) {
    // No task item yet (the coordinator writes it): the batch is delivered all the same.
    if (!(err instanceof NotFoundError)) throw err;
    log.warn('no task item to record RUNNING in', { err: err.message });
  }
}

function toSinkRecords(batch: PartitionBatch, converters: Converters): SinkRecord[] {
  return batch.records.map((raw) => {
    const key = convert(converters, raw, 'key');
    const value = convert(converters, raw, 'value');
    const headers: Header[] = raw.headers.map((h) => ({ key: h.key, value: h.value }));
    return sinkRecord({
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
  });
}

function transformed(records: SinkRecord[], chain: TransformChain): SinkRecord[] {
  const out: SinkRecord[] = [];
  for (const record of records) {
    let next: SinkRecord | null;
    try {
      next = chain.apply(record);
    } catch (err) {
      throw new DataError(`Transforming the record at ${whereIs(record.topic, record.kafkaPartition, record.kafkaOffset)} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    }
    if (next) out.push(next);
  }
  return out;
}

function whereIs(topic: string, partition: number, offset: number): string {
  return `topic ${topic} partition ${partition} offset ${offset}`;
}

function convert(converters: Converters, raw: RawKafkaRecord, which: 'key' | 'value') {
  try {
    return converters[which].toConnectData(raw.topic, raw[which]);
  } catch (err) {
    throw new DataError(`Converting the ${which} of the record at ${whereIs(raw.topic, raw.partition, raw.offset)} failed: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}
