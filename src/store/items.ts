// The store's records and their DynamoDB attribute form (shapes: keys.ts).
import type { AttributeValue } from '@aws-sdk/client-dynamodb';

export type TargetState = 'RUNNING' | 'PAUSED' | 'STOPPED';
export type TaskState = 'UNASSIGNED' | 'RUNNING' | 'PAUSED' | 'FAILED' | 'RESTARTING';
export type ConnectorState = 'RUNNING' | 'PAUSED' | 'STOPPED' | 'FAILED' | 'UNASSIGNED';

export interface ConnectorStatus {
  state: ConnectorState;
  trace?: string;
  workerId?: string;
}

export interface ConnectorItem {
  name: string;
  /** Raw, placeholders (`${file:…}`) unresolved. */
  config: Record<string, string>;
  targetState: TargetState;
  /** Bumps on every config change. */
  generation: number;
  /** The last fencing epoch issued for this connector. */
  epoch: number;
  taskCount: number;
  /** The generation the task items were written for. */
  tasksGeneration: number;
  status: ConnectorStatus;
  /** Topics the connector's tasks produced to (GET /connectors/{name}/topics), until a reset. */
  topics: string[];
  createdAt: number;
  updatedAt: number;
}

export interface Lease {
  /** Worker id. */
  owner: string;
  epoch: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** A lease as acquired or renewed, with the task's config generation at that moment. */
export interface LeaseGrant extends Lease {
  /** When this differs from the generation the invocation started with, its config is stale: stop. */
  generation: number;
}

export interface TaskItem {
  connector: string;
  task: number;
  config: Record<string, string>;
  generation: number;
  lease?: Lease;
  state: TaskState;
  workerId?: string;
  trace?: string;
  restartCount: number;
  nextRestartAt?: number;
  /** A coordinator's claim that it invoked a worker. */
  launch?: { by: string; at: number };
  updatedAt: number;
}

export interface OffsetItem {
  partition: Record<string, unknown>;
  offset: Record<string, unknown> | null;
  epoch: number;
}

export type Item = Record<string, AttributeValue>;

export const s = (value: string): AttributeValue => ({ S: value });
export const n = (value: number): AttributeValue => ({ N: String(value) });

export function stringMap(map: Record<string, string>): AttributeValue {
  const out: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(map)) {
    if (typeof value !== 'string') throw new TypeError(`config value of ${key} must be a string, got ${typeof value}`);
    out[key] = { S: value };
  }
  return { M: out };
}

export function statusMap(status: ConnectorStatus): AttributeValue {
  const out: Record<string, AttributeValue> = { state: s(status.state) };
  if (status.trace !== undefined) out.trace = s(status.trace);
  if (status.workerId !== undefined) out.workerId = s(status.workerId);
  return { M: out };
}

function optS(item: Item, attr: string): string | undefined {
  return item[attr]?.S;
}

function optN(item: Item, attr: string): number | undefined {
  const v = item[attr]?.N;
  return v === undefined ? undefined : Number(v);
}

function reqS(item: Item, attr: string): string {
  const v = optS(item, attr);
  if (v === undefined) throw new Error(`store item ${item.PK?.S}/${item.SK?.S} lacks string attribute ${attr}`);
  return v;
}

function reqN(item: Item, attr: string): number {
  const v = optN(item, attr);
  if (v === undefined) throw new Error(`store item ${item.PK?.S}/${item.SK?.S} lacks number attribute ${attr}`);
  return v;
}

function readStringMap(item: Item, attr: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(item[attr]?.M ?? {})) out[key] = value.S ?? '';
  return out;
}

export function toConnector(item: Item): ConnectorItem {
  const status = item.status?.M ?? {};
  return {
    name: reqS(item, 'name'),
    config: readStringMap(item, 'config'),
    targetState: reqS(item, 'targetState') as TargetState,
    generation: reqN(item, 'generation'),
    epoch: reqN(item, 'epoch'),
    taskCount: reqN(item, 'taskCount'),
    tasksGeneration: reqN(item, 'tasksGeneration'),
    status: {
      state: (optS(status, 'state') ?? 'UNASSIGNED') as ConnectorState,
      ...(status.trace?.S !== undefined ? { trace: status.trace.S } : {}),
      ...(status.workerId?.S !== undefined ? { workerId: status.workerId.S } : {}),
    },
    topics: [...(item.topics?.SS ?? [])].sort(),
    createdAt: reqN(item, 'createdAt'),
    updatedAt: reqN(item, 'updatedAt'),
  };
}

export function toLease(item: Item): Lease | undefined {
  const epoch = optN(item, 'leaseEpoch');
  if (epoch === undefined) return undefined;
  return { owner: reqS(item, 'leaseOwner'), epoch, expiresAt: reqN(item, 'leaseExpiresAt') };
}

export function toTask(item: Item): TaskItem {
  const task: TaskItem = {
    connector: reqS(item, 'connector'),
    task: reqN(item, 'task'),
    config: readStringMap(item, 'config'),
    generation: reqN(item, 'generation'),
    state: reqS(item, 'state') as TaskState,
    restartCount: optN(item, 'restartCount') ?? 0,
    updatedAt: reqN(item, 'updatedAt'),
  };
  const lease = toLease(item);
  if (lease) task.lease = lease;
  const workerId = optS(item, 'workerId');
  if (workerId !== undefined) task.workerId = workerId;
  const trace = optS(item, 'trace');
  if (trace !== undefined) task.trace = trace;
  const nextRestartAt = optN(item, 'nextRestartAt');
  if (nextRestartAt !== undefined) task.nextRestartAt = nextRestartAt;
  const launchBy = optS(item, 'launchBy');
  if (launchBy !== undefined) task.launch = { by: launchBy, at: reqN(item, 'launchAt') };
  return task;
}

export function toOffset(item: Item): OffsetItem {
  return {
    partition: JSON.parse(reqS(item, 'partition')) as Record<string, unknown>,
    offset: JSON.parse(reqS(item, 'offset')) as Record<string, unknown> | null,
    epoch: reqN(item, 'epoch'),
  };
}
