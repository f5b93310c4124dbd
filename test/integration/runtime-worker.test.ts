// The worker invocation and the coordinator's reconcile, in-process against a real
// dynalite and the embedded broker, with a test source connector whose behaviour
// each test sets: hand-off at the deadline, failure with a trace (secrets
// redacted), pause, task configs that keep placeholders, launch claims.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/connect/config/config-def.js';
import { Schema } from '../../src/connect/data/schema.js';
import type { SourceConnector, SourceTask, SourceTaskContext } from '../../src/connect/plugin.js';
import { sourceRecord, type SourceRecord } from '../../src/connect/record.js';
import { createPluginRegistry, type PluginRegistry } from '../../src/connect/registry.js';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createLogger } from '../../src/logging.js';
import { defaultCoordinatorSettings, reconcile, type CoordinatorDeps } from '../../src/runtime/coordinator.js';
import { runWorkerInvocation, type WorkerDeps, type WorkerEvent } from '../../src/runtime/worker.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';

const TABLE = 'slipway';
const logger = createLogger('test', { level: 'silent' });

// The test connector: emits `count` numbered records (one per poll, resuming from
// its offset), then throws when `fail.after` is reached.
const testSpec = defineConfig([
  { name: 'topic', type: 'string', required: true, importance: 'high', doc: 'target topic' },
  { name: 'count', type: 'int', default: 1000000, importance: 'low', doc: 'records to emit' },
  { name: 'fail.after', type: 'int', default: -1, importance: 'low', doc: 'throw at this record (-1: never)' },
  { name: 'db.password', type: 'password', default: null, importance: 'low', doc: 'a secret that must not leak' },
  { name: 'tasks.out', type: 'int', default: 1, importance: 'low', doc: 'tasks to create' },
]);

class TestTask implements SourceTask {
  private next = 0;
  private cfg!: ReturnType<typeof testSpec.parse>;
  private password = '';
  version() {
    return 'test';
  }
  async start(config: Readonly<Record<string, string>>, ctx: SourceTaskContext) {
    this.cfg = testSpec.parse(config);
    this.password = config['db.password'] ?? '';
    const stored = await ctx.offsetStorageReader.offset({ source: 'test' });
    this.next = typeof stored?.n === 'number' ? stored.n + 1 : 0;
  }
  async poll(): Promise<SourceRecord[] | null> {
    await new Promise((r) => setTimeout(r, 5));
    if (this.next === this.cfg['fail.after']) throw new Error(`database refused password ${this.password} at record ${this.next}`);
    if (this.next >= (this.cfg.count as number)) return null;
    const n = this.next++;
    return [sourceRecord({ topic: this.cfg.topic as string, key: null, valueSchema: Schema.STRING_SCHEMA, value: `r${n}`, sourcePartition: { source: 'test' }, sourceOffset: { n } })];
  }
  stop() {}
}

function testRegistry(): PluginRegistry {
  const registry = createPluginRegistry();
  registry.registerConnector({
    class: 'test.TestSourceConnector',
    type: 'source',
    version: 'test',
    create: (): SourceConnector => {
      let props: Record<string, string> = {};
      return {
        type: 'source',
        version: () => 'test',
        config: () => testSpec,
        start: (c) => void (props = { ...c }),
        taskConfigs: (max) => Array.from({ length: Math.min(max, Number(props['tasks.out'] ?? 1)) }, (_, i) => ({ ...props, 'task.index': String(i) })),
        stop: () => {},
        createTask: () => new TestTask(),
      };
    },
  });
  return registry;
}

let dynamo: RunningDynalite;
let client: DynamoDBClient;
let store: Store;
let broker: TestBroker;
let kafka: Kafka;
const registry = testRegistry();

beforeAll(async () => {
  [dynamo, broker] = await Promise.all([startDynalite(), startTestBroker()]);
  client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
  await ensureTable(client, TABLE);
  store = new Store({ client, table: TABLE });
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});

afterAll(async () => {
  client?.destroy();
  await dynamo?.close();
  await broker?.close();
});

function workerDeps(successors: WorkerEvent[], env: NodeJS.ProcessEnv = {}): WorkerDeps {
  return {
    store,
    registry,
    kafka,
    invokeSuccessor: async (e) => void successors.push(e),
    clock: Date.now,
    logger,
    workerId: 'test-host:1',
    env,
    settings: { leaseTtlMs: 5_000, renewIntervalMs: 300, safetyBufferMs: 500, offsetFlushIntervalMs: 200, handoffWaitMs: 1_000 },
  };
}

function coordinatorDeps(launched: WorkerEvent[], id = 'coord-a', env: NodeJS.ProcessEnv = {}): CoordinatorDeps {
  return { store, registry, invokeWorker: async (e) => void launched.push(e), clock: Date.now, logger, coordinatorId: id, env, settings: defaultCoordinatorSettings };
}

