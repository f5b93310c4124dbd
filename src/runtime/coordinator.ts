// The coordinator's reconcile pass, run on every kick from the REST API and on a
// schedule (the safety net). For each connector:
//   · config generation changed → connector.taskConfigs(tasks.max) → task items
//   · RUNNING: a task without a live lease gets a worker invocation, after a
//     conditional launch claim, so two coordinators never both start one
//   · a FAILED task restarts after a backoff when auto restart is on (Strimzi's
//     autoRestart; Kafka Connect lacks it)
//   · PAUSED / STOPPED: nothing is launched; live invocations see the target
//     state on their next lease renewal and stop themselves.
//   · a sink connector is never launched: its event source mappings are kept
//     in step instead (src/runtime/sink-mappings.ts), and those of deleted
//     sinks removed.
// Connector configs are resolved here only to compute task configs; what is
// stored keeps the placeholders (reverse-substituted, as Kafka Connect does).
import { checkConnectorConfig } from '../connect/config/connector-validation.js';
import { hasPlaceholder } from '../connect/config/providers.js';
import type { PluginRegistry } from '../connect/registry.js';
import { ConflictError } from '../connect/errors.js';
import type { Logger } from '../logging.js';
import type { ConnectorItem, Store, TaskItem } from '../store/index.js';
import type { SinkMappings } from './sink-mappings.js';
import type { WorkerEvent } from './worker.js';
import { traceOf } from './worker.js';

export interface CoordinatorSettings {
  /** A launch claim younger than this blocks another launch of the same task. */
  launchGraceMs: number;
  /**
   * Auto restart (per connector: slipway.auto.restart.enabled, .max.restarts): the
   * first delay, doubled per restart and capped. Strimzi waits minutes; a
   * short-lived invocation model can afford seconds.
   */
  autoRestartInitialDelayMs: number;
  autoRestartMaxDelayMs: number;
}

export const defaultCoordinatorSettings: CoordinatorSettings = {
  launchGraceMs: 10_000,
  autoRestartInitialDelayMs: 2_000,
  autoRestartMaxDelayMs: 300_000,
};

export interface CoordinatorDeps {
  store: Store;
  registry: PluginRegistry;
  invokeWorker(event: WorkerEvent): Promise<void>;
  clock: () => number;
  logger: Logger;
  coordinatorId: string;
  env: NodeJS.ProcessEnv;
  settings: CoordinatorSettings;
  /** The event source mappings of sink connectors; without it sinks get task configs only. */
  sinks?: SinkMappings;
}

export interface ReconcileSummary {
  connectors: number;
  launched: { connector: string; task: number }[];
  reconfigured: string[];
  failed: string[];
}

export async function reconcile(deps: CoordinatorDeps): Promise<ReconcileSummary> {
  const summary: ReconcileSummary = { connectors: 0, launched: [], reconfigured: [], failed: [] };
  const connectors = await deps.store.listConnectors();
  summary.connectors = connectors.length;
  // One connector's trouble must not hold up the others.
  await Promise.all(
    connectors.map(async (c) => {
      try {
        await reconcileConnector(c, deps, summary);
      } catch (err) {
        deps.logger.warn('reconcile failed for connector', { connector: c.name, err });
      }
    }),
  );
  if (deps.sinks) {
    try {
      await deps.sinks.prune(connectors.map((c) => c.name));
    } catch (err) {
      deps.logger.warn('pruning the mappings of deleted sinks failed', { err });
    }
  }
  return summary;
}

async function reconcileConnector(connector: ConnectorItem, deps: CoordinatorDeps, summary: ReconcileSummary): Promise<void> {
  const sink = pluginTypeOf(connector, deps) === 'sink';
  if (connector.targetState === 'STOPPED') {
    if (sink) await deps.sinks?.sync(connector.name, connector.config, false);
    return;
  }
  if (connector.tasksGeneration !== connector.generation) {
    const ok = await writeTasks(connector, deps);
    if (!ok) {
      summary.failed.push(connector.name);
      return;
    }
    summary.reconfigured.push(connector.name);
    connector = (await deps.store.getConnector(connector.name)) ?? connector;
  }
  const tasks = (await deps.store.listTasks(connector.name)).filter((t) => t.task < connector.taskCount && t.generation === connector.tasksGeneration);
  const now = deps.clock();
  if (connector.targetState === 'PAUSED') {
    // Live invocations pause themselves; a task with none is simply PAUSED.
    for (const task of tasks) {
      if ((!task.lease || task.lease.expiresAt <= now) && task.state !== 'PAUSED' && task.state !== 'FAILED') {
        await deps.store.setTaskState(connector.name, task.task, null, { state: 'PAUSED' });
      }
    }
    if (sink) await deps.sinks?.sync(connector.name, connector.config, false);
    return;
  }
  if (connector.targetState !== 'RUNNING') return;
  // A sink's batches come from its event source mappings, not from worker invocations.
  if (sink) return await reconcileSink(connector, tasks, deps, now);

  for (const task of tasks) {
    if (task.lease && task.lease.expiresAt > now) continue;
    if (task.state === 'FAILED' && !restartDue(connector, task, deps, now)) continue;
    if (!(await deps.store.claimLaunch(connector.name, task.task, deps.coordinatorId, deps.settings.launchGraceMs))) continue;
    if (task.state === 'FAILED') {
      const restartCount = task.restartCount + 1;
      await deps.store.setTaskState(connector.name, task.task, null, { state: 'RESTARTING', restartCount, nextRestartAt: null });
      deps.logger.info('auto restart of failed task', { connector: connector.name, task: task.task, restartCount });
    }
    await deps.invokeWorker({ connector: connector.name, task: task.task });
    summary.launched.push({ connector: connector.name, task: task.task });
    deps.logger.info('worker invoked', { connector: connector.name, task: task.task, previousLease: task.lease?.epoch });
  }
}

