// The in-process harness of the MySQL/MariaDB CDC integration tests: dynalite,
// the embedded broker and a private MariaDB with the inventory database, and
// real worker invocations of the connector. Each test file gets its own (vitest
// runs every file in a process of its own, so these module bindings are per file).
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, expect } from 'vitest';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createLogger } from '../../src/logging.js';
import { defaultCoordinatorSettings, reconcile } from '../../src/runtime/coordinator.js';
import { createRuntimeRegistry } from '../../src/runtime/plugins.js';
import { runWorkerInvocation, type WorkerDeps, type WorkerEvent, type WorkerResult } from '../../src/runtime/worker.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';
import { startTestBroker, type TestBroker } from './broker.js';
import { waitFor } from './env.js';
import { topicEnd } from './kafkajs.js';
import { mariaDbConnectorConfig, useTestMariaDb } from './mariadb.js';

export const logger = createLogger('test', { level: 'silent' });
export const registry = createRuntimeRegistry();
let dynamo: RunningDynalite;
let client: DynamoDBClient;
export let store: Store;
export let broker: TestBroker;
export let kafka: Kafka;
let mariadbOfFile: ReturnType<typeof useTestMariaDb>;
let nextServerId = 0;

/** The next database.server.id of this file (each binlog client needs its own). */
export function takeServerId(): number {
  return nextServerId++;
}

/** Starts the services for this test file; database.server.id values count up from serverIdBase. */
export function useCdcHarness(opts: { serverIdBase: number }): ReturnType<typeof useTestMariaDb> {
  nextServerId = opts.serverIdBase;
  beforeAll(async () => {
    [dynamo, broker] = await Promise.all([startDynalite(), startTestBroker()]);
    client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
    await ensureTable(client, 'slipway');
    store = new Store({ client, table: 'slipway' });
    kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
    await broker?.close();
  });
  mariadbOfFile = useTestMariaDb({ inventory: true });
  return mariadbOfFile;
}

export function workerDeps(successors: WorkerEvent[] = []): WorkerDeps {
  return {
    store,
    registry,
    kafka,
    invokeSuccessor: async (e) => void successors.push(e),
    clock: Date.now,
    logger,
    workerId: 'test-host:1',
    env: {},
    settings: { leaseTtlMs: 10_000, renewIntervalMs: 500, safetyBufferMs: 300, offsetFlushIntervalMs: 100, handoffWaitMs: 1_000 },
  };
}

export async function connectorConfig(prefix: string, extra: Record<string, string> = {}, grants?: 'none'): Promise<Record<string, string>> {
  const user = await mariadbOfFile().db.createCdcUser(grants ? `cdc_${grants}` : 'cdc', 'cdc-pw', grants ? { grants } : {});
  return mariaDbConnectorConfig(user, { serverId: nextServerId++, prefix, bootstrap: broker.bootstrap }, {
    'database.include.list': 'inventory',
    'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
    'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
    ...extra,
  });
}

/** A connector on the test MariaDB, its task items written by the coordinator as in production. */
export async function createConnector(name: string, config: Record<string, string>): Promise<void> {
  await store.createConnector(name, { name, ...config });
  await reconcile({ store, registry, invokeWorker: async () => {}, clock: Date.now, logger, coordinatorId: 'coord', env: {}, settings: defaultCoordinatorSettings });
}

export function invoke(name: string, ms: number, successors: WorkerEvent[] = []): Promise<WorkerResult> {
  return runWorkerInvocation({ connector: name, task: 0 }, () => ms, workerDeps(successors));
}

export function topicSize(topic: string): Promise<number> {
  return topicEnd(kafka, topic);
}

/**
 * Waits for `topic` to hold `count` records: while `running` (an invocation) lasts,
 * then through further invocations, as hand-offs would start them.
 */
export async function untilRecords(name: string, topic: string, count: number, running?: Promise<WorkerResult>): Promise<void> {
  if (running) {
    let ended = false;
    const end = running.finally(() => (ended = true));
    await waitFor(async () => ended || (await topicSize(topic)) >= count, { timeoutMs: 60_000, what: `${count} records in ${topic}` });
    expect((await end).outcome).toBe('handed-off');
  }
  for (let i = 0; (await topicSize(topic)) < count; i++) {
    if (i === 10) throw new Error(`${topic} holds fewer than ${count} records after 10 more invocations`);
    expect((await invoke(name, 2_000)).outcome).toBe('handed-off');
  }
}

export interface Message {
  key: string | null;
  value: string | null;
}

/** Every message of a topic, in order (one partition). */
export async function readTopic(topic: string): Promise<Message[]> {
  const end = await topicSize(topic);
  const out: Message[] = [];
  if (end === 0) return out;
  const consumer = kafka.consumer({ groupId: `read-${topic}-${Math.random()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null });
        if (out.length >= end) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

export const payload = (m: Message) => (m.value === null ? null : JSON.parse(m.value).payload);
export const keyPayload = (m: Message) => JSON.parse(m.key!).payload;