async function topicValues(topic: string): Promise<string[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const end = offsets.reduce((sum, p) => sum + Number(p.high), 0);
  const values: string[] = [];
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Date.now()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    if (end === 0) return resolve();
    void consumer.run({ eachMessage: async ({ message }) => void (values.push(message.value!.toString()), values.length >= end && resolve()) });
  });
  await consumer.disconnect();
  return values;
}

/** A connector whose task items are written by the coordinator, as in production. */
async function createConnector(name: string, config: Record<string, string>, env: NodeJS.ProcessEnv = {}): Promise<void> {
  await store.createConnector(name, { name, 'connector.class': 'test.TestSourceConnector', 'value.converter': 'StringConverter', ...config });
  await reconcile(coordinatorDeps([], 'coord-a', env));
}

describe('worker invocation', () => {
  it('runs until its deadline, stores the offset of the last acknowledged record and hands off', async () => {
    await createConnector('handoff', { topic: 'handoff-out' });
    const successors: WorkerEvent[] = [];
    const first = await runWorkerInvocation({ connector: 'handoff', task: 0 }, () => 1_500, workerDeps(successors));
    expect(first.outcome).toBe('handed-off');
    expect(first.records).toBeGreaterThan(0);
    expect(successors).toEqual([{ connector: 'handoff', task: 0, handoffEpoch: first.epoch }]);
    const [offset] = await store.readOffsets('handoff');
    expect(offset.offset).toEqual({ n: first.records - 1 });
    expect((await store.getTask('handoff', 0))?.lease).toBeUndefined();

    // The successor resumes from the stored offset: nothing lost, nothing repeated.
    const second = await runWorkerInvocation(successors[0], () => 1_500, workerDeps([]));
    expect(second.outcome).toBe('handed-off');
    expect(second.epoch).toBeGreaterThan(first.epoch!);
    const values = await topicValues('handoff-out');
    expect(values).toEqual(Array.from({ length: first.records + second.records }, (_, i) => `r${i}`));
  });

  it('marks the task FAILED with a trace that never shows the password, and releases the lease', async () => {
    const env = { DB_PASSWORD: 's3cr3t-value' };
    await createConnector('failing', { topic: 'failing-out', 'fail.after': '3', 'db.password': '${env:DB_PASSWORD}' }, env);
    const res = await runWorkerInvocation({ connector: 'failing', task: 0 }, () => 10_000, workerDeps([], env));
    expect(res.outcome).toBe('failed');
    const task = await store.getTask('failing', 0);
    expect(task?.state).toBe('FAILED');
    expect(task?.trace).toContain('database refused password [hidden] at record 3');
    expect(task?.trace).not.toContain('s3cr3t-value');
    expect(task?.lease).toBeUndefined();
    // What was acknowledged before the failure is committed.
    expect((await store.readOffsets('failing'))[0].offset).toEqual({ n: 2 });
  });

  it('a successor invoked early does not revive a task whose predecessor then failed', async () => {
    await createConnector('early', { topic: 'early-out', 'fail.after': '2' });
    const successors: WorkerEvent[] = [];
    // A lead longer than the whole run: the successor is invoked before the failure.
    const res = await runWorkerInvocation({ connector: 'early', task: 0 }, () => 5_000, { ...workerDeps(successors), settings: { ...workerDeps([]).settings, handoffLeadMs: 60_000 } });
    expect(res.outcome).toBe('failed');
    expect(successors).toHaveLength(1);
    const next = await runWorkerInvocation(successors[0], () => 5_000, workerDeps([]));
    expect(next.outcome).toBe('not-acquired');
    expect((await store.getTask('early', 0))?.state).toBe('FAILED');
  });

  it('marks the task FAILED with a trace naming the broker when Kafka is unreachable, and keeps its offsets', async () => {
    await createConnector('no-kafka', { topic: 'no-kafka-out' });
    await store.writeOffset('no-kafka', { source: 'test' }, { n: 41 }, 0);
    const unreachable = new Kafka({ brokers: ['127.0.0.1:1'], logLevel: logLevel.NOTHING, retry: { retries: 1, initialRetryTime: 50 } });
    const res = await runWorkerInvocation({ connector: 'no-kafka', task: 0 }, () => 20_000, { ...workerDeps([]), kafka: unreachable });
    expect(res.outcome).toBe('failed');
    const task = await store.getTask('no-kafka', 0);
    expect(task?.state).toBe('FAILED');
    expect(task?.trace).toMatch(/127\.0\.0\.1:1|ECONNREFUSED/);
    expect((await store.readOffsets('no-kafka'))[0].offset).toEqual({ n: 41 });
  });

  it('stops as PAUSED when the connector is paused, without a successor', async () => {
    await createConnector('pausing', { topic: 'pausing-out' });
    const successors: WorkerEvent[] = [];
    const running = runWorkerInvocation({ connector: 'pausing', task: 0 }, () => 20_000, workerDeps(successors));
    await new Promise((r) => setTimeout(r, 300));
    await store.setTargetState('pausing', 'PAUSED');
    const res = await running;
    expect(res.outcome).toBe('paused');
    expect(successors).toEqual([]);
    expect((await store.getTask('pausing', 0))?.state).toBe('PAUSED');
  });

  it('does not start while another invocation holds the lease', async () => {
    await createConnector('held', { topic: 'held-out', count: '0' });
    const grant = await store.acquireLease('held', 0, 'other:2', 30_000);
    expect(grant).not.toBeNull();
    const res = await runWorkerInvocation({ connector: 'held', task: 0 }, () => 5_000, workerDeps([]));
    expect(res.outcome).toBe('not-acquired');
    expect((await store.getTask('held', 0))?.lease?.owner).toBe('other:2');
  });
});

