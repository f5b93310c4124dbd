// The REST API's response bodies, in Kafka Connect's shapes, from store items:
//
//   info    {name, config, tasks: [{connector, task}], type}
//   status  {name, connector: {state, worker_id, trace?}, tasks: [{id, state, worker_id, trace?}], type}
//   tasks   [{id: {connector, task}, config}]
//
// Configs are always masked (maskSecrets with the plugin's spec) and traces
// scrubbed of literal secrets; placeholders are shown as written.
// A connector's current tasks are the task items of its tasksGeneration below
// its taskCount (leftovers of an interrupted rewrite are not tasks); a STOPPED
// connector has none, as in Kafka Connect.
import { maskSecrets } from '../connect/config/config-def.js';
import type { ConnectorItem, TaskItem, TaskState } from '../store/index.js';
import { connectorTypeOf, scrubSecrets, type ResolvedPlugin } from './config-check.js';

/** worker_id of a connector or task that no invocation has run yet. */
export const NO_WORKER = 'unassigned';

export type ConnectorStateName = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'RESTARTING';

export interface StateInfo {
  state: ConnectorStateName | TaskState;
  worker_id: string;
  trace?: string;
}

export interface TaskStateInfo extends StateInfo {
  id: number;
}

export interface ConnectorStatusInfo {
  name: string;
  connector: StateInfo;
  tasks: TaskStateInfo[];
  type: string;
}

export interface ConnectorInfo {
  name: string;
  config: Record<string, string>;
  tasks: { connector: string; task: number }[];
  type: string;
}

export function currentTasks(connector: ConnectorItem, tasks: readonly TaskItem[]): TaskItem[] {
  if (connector.targetState === 'STOPPED') return [];
  return tasks.filter((t) => t.generation === connector.tasksGeneration && t.task < connector.taskCount).sort((a, b) => a.task - b.task);
}

export function connectorInfo(connector: ConnectorItem, tasks: readonly TaskItem[], found: ResolvedPlugin | undefined): ConnectorInfo {
  return {
    name: connector.name,
    config: maskSecrets(connector.config, found?.spec),
    tasks: currentTasks(connector, tasks).map((t) => ({ connector: connector.name, task: t.task })),
    type: connectorTypeOf(found),
  };
}

/**
 * FAILED (with its trace) when the coordinator failed it; else PAUSED/STOPPED
 * from the target state; else RUNNING once it has tasks, UNASSIGNED before.
 */
export function connectorState(connector: ConnectorItem, found: ResolvedPlugin | undefined): StateInfo {
  const worker_id = connector.status.workerId ?? NO_WORKER;
  if (connector.status.state === 'FAILED') {
    return { state: 'FAILED', worker_id, trace: scrubSecrets(connector.status.trace ?? '', connector.config, found?.spec) };
  }
  if (connector.targetState !== 'RUNNING') return { state: connector.targetState, worker_id };
  const running = connector.status.state === 'RUNNING' || connector.tasksGeneration > 0;
  return { state: running ? 'RUNNING' : 'UNASSIGNED', worker_id };
}

export function taskState(connector: ConnectorItem, task: TaskItem, found: ResolvedPlugin | undefined): TaskStateInfo {
  const info: TaskStateInfo = { id: task.task, state: task.state, worker_id: task.workerId ?? task.lease?.owner ?? NO_WORKER };
  if (task.state === 'FAILED') info.trace = scrubSecrets(task.trace ?? '', { ...connector.config, ...task.config }, found?.spec);
  return info;
}

export function connectorStatus(connector: ConnectorItem, tasks: readonly TaskItem[], found: ResolvedPlugin | undefined): ConnectorStatusInfo {
  return {
    name: connector.name,
    connector: connectorState(connector, found),
    tasks: currentTasks(connector, tasks).map((t) => taskState(connector, t, found)),
    type: connectorTypeOf(found),
  };
}

export function taskConfigs(connector: ConnectorItem, tasks: readonly TaskItem[], found: ResolvedPlugin | undefined): { id: { connector: string; task: number }; config: Record<string, string> }[] {
  return currentTasks(connector, tasks).map((t) => ({ id: { connector: connector.name, task: t.task }, config: maskSecrets(t.config, found?.spec) }));
}
