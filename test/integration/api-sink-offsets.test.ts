// A sink connector's offsets through the REST API: its consumer groups'
// committed offsets in Kafka (the embedded broker), read, altered and reset in
// Kafka Connect's shape, only while the connector is STOPPED.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createLogger } from '../../src/logging.js';
import { createRuntimeRegistry } from '../../src/runtime/plugins.js';
import { SinkGroupOffsets } from '../../src/runtime/sink-offsets.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';
import { startTestBroker, type TestBroker } from '../helpers/broker.js';
import { Kafka, logLevel } from 'kafkajs';

let dynamo: RunningDynalite;
let client: DynamoDBClient;
let broker: TestBroker;
let admin: Admin;
let app: ReturnType<typeof createApiApp>;

beforeAll(async () => {
  [dynamo, broker] = await Promise.all([startDynalite(), startTestBroker()]);
  client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
  await ensureTable(client, 'slipway');
  const kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 2 }, { topic: 'refunds', numPartitions: 1 }] });
  app = createApiApp({
    store: new Store({ client, table: 'slipway' }),
    registry: createRuntimeRegistry(),
    kickCoordinator: async () => {},
    logger: createLogger('api', { level: 'silent' }),
    sinkOffsets: new SinkGroupOffsets(kafka),
  });
});

afterAll(async () => {
  await admin?.disconnect();
  client?.destroy();
  await dynamo?.close();
  await broker?.close();
});

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; body: { offsets: ReturnType<typeof entry>[]; message: string } }> {
  const res = await app.request(path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const entry = (topic: string, partition: number, offset: number) => ({ partition: { kafka_topic: topic, kafka_partition: partition }, offset: { kafka_offset: offset } });
const sorted = (list: ReturnType<typeof entry>[]) => [...list].sort((a, b) => `${a.partition.kafka_topic}/${a.partition.kafka_partition}`.localeCompare(`${b.partition.kafka_topic}/${b.partition.kafka_partition}`));

describe('sink connector offsets', () => {
  it("are the connect-<name> group's committed offsets; altered and reset only when STOPPED", async () => {
    expect((await api('PUT', '/connectors/orders-out/config', { 'connector.class': 'FileStreamSink', topics: 'orders', file: '/tmp/never-written' })).status).toBe(201);
    expect(await api('GET', '/connectors/orders-out/offsets')).toEqual({ status: 200, body: { offsets: [] } });

    // What an event source mapping commits after a successful batch.
    await admin.setOffsets({ groupId: 'connect-orders-out', topic: 'orders', partitions: [{ partition: 0, offset: '7' }, { partition: 1, offset: '3' }] });
    expect(sorted((await api('GET', '/connectors/orders-out/offsets')).body.offsets)).toEqual([entry('orders', 0, 7), entry('orders', 1, 3)]);

    const change = { offsets: [entry('orders', 1, 42)] };
    const refused = await api('PATCH', '/connectors/orders-out/offsets', change);
    expect(refused.status).toBe(400);
    expect(refused.body.message).toMatch(/STOPPED/);

    expect((await api('PUT', '/connectors/orders-out/stop')).status).toBe(202);
    expect(await api('PATCH', '/connectors/orders-out/offsets', change)).toMatchObject({ status: 200 });
    expect(sorted((await api('GET', '/connectors/orders-out/offsets')).body.offsets)).toEqual([entry('orders', 0, 7), entry('orders', 1, 42)]);
    // A null offset resets the partition: to its earliest offset (0 here, nothing was ever deleted).
    expect(await api('PATCH', '/connectors/orders-out/offsets', { offsets: [{ partition: { kafka_topic: 'orders', kafka_partition: 0 }, offset: null }] })).toMatchObject({ status: 200 });
    expect(sorted((await api('GET', '/connectors/orders-out/offsets')).body.offsets)).toEqual([entry('orders', 0, 0), entry('orders', 1, 42)]);

    const foreign = await api('PATCH', '/connectors/orders-out/offsets', { offsets: [entry('refunds', 0, 1)] });
    expect(foreign.status).toBe(400);
    expect(foreign.body.message).toMatch(/refunds is not a topic of sink connector orders-out/);
    const bad = await api('PATCH', '/connectors/orders-out/offsets', { offsets: [{ partition: { kafka_topic: 'orders', kafka_partition: -1 }, offset: { kafka_offset: 1 } }] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/kafka_partition/);

    expect(await api('DELETE', '/connectors/orders-out/offsets')).toMatchObject({ status: 200 });
    expect(await api('GET', '/connectors/orders-out/offsets')).toEqual({ status: 200, body: { offsets: [] } });
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain('connect-orders-out');
  });

  it('of a connector reading several topics come from one group per topic', async () => {
    expect((await api('PUT', '/connectors/all-out/config', { 'connector.class': 'FileStreamSink', 'topics.regex': 'orders|refunds', file: '/tmp/never-written' })).status).toBe(201);
    await admin.setOffsets({ groupId: 'connect-all-out-orders', topic: 'orders', partitions: [{ partition: 0, offset: '5' }] });
    await admin.setOffsets({ groupId: 'connect-all-out-refunds', topic: 'refunds', partitions: [{ partition: 0, offset: '9' }] });
    expect(sorted((await api('GET', '/connectors/all-out/offsets')).body.offsets)).toEqual([entry('orders', 0, 5), entry('refunds', 0, 9)]);
  });
});