describe('coordinator reconcile', () => {
  it('writes task configs from taskConfigs(tasks.max), keeping placeholders instead of secrets', async () => {
    await store.createConnector('tasks', { name: 'tasks', 'connector.class': 'test.TestSourceConnector', topic: 't', 'tasks.max': '2', 'tasks.out': '5', 'db.password': '${env:PW}' });
    const launched: WorkerEvent[] = [];
    const summary = await reconcile(coordinatorDeps(launched, 'coord-a', { PW: 'resolved-secret' }));
    expect(summary.reconfigured).toContain('tasks');
    const tasks = await store.listTasks('tasks');
    expect(tasks.map((t) => t.task)).toEqual([0, 1]);
    expect(tasks[0].config['db.password']).toBe('${env:PW}');
    expect(JSON.stringify(tasks)).not.toContain('resolved-secret');
    expect(launched.filter((e) => e.connector === 'tasks').map((e) => e.task).sort()).toEqual([0, 1]);
  });

  it('never launches one task twice when two coordinators run at once', async () => {
    await store.createConnector('twice', { name: 'twice', 'connector.class': 'test.TestSourceConnector', topic: 't2', 'tasks.max': '3', 'tasks.out': '3' });
    await reconcile(coordinatorDeps([]));
    // The first pass claimed and launched, but no worker took a lease. Rounds later
    // (a clock a grace period ahead each time) the claims have lapsed: each round, two
    // coordinators at once must launch every task exactly once between them.
    for (let round = 1; round <= 10; round++) {
      const launched: WorkerEvent[] = [];
      const later = () => Date.now() + round * 20_000;
      const laterStore = new Store({ client, table: TABLE, clock: later });
      await Promise.all(
        ['coord-a', 'coord-b'].map((id) => reconcile({ ...coordinatorDeps(launched, id), store: laterStore, clock: later })),
      );
      const mine = launched.filter((e) => e.connector === 'twice').map((e) => e.task).sort();
      expect(mine, `round ${round}`).toEqual([0, 1, 2]);
    }
  });

  it('marks a connector with an unknown class FAILED with a trace naming it', async () => {
    await store.createConnector('unknown', { name: 'unknown', 'connector.class': 'com.example.Missing' });
    await reconcile(coordinatorDeps([]));
    const c = await store.getConnector('unknown');
    expect(c?.status.state).toBe('FAILED');
    expect(c?.status.trace).toContain('com.example.Missing');
  });

  it('restarts a FAILED task only when auto restart is on, after its backoff', async () => {
    await store.createConnector('auto', { name: 'auto', 'connector.class': 'test.TestSourceConnector', topic: 'a', 'slipway.auto.restart.enabled': 'true' });
    await store.createConnector('manual', { name: 'manual', 'connector.class': 'test.TestSourceConnector', topic: 'm' });
    await reconcile(coordinatorDeps([]));
    for (const name of ['auto', 'manual']) await store.setTaskState(name, 0, null, { state: 'FAILED', trace: 'boom' });
    const failedAt = Date.now();
    const launched: WorkerEvent[] = [];
    const settings = { ...defaultCoordinatorSettings, launchGraceMs: 0, autoRestartInitialDelayMs: 60_000 };
    await reconcile({ ...coordinatorDeps(launched), settings });
    expect(launched.filter((e) => e.connector === 'auto' || e.connector === 'manual')).toEqual([]);
    await reconcile({ ...coordinatorDeps(launched), settings, clock: () => failedAt + 61_000 });
    expect(launched.filter((e) => e.connector === 'auto' || e.connector === 'manual')).toEqual([{ connector: 'auto', task: 0 }]);
    const task = await store.getTask('auto', 0);
    expect(task?.state).toBe('RESTARTING');
    expect(task?.restartCount).toBe(1);
  });
});