function restartDue(connector: ConnectorItem, task: TaskItem, deps: CoordinatorDeps, now: number): boolean {
  if (connector.config['slipway.auto.restart.enabled']?.trim().toLowerCase() !== 'true') return false;
  const max = Number(connector.config['slipway.auto.restart.max.restarts'] ?? -1);
  if (max >= 0 && task.restartCount >= max) return false;
  const s = deps.settings;
  const delay = Math.min(s.autoRestartMaxDelayMs, s.autoRestartInitialDelayMs * 2 ** Math.min(task.restartCount, 30));
  return now >= task.updatedAt + delay;
}

/**
 * A sink's mappings consume while its task is not FAILED: a broken target is not
 * hammered. Auto restart clears FAILED after its backoff, and the mapping resumes.
 */
async function reconcileSink(connector: ConnectorItem, tasks: TaskItem[], deps: CoordinatorDeps, now: number): Promise<void> {
  let failed = false;
  for (const task of tasks) {
    if (task.state !== 'FAILED') continue;
    if (!restartDue(connector, task, deps, now)) {
      failed = true;
      continue;
    }
    const restartCount = task.restartCount + 1;
    await deps.store.setTaskState(connector.name, task.task, null, { state: 'RESTARTING', restartCount, nextRestartAt: null });
    deps.logger.info('auto restart of failed sink task', { connector: connector.name, task: task.task, restartCount });
  }
  await deps.sinks?.sync(connector.name, connector.config, !failed);
}

function pluginTypeOf(connector: ConnectorItem, deps: CoordinatorDeps): 'source' | 'sink' | undefined {
  return deps.registry.findConnector(connector.config['connector.class'] ?? '')?.type;
}

/** Computes and stores the task configs of the connector's current generation. */
async function writeTasks(connector: ConnectorItem, deps: CoordinatorDeps): Promise<boolean> {
  const { registry, store, logger } = deps;
  let configs: Record<string, string>[];
  try {
    // The REST API checked the raw config; here placeholders are resolved, so fields holding them are checked too.
    const checked = await checkConnectorConfig(connector.config, { registry, resolve: { env: deps.env }, pluginValidate: false });
    const { resolved, connector: instance } = checked;
    const tasksMax = checked.values['tasks.max'] as number;
    await instance.start(resolved, { connectorName: connector.name, logger: logger.child({ connector: connector.name }) });
    try {
      configs = (await instance.taskConfigs(tasksMax)).slice(0, tasksMax);
    } finally {
      await instance.stop();
    }
    configs = configs.map((c) => reverseResolve(c, connector.config, resolved));
  } catch (err) {
    logger.warn('connector failed to compute task configs', { connector: connector.name, error: err instanceof Error ? err.message : String(err) });
    await store.setConnectorStatus(connector.name, { state: 'FAILED', trace: traceOf(err) });
    return false;
  }
  try {
    await store.writeTaskConfigs(connector.name, connector.generation, configs);
  } catch (err) {
    if (err instanceof ConflictError) return true; // a newer generation won; the next pass handles it
    throw err;
  }
  await store.setConnectorStatus(connector.name, { state: 'RUNNING', workerId: deps.coordinatorId });
  logger.info('task configs written', { connector: connector.name, generation: connector.generation, tasks: configs.length });
  return true;
}

/** Puts placeholders back where a task config carries a value resolved from one, so no secret is stored. */
function reverseResolve(task: Record<string, string>, raw: Record<string, string>, resolved: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(task)) {
    const original = raw[k];
    out[k] = original !== undefined && hasPlaceholder(original) && resolved[k] === v ? original : v;
  }
  return out;
}
