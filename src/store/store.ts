// Connector configs, task leases and source offsets in one DynamoDB table.
//
// Invariants this file enforces:
// - Only single-item writes (dynalite has no transactions; they also cost half
//   of a transaction in AWS). Every write that can race is conditional
//   (ConditionExpression), and a failed condition becomes a typed error.
// - Fencing: each lease acquisition takes a new epoch, strictly larger than any
//   before it for the connector (an atomic ADD on the config item). Every write
//   an invocation makes — renewal, release, task state, offsets — is
//   conditional on that epoch, so a paused "zombie" invocation can never
//   overwrite its successor's work; it gets FencedError and must stop.
// - Reads are strongly consistent: a decision about a lease must not rest on a
//   stale copy.
// - Time comes from the injected clock, so lease expiry is testable without sleeping.
import {
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { ConflictError, FencedError, NotFoundError } from '../connect/errors.js';
import {
  n,
  s,
  statusMap,
  stringMap,
  toConnector,
  toOffset,
  toTask,
  type ConnectorItem,
  type ConnectorStatus,
  type Item,
  type LeaseGrant,
  type OffsetItem,
  type TargetState,
  type TaskItem,
  type TaskState,
} from './items.js';
import { CONFIG_SK, OFFSET_SK_PREFIX, TASK_SK_PREFIX, canonicalJson, configKey, connectorPk, offsetKey, taskKey, type ItemKey } from './keys.js';

export interface StoreOptions {
  client: DynamoDBClient;
  table: string;
  clock?: () => number;
  /** Items per Query/Scan page; DynamoDB's 1 MB pages when absent. Small values exercise pagination in tests. */
  pageSize?: number;
}

export interface TaskStateFields {
  state: TaskState;
  /** null removes it. */
  trace?: string | null;
  workerId?: string;
  restartCount?: number;
  /** null removes it. */
  nextRestartAt?: number | null;
}

/** How often putConnectorConfig retries its compare-and-set under concurrent writers. */
const CONFIG_CAS_ATTEMPTS = 10;

export class Store {
  private readonly client: DynamoDBClient;
  private readonly table: string;
  private readonly clock: () => number;
  private readonly pageSize: number | undefined;

  constructor(opts: StoreOptions) {
    this.client = opts.client;
    this.table = opts.table;
    this.clock = opts.clock ?? Date.now;
    this.pageSize = opts.pageSize;
  }

  // ---- connectors -------------------------------------------------------

  /** ConflictError if a connector of that name exists. */
  async createConnector(name: string, config: Record<string, string>, targetState: TargetState = 'RUNNING'): Promise<ConnectorItem> {
    const now = this.clock();
    const connector: ConnectorItem = {
      name,
      config: { ...config },
      targetState,
      generation: 1,
      // Not 0: see keys.ts (epochs stay larger than a deleted namesake's).
      epoch: now,
      taskCount: 0,
      tasksGeneration: 0,
      status: { state: 'UNASSIGNED' },
      topics: [],
      createdAt: now,
      updatedAt: now,
    };
    const item: Item = {
      ...keyItem(configKey(name)),
      name: s(name),
      config: stringMap(connector.config),
      targetState: s(targetState),
      generation: n(connector.generation),
      epoch: n(connector.epoch),
      taskCount: n(0),
      tasksGeneration: n(0),
      status: statusMap(connector.status),
      createdAt: n(now),
      updatedAt: n(now),
    };
    const created = await this.put(item, (e) => `attribute_not_exists(${e.name('PK')})`);
    if (!created) throw new ConflictError(`Connector ${name} already exists`);
    return connector;
  }

  /** Creates or updates; the generation goes up by one on every change, and only on a change. */
  async putConnectorConfig(name: string, config: Record<string, string>): Promise<{ created: boolean; connector: ConnectorItem }> {
    for (let attempt = 0; attempt < CONFIG_CAS_ATTEMPTS; attempt++) {
      const current = await this.getConnector(name);
      if (!current) {
        try {
          return { created: true, connector: await this.createConnector(name, config) };
        } catch (err) {
          if (err instanceof ConflictError) continue; // created concurrently: update it instead
          throw err;
        }
      }
      if (sameStringMap(current.config, config)) return { created: false, connector: current };
      const updated = await this.update(
        configKey(name),
        { set: { config: stringMap(config), generation: n(current.generation + 1), updatedAt: n(this.clock()) } },
        (e) => `${e.name('generation')} = ${e.value(n(current.generation))}`,
      );
      if (updated) return { created: false, connector: toConnector(updated) };
    }
    throw new ConflictError(`Connector ${name} is being changed concurrently; try again`);
  }

  async getConnector(name: string): Promise<ConnectorItem | undefined> {
    const item = await this.get(configKey(name));
    return item && toConnector(item);
  }

  /**
   * A Scan filtered to config items. A control-plane table holds few
   * connectors, and the alternatives cost more than they save: a GSI must be
   * declared in template.yaml and exist in every emulator, and an index item
   * listing the names would be a second write per create or delete, which
   * without transactions can diverge from the config items.
   */
  async listConnectors(): Promise<ConnectorItem[]> {
    const items = await this.collect((ExclusiveStartKey) =>
      this.client.send(
        new ScanCommand({
          TableName: this.table,
          FilterExpression: '#SK = :config',
          ExpressionAttributeNames: { '#SK': 'SK' },
          ExpressionAttributeValues: { ':config': s(CONFIG_SK) },
          ConsistentRead: true,
          Limit: this.pageSize,
          ExclusiveStartKey,
        }),
      ),
    );
    return items.map(toConnector).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** NotFoundError if there is no such connector. */
  async setTargetState(name: string, state: TargetState): Promise<ConnectorItem> {
    const updated = await this.update(configKey(name), { set: { targetState: s(state), updatedAt: n(this.clock()) } }, exists);
    if (!updated) throw connectorNotFound(name);
    return toConnector(updated);
  }

  /** NotFoundError if there is no such connector. */
  /** Records topics the connector used (a string set: adding one twice keeps one). */
  async addConnectorTopics(name: string, topics: readonly string[]): Promise<void> {
    if (topics.length === 0) return;
    const updated = await this.update(configKey(name), { add: { topics: { SS: [...new Set(topics)] } } }, exists);
    if (!updated) throw connectorNotFound(name);
  }

  /** PUT /connectors/{name}/topics/reset: forget the topics used so far. */
  async resetConnectorTopics(name: string): Promise<void> {
    const updated = await this.update(configKey(name), { remove: ['topics'], set: { updatedAt: n(this.clock()) } }, exists);
    if (!updated) throw connectorNotFound(name);
  }

  async setConnectorStatus(name: string, status: ConnectorStatus): Promise<void> {
    const updated = await this.update(configKey(name), { set: { status: statusMap(status), updatedAt: n(this.clock()) } }, exists);
    if (!updated) throw connectorNotFound(name);
  }

  /**
   * Deletes the config item first (the connector is gone for every reader at
   * once), then each task and offset item. A live invocation of a deleted task
   * is fenced on its next lease write. Leftovers of an interrupted delete are
   * swept by the next delete of the name. NotFoundError if there was no config item.
   */
  async deleteConnector(name: string): Promise<void> {
    const out = await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: keyItem(configKey(name)), ReturnValues: 'ALL_OLD' }));
    // The sweep skips the config item: a namesake may have been created meanwhile.
    const rest = (await this.queryKeys(name, '')).filter((key) => key.SK.S !== CONFIG_SK);
    await settleAll(rest.map((key) => this.client.send(new DeleteItemCommand({ TableName: this.table, Key: key }))));
    if (!out.Attributes) throw connectorNotFound(name);
  }

  // ---- tasks ------------------------------------------------------------

  /**
   * Writes task#0..n-1 for `generation`, deletes tasks ≥ n, then records
   * taskCount/tasksGeneration on the connector. A new generation resets each
   * task to UNASSIGNED but keeps its lease, so a live invocation sees the
   * generation change on its next renewal and stops. Each write is conditional
   * on not going back in generation, so a slower coordinator cannot overwrite
   * a newer one's work (ConflictError). Rewriting the same generation is a no-op.
   *
   * Without transactions a writer that loses the race may still have created
   * task items past the winner's count (or for a connector deleted meanwhile);
   * it deletes what it wrote before
   * throwing. Should it die first, such leftovers (task ≥ the connector's
   * taskCount, or generation ≠ its tasksGeneration) are swept by the next
   * rewrite; readers bound tasks by taskCount.
   */
  async writeTaskConfigs(name: string, generation: number, configs: Record<string, string>[]): Promise<void> {
    const connector = await this.getConnector(name);
    if (!connector) throw connectorNotFound(name);
    if (connector.generation !== generation) throw staleGeneration(name, generation, connector.generation);
    try {
      await this.writeTaskItems(name, generation, configs);
    } catch (err) {
      // Out-raced by a newer generation, or the connector was deleted meanwhile.
      if (err instanceof ConflictError || err instanceof NotFoundError) await this.deleteTasksOfGeneration(name, generation);
      throw err;
    }
  }

  private async writeTaskItems(name: string, generation: number, configs: Record<string, string>[]): Promise<void> {
    await settleAll(configs.map((config, task) => this.writeTaskConfig(name, task, generation, config)));

    const existing = await this.queryItems(name, TASK_SK_PREFIX, ['PK', 'SK', 'task']);
    const surplus = existing.filter((item) => Number(item.task?.N) >= configs.length);
    await settleAll(
      surplus.map(async (item) => {
        const deleted = await this.delete(
          { PK: item.PK.S!, SK: item.SK.S! },
          (e) => `attribute_not_exists(${e.name('PK')}) OR ${e.name('generation')} <= ${e.value(n(generation))}`,
        );
        if (!deleted) throw new ConflictError(`Task ${name}/${item.task?.N} belongs to a generation newer than ${generation}`);
      }),
    );

    const updated = await this.update(
      configKey(name),
      { set: { taskCount: n(configs.length), tasksGeneration: n(generation), updatedAt: n(this.clock()) } },
      (e) => `attribute_exists(${e.name('PK')}) AND ${e.name('generation')} = ${e.value(n(generation))}`,
    );
    if (!updated) {
      const current = await this.getConnector(name);
      if (!current) throw connectorNotFound(name);
      throw staleGeneration(name, generation, current.generation);
    }
  }

  /** A stale writer's clean-up: only items still at its generation, which no newer writer needs. */
  private async deleteTasksOfGeneration(name: string, generation: number): Promise<void> {
    const tasks = await this.queryItems(name, TASK_SK_PREFIX, ['PK', 'SK', 'generation']);
    const stale = tasks.filter((item) => Number(item.generation?.N) === generation);
    await settleAll(
      stale.map((item) => this.delete({ PK: item.PK.S!, SK: item.SK.S! }, (e) => `${e.name('generation')} = ${e.value(n(generation))}`)),
    );
  }

  private async writeTaskConfig(name: string, task: number, generation: number, config: Record<string, string>): Promise<void> {
    const written = await this.update(
      taskKey(name, task),
      {
        set: {
          connector: s(name),
          task: n(task),
          config: stringMap(config),
          generation: n(generation),
          state: s('UNASSIGNED'),
          restartCount: n(0),
          updatedAt: n(this.clock()),
        },
        remove: ['trace', 'nextRestartAt', 'workerId'],
      },
      (e) => `attribute_not_exists(${e.name('generation')}) OR ${e.name('generation')} < ${e.value(n(generation))}`,
    );
    if (written) return;
    const current = await this.getTask(name, task);
    if (current?.generation === generation) return; // already written for this generation
    throw new ConflictError(`Task ${name}/${task} belongs to generation ${current?.generation ?? '(deleted)'}, not ${generation}`);
  }

  /** Sorted by task id. */
  async listTasks(name: string): Promise<TaskItem[]> {
    const items = await this.queryItems(name, TASK_SK_PREFIX);
    return items.map(toTask).sort((a, b) => a.task - b.task);
  }

  async getTask(name: string, task: number): Promise<TaskItem | undefined> {
    const item = await this.get(taskKey(name, task));
    return item && toTask(item);
  }

  // ---- leases -----------------------------------------------------------

  /**
   * Coordinator: claim the right to start an invocation for a task, so two
   * coordinators never both invoke. Succeeds only if the task exists, has no
   * live lease (absent or expiresAt < now) and no launch claim younger than
   * launchGraceMs.
   */
  async claimLaunch(name: string, task: number, coordinatorId: string, launchGraceMs: number): Promise<boolean> {
    const now = this.clock();
    const claimed = await this.update(taskKey(name, task), { set: { launchBy: s(coordinatorId), launchAt: n(now) } }, (e) => {
      const launchAt = e.name('launchAt');
      return (
        `attribute_exists(${e.name('PK')}) AND ${leaseFree(e, now)}` +
        ` AND (attribute_not_exists(${launchAt}) OR ${launchAt} <= ${e.value(n(now - launchGraceMs))})`
      );
    });
    return claimed !== undefined;
  }

  /**
   * Worker: take the task's lease with a new epoch, strictly larger than any
   * before for this connector. Null when another live lease holds it.
   * FencedError when `generation` is given and the task's differs (its config
   * moved on); NotFoundError when the connector or task is gone. Sets state
   * RUNNING and workerId, clears the launch claim and any old trace.
   */
  async acquireLease(
    name: string,
    task: number,
    owner: string,
    ttlMs: number,
    generation?: number,
    /** A successor invoked before its predecessor finished must not revive a task that then FAILED. */
    opts: { unlessFailed?: boolean } = {},
  ): Promise<LeaseGrant | null> {
    // The epoch is taken first, so a failed acquisition only skips a number.
    const counter = await this.update(configKey(name), { add: { epoch: n(1) } }, exists);
    if (!counter) throw connectorNotFound(name);
    const epoch = Number(counter.epoch.N);

    const now = this.clock();
    const expiresAt = now + ttlMs;
    const acquired = await this.update(
      taskKey(name, task),
      {
        set: { leaseOwner: s(owner), leaseEpoch: n(epoch), leaseExpiresAt: n(expiresAt), state: s('RUNNING'), workerId: s(owner), updatedAt: n(now) },
        remove: ['launchBy', 'launchAt', 'trace', 'nextRestartAt'],
      },
      (e) =>
        `attribute_exists(${e.name('PK')}) AND ${leaseFree(e, now)}` +
        (generation === undefined ? '' : ` AND ${e.name('generation')} = ${e.value(n(generation))}`) +
        (opts.unlessFailed ? ` AND ${e.name('state')} <> ${e.value(s('FAILED'))}` : ''),
    );
    if (acquired) return { owner, epoch, expiresAt, generation: Number(acquired.generation.N) };

    const current = await this.getTask(name, task);
    if (!current) throw new NotFoundError(`Task ${name}/${task} not found`);
    if (opts.unlessFailed && current.state === 'FAILED') return null;
    if (generation !== undefined && current.generation !== generation) {
      throw new FencedError(`Task ${name}/${task} is at generation ${current.generation}, not ${generation}`);
    }
    return null;
  }

  /** Extends the lease to now + ttlMs. FencedError when the lease's epoch is no longer `epoch`. */
  async renewLease(name: string, task: number, epoch: number, ttlMs: number): Promise<LeaseGrant> {
    const now = this.clock();
    const renewed = await this.update(taskKey(name, task), { set: { leaseExpiresAt: n(now + ttlMs), updatedAt: n(now) } }, (e) => holdsLease(e, epoch));
    if (!renewed) throw leaseLost(name, task, epoch);
    return { owner: renewed.leaseOwner.S!, epoch, expiresAt: now + ttlMs, generation: Number(renewed.generation.N) };
  }

  /** Gives the lease up, so a successor need not wait for expiry. FencedError when it is no longer ours. */
  async releaseLease(name: string, task: number, epoch: number): Promise<void> {
    const released = await this.update(
      taskKey(name, task),
      { set: { updatedAt: n(this.clock()) }, remove: ['leaseOwner', 'leaseEpoch', 'leaseExpiresAt'] },
      (e) => holdsLease(e, epoch),
    );
    if (!released) throw leaseLost(name, task, epoch);
  }

  /**
   * With an epoch (an invocation): conditional on holding the lease, FencedError
   * otherwise. With null (coordinator, REST restart): NotFoundError if the task is gone.
   */
  async setTaskState(name: string, task: number, epoch: number | null, fields: TaskStateFields): Promise<void> {
    const set: Record<string, AttributeValue> = { state: s(fields.state), updatedAt: n(this.clock()) };
    const remove: string[] = [];
    if (typeof fields.trace === 'string') set.trace = s(fields.trace);
    else if (fields.trace === null) remove.push('trace');
    if (fields.workerId !== undefined) set.workerId = s(fields.workerId);
    if (fields.restartCount !== undefined) set.restartCount = n(fields.restartCount);
    if (typeof fields.nextRestartAt === 'number') set.nextRestartAt = n(fields.nextRestartAt);
    else if (fields.nextRestartAt === null) remove.push('nextRestartAt');

    const updated = await this.update(taskKey(name, task), { set, remove }, (e) =>
      epoch === null ? `attribute_exists(${e.name('PK')})` : holdsLease(e, epoch),
    );
    if (updated) return;
    if (epoch !== null) throw leaseLost(name, task, epoch);
    throw new NotFoundError(`Task ${name}/${task} not found`);
  }

  // ---- offsets ----------------------------------------------------------

  async readOffsets(name: string): Promise<OffsetItem[]> {
    const items = await this.queryItems(name, OFFSET_SK_PREFIX);
    return items.map(toOffset);
  }

  /**
   * Fenced: written only if the item is new or was last written by this epoch
   * or an older one, so an older invocation can never overwrite its
   * successor's offsets. FencedError otherwise.
   */
  async writeOffset(name: string, partition: Record<string, unknown>, offset: Record<string, unknown> | null, epoch: number): Promise<void> {
    const item: Item = {
      ...keyItem(offsetKey(name, partition)),
      partition: s(canonicalJson(partition)),
      offset: s(offset === null ? 'null' : canonicalJson(offset)),
      epoch: n(epoch),
      updatedAt: n(this.clock()),
    };
    const written = await this.put(item, (e) => {
      const attr = e.name('epoch');
      return `attribute_not_exists(${attr}) OR ${attr} <= ${e.value(n(epoch))}`;
    });
    if (!written) throw new FencedError(`Offsets of ${name} were written by an epoch newer than ${epoch}`);
  }

  /** Each entry a single-item write, in parallel. All are attempted; the first failure is thrown. */
  async writeOffsets(name: string, entries: { partition: Record<string, unknown>; offset: Record<string, unknown> | null }[], epoch: number): Promise<void> {
    await settleAll(entries.map((entry) => this.writeOffset(name, entry.partition, entry.offset, epoch)));
  }

  /** Admin (connector STOPPED): not fenced. */
  async deleteOffsets(name: string): Promise<void> {
    const keys = await this.queryKeys(name, OFFSET_SK_PREFIX);
    await settleAll(keys.map((key) => this.client.send(new DeleteItemCommand({ TableName: this.table, Key: key }))));
  }

  /** Admin (connector STOPPED): not fenced. */
  async resetOffset(name: string, partition: Record<string, unknown>): Promise<void> {
    await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: keyItem(offsetKey(name, partition)) }));
  }

  // ---- single-item primitives --------------------------------------------

  private async get(key: ItemKey): Promise<Item | undefined> {
    const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: keyItem(key), ConsistentRead: true }));
    return out.Item;
  }

  /** The item as written, or undefined when the condition failed. */
  private async update(key: ItemKey, spec: UpdateSpec, condition?: Condition): Promise<Item | undefined> {
    const e = new Expression();
    const UpdateExpression = updateExpression(e, spec);
    const ConditionExpression = condition?.(e);
    return ifCondition(async () => {
      const out = await this.client.send(
        new UpdateItemCommand({ TableName: this.table, Key: keyItem(key), UpdateExpression, ConditionExpression, ...e.params(), ReturnValues: 'ALL_NEW' }),
      );
      return out.Attributes ?? {};
    });
  }

  /** False when the condition failed. */
  private async put(item: Item, condition: Condition): Promise<boolean> {
    const e = new Expression();
    const ConditionExpression = condition(e);
    const done = await ifCondition(async () => {
      await this.client.send(new PutItemCommand({ TableName: this.table, Item: item, ConditionExpression, ...e.params() }));
      return true;
    });
    return done === true;
  }

  /** False when the condition failed. */
  private async delete(key: ItemKey, condition: Condition): Promise<boolean> {
    const e = new Expression();
    const ConditionExpression = condition(e);
    const done = await ifCondition(async () => {
      await this.client.send(new DeleteItemCommand({ TableName: this.table, Key: keyItem(key), ConditionExpression, ...e.params() }));
      return true;
    });
    return done === true;
  }

  /** The connector's items whose sort key starts with `prefix` ('' for all), every page. */
  private queryItems(name: string, prefix: string, projection?: string[]): Promise<Item[]> {
    const e = new Expression();
    const pk = `${e.name('PK')} = ${e.value(s(connectorPk(name)))}`;
    const KeyConditionExpression = prefix ? `${pk} AND begins_with(${e.name('SK')}, ${e.value(s(prefix))})` : pk;
    const ProjectionExpression = projection?.map((attr) => e.name(attr)).join(', ');
    return this.collect((ExclusiveStartKey) =>
      this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression,
          ProjectionExpression,
          ...e.params(),
          ConsistentRead: true,
          Limit: this.pageSize,
          ExclusiveStartKey,
        }),
      ),
    );
  }

  private async queryKeys(name: string, prefix: string): Promise<Item[]> {
    const items = await this.queryItems(name, prefix, ['PK', 'SK']);
    return items.map((item) => ({ PK: item.PK, SK: item.SK }));
  }

  private async collect(page: (startKey: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>): Promise<Item[]> {
    const items: Item[] = [];
    let startKey: Item | undefined;
    do {
      const out = await page(startKey);
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }
}

// ---- expressions ----------------------------------------------------------

type Condition = (e: Expression) => string;

interface UpdateSpec {
  set?: Record<string, AttributeValue>;
  remove?: string[];
  /** Atomic numeric increments, or additions to a set. */
  add?: Record<string, AttributeValue>;
}

/**
 * Placeholders for one request. Every attribute goes through a #name, so
 * DynamoDB's reserved words (name, status, state, offset, …) need no thought.
 */
class Expression {
  private readonly names: Record<string, string> = {};
  private readonly values: Record<string, AttributeValue> = {};
  private count = 0;

  name(attr: string): string {
    const placeholder = `#${attr}`;
    this.names[placeholder] = attr;
    return placeholder;
  }

  value(v: AttributeValue): string {
    const placeholder = `:v${this.count++}`;
    this.values[placeholder] = v;
    return placeholder;
  }

  /** DynamoDB rejects empty maps, so absent rather than empty. */
  params(): { ExpressionAttributeNames?: Record<string, string>; ExpressionAttributeValues?: Record<string, AttributeValue> } {
    return {
      ...(Object.keys(this.names).length ? { ExpressionAttributeNames: this.names } : {}),
      ...(this.count ? { ExpressionAttributeValues: this.values } : {}),
    };
  }
}

function updateExpression(e: Expression, spec: UpdateSpec): string {
  const clauses: string[] = [];
  const set = Object.entries(spec.set ?? {}).map(([attr, v]) => `${e.name(attr)} = ${e.value(v)}`);
  if (set.length) clauses.push(`SET ${set.join(', ')}`);
  const remove = (spec.remove ?? []).map((attr) => e.name(attr));
  if (remove.length) clauses.push(`REMOVE ${remove.join(', ')}`);
  const add = Object.entries(spec.add ?? {}).map(([attr, v]) => `${e.name(attr)} ${e.value(v)}`);
  if (add.length) clauses.push(`ADD ${add.join(', ')}`);
  return clauses.join(' ');
}

const exists: Condition = (e) => `attribute_exists(${e.name('PK')})`;

/** No lease, or one that expired before `now`. */
function leaseFree(e: Expression, now: number): string {
  return `(attribute_not_exists(${e.name('leaseEpoch')}) OR ${e.name('leaseExpiresAt')} < ${e.value(n(now))})`;
}

function holdsLease(e: Expression, epoch: number): string {
  return `${e.name('leaseEpoch')} = ${e.value(n(epoch))}`;
}

/**
 * Like Promise.all, but waits for every write to settle before throwing the
 * first failure, so no write is still in flight when the caller reacts to it.
 */
async function settleAll<T>(writes: Promise<T>[]): Promise<T[]> {
  const results = await Promise.allSettled(writes);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return results.map((r) => (r as PromiseFulfilledResult<T>).value);
}

/** Runs a conditional write; undefined when its condition failed. */
async function ifCondition<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if ((err as Error).name === 'ConditionalCheckFailedException') return undefined;
    throw err;
  }
}

function keyItem(key: ItemKey): Item {
  return { PK: s(key.PK), SK: s(key.SK) };
}

function sameStringMap(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

function connectorNotFound(name: string): NotFoundError {
  return new NotFoundError(`Connector ${name} not found`);
}

function staleGeneration(name: string, generation: number, current: number): ConflictError {
  return new ConflictError(`Connector ${name} is at generation ${current}, not ${generation}`);
}

function leaseLost(name: string, task: number, epoch: number): FencedError {
  return new FencedError(`Lease of ${name}/${task} with epoch ${epoch} is no longer held`);
}
