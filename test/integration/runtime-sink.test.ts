// The event-triggered sink invocation against a real dynalite with Kafka's
// FileStreamSink: batches land in the file in partition order and the task is
// RUNNING; a poison value fails the task with a trace naming where it sits
// and writes nothing of its batch; a paused connector leaves the batch
// uncommitted (a retriable error); the alias names the connector; with
// errors.tolerance=all and no DLQ a poison record is skipped; a retriable put
// failure is retried within errors.retry.timeout. Dead letter queues, against
// the embedded broker: bytes that are not JSON in a JsonConverter topic go to
// the DLQ as they were consumed, with every `__connect.errors.*` header, and
// the rest of the batch is written (errors.tolerance=all); with none the task
// is FAILED, the trace names the offset and nothing of the batch is written;
// a transform failure and a record the task reports through its
// errantRecordReporter go there too.
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/connect/config/config-def.js';
import { ConnectError, NotFoundError, RetriableError } from '../../src/connect/errors.js';
import type { ConfigSpec } from '../../src/connect/config/config-def.js';
import type { SinkConnector, SinkTask, SinkTaskContext } from '../../src/connect/plugin.js';
import type { SinkRecord } from '../../src/connect/record.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { registerTransforms } from '../../src/connect/transforms/index.js';
import { registerFileStreamSink } from '../../src/connectors/file/file-stream-sink.js';
import { createLogger } from '../../src/logging.js';
import { runSinkInvocation, sinkAliasOf, sinkConnectorFor, type SinkDeps } from '../../src/runtime/sink.js';
import { IDLE_LIMIT_MS, ITEMS_MAX_AGE_MS, SinkTaskCache } from '../../src/runtime/sink-tasks.js';
import { Store } from '../../src/store/index.js';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { useDynalite } from '../helpers/dynalite.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { collect, text, topicEnd, type Received } from '../helpers/kafkajs.js';

const TABLE = 'slipway-sink-test';
const dynamo = useDynalite(TABLE);
const registry = createPluginRegistry();
registerFileStreamSink(registry, 'test');
registerTransforms(registry);

/** A test sink connector of one task per tasks.max, each made by createTask. */
function registerTestSink(connectorClass: string, spec: ConfigSpec<unknown>, createTask: () => SinkTask): void {
  registry.registerConnector({
    class: connectorClass,
    type: 'sink',
    version: 'test',
    create: (): SinkConnector => ({ type: 'sink', version: () => 'test', config: () => spec, start: () => {}, taskConfigs: (n) => Array.from({ length: n }, () => ({})), stop: () => {}, createTask }),
  });
}

// A sink whose target refuses every put, quoting the password it was given.
const refusingSpec = defineConfig([{ name: 'db.password', type: 'password', default: null, importance: 'low', doc: 'a secret that must not leak' }]);
registerTestSink('test.RefusingSinkConnector', refusingSpec, () => {
  let password = '';
  return {
    version: () => 'test',
    start: (config) => void (password = config['db.password'] ?? ''),
    put: () => {
      throw new Error(`database refused password ${password}`);
    },
    stop: () => {},
  };
});

// A sink whose target is busy (a RetriableError) for its first `busy.puts` puts.
const flakySpec = defineConfig([{ name: 'busy.puts', type: 'int', default: 0, importance: 'low', doc: 'puts refused before one succeeds' }]);
const flakyWrites: string[] = [];
let flakyPuts = 0;
registerTestSink('test.FlakySinkConnector', flakySpec, () => {
  let busy = 0;
  return {
    version: () => 'test',
    start: (config) => void (busy = Number(config['busy.puts'] ?? 0)),
    put: (records) => {
      if (++flakyPuts <= busy) throw new RetriableError('target busy');
      flakyWrites.push(...records.map((r) => String(r.value)));
    },
    stop: () => {},
  };
});

// A sink that reports every record whose value is "bad" to the errantRecordReporter and keeps the rest.
const written: string[] = [];
registerTestSink('test.ReportingSinkConnector', defineConfig([]), () => {
  let context: SinkTaskContext;
  return {
    version: () => 'test',
    start: (_config, ctx) => void (context = ctx),
    put: async (records: readonly SinkRecord[]) => {
      for (const r of records) {
        if (r.value !== 'bad') written.push(String(r.value));
        else if (context.errantRecordReporter) await context.errantRecordReporter.report(r, new RangeError('the target refused "bad"'));
        else throw new RangeError('the target refused "bad"');
      }
    },
    stop: () => {},
  };
});

// A sink that counts its tasks' starts and stops, and fails a put of the value "fail".
const lifecycle = { starts: 0, stops: 0, puts: [] as string[][] };
registerTestSink(
  'test.CountingSinkConnector',
  defineConfig([{ name: 'label', type: 'string', default: '', importance: 'low', doc: 'written before each value' }]),
  () => {
    let label = '';
    return {
      version: () => 'test',
      start: (config) => {
        lifecycle.starts++;
        label = config['label'] ?? '';
      },
      put: (records: readonly SinkRecord[]) => {
        if (records.some((r) => r.value === 'fail')) throw new Error('the target refused "fail"');
        lifecycle.puts.push(records.map((r) => `${label}${String(r.value)}`));
      },
      stop: () => void lifecycle.stops++,
    };
  },
);


let broker: TestBroker;
let kafka: Kafka;
beforeAll(async () => {
  broker = await startTestBroker();
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
});
afterAll(async () => {
  await broker?.close();
});

let tmp: ReturnType<typeof tempDir>;
let deps: SinkDeps;
beforeEach(() => {
  tmp = tempDir('slipway-sink-');
  deps = {
    store: new Store({ client: dynamo.client, table: TABLE }),
    registry,
    clock: Date.now,
    logger: createLogger('test', { level: 'silent' }),
    workerId: 'host:4242',
    env: { DB_SECRET: 'hunter2-secret' },
    kafka,
  };
  written.length = 0;
  return () => tmp.cleanup();
});

/** A SelfManagedKafka batch: `values` per "<topic>-<partition>", offsets from `first`, header origin=test; with `keys`, key `k<offset>`. */
function batchOf(values: Record<string, (string | null)[]>, first = 0, opts: { keys?: boolean } = {}): unknown {
  const records: Record<string, unknown[]> = {};
  for (const [tp, list] of Object.entries(values)) {
    const dash = tp.lastIndexOf('-');
    records[tp] = list.map((v, i) => ({
      topic: tp.slice(0, dash),
      partition: Number(tp.slice(dash + 1)),
      offset: first + i,
      timestamp: 1763773200000 + i,
      timestampType: 'CREATE_TIME',
      key: opts.keys ? Buffer.from(`k${first + i}`).toString('base64') : null,
      value: v === null ? null : Buffer.from(v).toString('base64'),
      headers: [{ origin: [116, 101, 115, 116] }],
    }));
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers: '127.0.0.1:9092', records };
}

/** A FileStreamSink connector with its task item, as the coordinator leaves it. */
async function fileSink(name: string, extra: Record<string, string> = {}): Promise<string> {
  const file = path.join(tmp.dir, `${name}.txt`);
  const config = { name, 'connector.class': 'FileStreamSink', topics: 'orders,payments', file, 'value.converter': 'org.apache.kafka.connect.storage.StringConverter', ...extra };
  await deps.store.createConnector(name, config);
  await deps.store.writeTaskConfigs(name, 1, [config]);
  return file;
}

const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(0, -1) : []);

describe('runSinkInvocation', () => {
  it('writes every record in partition order, reports the offsets to commit, and marks the task RUNNING', async () => {
    const file = await fileSink('in-order');
    const result = await runSinkInvocation(batchOf({ 'orders-0': ['a0', 'a1', 'a2'], 'orders-1': ['b0', null], 'payments-0': ['p0'] }, 40), 'in-order', deps);
    expect(lines(file)).toEqual(['a0', 'a1', 'a2', 'b0', 'null', 'p0']);
    expect(result).toEqual({
      connector: 'in-order',
      records: 6,
      offsets: [
        { topic: 'orders', partition: 0, offset: 43 },
        { topic: 'orders', partition: 1, offset: 42 },
        { topic: 'payments', partition: 0, offset: 41 },
      ],
    });
    expect(await deps.store.getTask('in-order', 0)).toMatchObject({ state: 'RUNNING', workerId: 'host:4242' });

    await runSinkInvocation(batchOf({ 'orders-0': ['a3'] }, 43), 'in-order', deps);
    expect(lines(file).slice(-1)).toEqual(['a3']);
  });

  it('applies the transforms between the converter and put: a dropped record is not written', async () => {
    const file = await fileSink('transformed', {
      transforms: 'dropPayments,hoist',
      'transforms.dropPayments.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.dropPayments.predicate': 'isPayments',
      'transforms.hoist.type': 'org.apache.kafka.connect.transforms.HoistField$Value',
      'transforms.hoist.field': 'line',
      predicates: 'isPayments',
      'predicates.isPayments.type': 'org.apache.kafka.connect.transforms.predicates.TopicNameMatches',
      'predicates.isPayments.pattern': 'payments',
    });
    const result = await runSinkInvocation(batchOf({ 'orders-0': ['a0', 'a1'], 'payments-0': ['p0'] }), 'transformed', deps);
    expect(lines(file)).toEqual(['Struct{line=a0}', 'Struct{line=a1}']);
    expect(result.records).toBe(2);
    expect(result.offsets).toContainEqual({ topic: 'payments', partition: 0, offset: 1 });
  });

  it('a transform that fails on a record fails the task with a trace naming where the record sits', async () => {
    const file = await fileSink('bad-transform', { transforms: 'extract', 'transforms.extract.type': 'org.apache.kafka.connect.transforms.ExtractField$Value', 'transforms.extract.field': 'id' });
    await expect(runSinkInvocation(batchOf({ 'orders-0': ['not a struct'] }, 7), 'bad-transform', deps)).rejects.toThrow(/^Transforming the record at topic orders partition 0 offset 7 failed/);
    expect((await deps.store.getTask('bad-transform', 0))!.state).toBe('FAILED');
    expect(lines(file)).toEqual([]);
  });

  it('a value that is not JSON under JsonConverter fails the task with a trace naming topic, partition and offset; nothing of its batch is written', async () => {
    const file = await fileSink('poison', { 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false' });
    await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}'] }, 0), 'poison', deps);
    expect(lines(file)).toEqual(['{n=1}']);

    const err = await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 2}', '{"n": 3'], 'orders-1': ['{"n": 4}'] }, 1), 'poison', deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectError);
    expect((err as ConnectError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/topic orders partition 0 offset 2/);
    expect(lines(file)).toEqual(['{n=1}']);
    const task = await deps.store.getTask('poison', 0);
    expect(task).toMatchObject({ state: 'FAILED', workerId: 'host:4242' });
    expect(task!.trace).toMatch(/^DataError: Converting the value of the record at topic orders partition 0 offset 2 failed/);

    // A FAILED task takes no batch until it is restarted: the mapping keeps it uncommitted.
    await expect(runSinkInvocation(batchOf({ 'orders-0': ['{"n": 5}'] }, 3), 'poison', deps)).rejects.toBeInstanceOf(RetriableError);
    expect(lines(file)).toEqual(['{n=1}']);
  });

  it('with errors.tolerance=all and no dead letter queue, a poison record is skipped and the rest of the batch is written', async () => {
    const file = await fileSink('skip-poison', { 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false', 'errors.tolerance': 'all' });
    const result = await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}', '{"n": 2', '{"n": 3}'] }), 'skip-poison', deps);
    expect(lines(file)).toEqual(['{n=1}', '{n=3}']);
    expect(result).toMatchObject({ records: 2, offsets: [{ topic: 'orders', partition: 0, offset: 3 }] });
    expect(await deps.store.getTask('skip-poison', 0)).toMatchObject({ state: 'RUNNING' });
  });

  it('a retriable put failure is retried within errors.retry.timeout; past it the task is FAILED; with the default 0 the batch is delivered again', async () => {
    const flaky = async (name: string, extra: Record<string, string>) => {
      const config = { name, 'connector.class': 'test.FlakySinkConnector', topics: 'orders', 'value.converter': 'StringConverter', ...extra };
      await deps.store.createConnector(name, config);
      await deps.store.writeTaskConfigs(name, 1, [config]);
    };
    flakyPuts = 0;
    flakyWrites.length = 0;
    await flaky('flaky-retried', { 'busy.puts': '2', 'errors.retry.timeout': '5000', 'errors.retry.delay.max.ms': '20' });
    await runSinkInvocation(batchOf({ 'orders-0': ['x', 'y'] }), 'flaky-retried', deps);
    expect(flakyPuts).toBe(3);
    expect(flakyWrites).toEqual(['x', 'y']);

    flakyPuts = 0;
    await flaky('flaky-exhausted', { 'busy.puts': '1000', 'errors.retry.timeout': '100', 'errors.retry.delay.max.ms': '20' });
    const err = await runSinkInvocation(batchOf({ 'orders-0': ['z'] }), 'flaky-exhausted', deps).catch((e: unknown) => e);
    expect((err as ConnectError).retriable).toBe(false);
    expect((err as Error).message).toMatch(/retried for errors.retry.timeout=100 ms\): target busy/);
    expect(flakyPuts).toBeGreaterThan(2);
    expect(await deps.store.getTask('flaky-exhausted', 0)).toMatchObject({ state: 'FAILED' });

    flakyPuts = 0;
    await flaky('flaky-default', { 'busy.puts': '1' });
    await expect(runSinkInvocation(batchOf({ 'orders-0': ['w'] }), 'flaky-default', deps)).rejects.toBeInstanceOf(RetriableError);
    expect((await deps.store.getTask('flaky-default', 0))?.state).not.toBe('FAILED');
    await runSinkInvocation(batchOf({ 'orders-0': ['w'] }), 'flaky-default', deps);
    expect(flakyWrites.slice(-1)).toEqual(['w']);
  });

  it("a put that fails marks the task FAILED with a trace that never holds the resolved secret", async () => {
    const config = { name: 'refused', 'connector.class': 'test.RefusingSinkConnector', topics: 'orders', 'db.password': '${env:DB_SECRET}', 'value.converter': 'StringConverter' };
    await deps.store.createConnector('refused', config);
    await deps.store.writeTaskConfigs('refused', 1, [config]);
    await expect(runSinkInvocation(batchOf({ 'orders-0': ['x'] }), 'refused', deps)).rejects.toThrow(/database refused password/);
    const task = await deps.store.getTask('refused', 0);
    expect(task!.state).toBe('FAILED');
    expect(task!.trace).toMatch(/^Error: database refused password \[hidden\]/);
    expect(task!.trace).not.toContain('hunter2-secret');
  });

  it('a PAUSED connector leaves the batch uncommitted (retriable) and writes nothing', async () => {
    const file = await fileSink('paused');
    await deps.store.setTargetState('paused', 'PAUSED');
    const err = await runSinkInvocation(batchOf({ 'orders-0': ['x'] }), 'paused', deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RetriableError);
    expect((err as RetriableError).retriable).toBe(true);
    expect(lines(file)).toEqual([]);
  });

  it('a deleted connector is a NotFoundError (not retriable)', async () => {
    const err = await runSinkInvocation(batchOf({ 'orders-0': ['x'] }), 'never-created', deps).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as NotFoundError).retriable).toBe(false);
  });
});

describe('the connector of an invocation', () => {
  it('sinkAliasOf makes a valid Lambda alias name that keeps similar names apart', () => {
    const alias = sinkAliasOf('orders.to-s3 (prod)');
    expect(alias).toMatch(/^sink-orders_to-s3__prod_-[0-9a-f]{8}$/);
    expect(sinkAliasOf('orders.to-s3 (prod)')).toBe(alias);
    expect(sinkAliasOf('orders_to-s3 (prod)')).not.toBe(alias);
    const long = sinkAliasOf('é'.repeat(300));
    expect(long).toMatch(/^[A-Za-z0-9_-]{1,128}$/);
    expect(long).toHaveLength(5 + 60 + 1 + 8);
  });

  it('resolves the alias of invokedFunctionArn, and an unqualified invocation by its topics', async () => {
    await fileSink('alias.a', { topics: 'shared' });
    await fileSink('alias.b', { topics: 'shared,only-b' });
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:slipway-sink';
    expect(await sinkConnectorFor(`${arn}:${sinkAliasOf('alias.a')}`, ['shared'], deps)).toBe('alias.a');
    expect(await sinkConnectorFor(`${arn}:${sinkAliasOf('alias.b')}`, ['shared'], deps)).toBe('alias.b');
    await expect(sinkConnectorFor(`${arn}:sink-gone-00000000`, ['shared'], deps)).rejects.toThrow(/No connector has the sink alias sink-gone-00000000/);
    expect(await sinkConnectorFor(arn, ['only-b'], deps)).toBe('alias.b');
    expect(await sinkConnectorFor(`${arn}:$LATEST`, ['only-b', 'shared'], deps)).toBe('alias.b');
    await expect(sinkConnectorFor(arn, ['shared'], deps)).rejects.toThrow(/sink connectors alias.a, alias.b all consume shared/);
  });
});

/** A FileStreamSink reading JSON values without schemas, string keys. */
const jsonFileSink = (name: string, extra: Record<string, string>): Promise<string> =>
  fileSink(name, { 'key.converter': 'StringConverter', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false', ...extra });

async function connector(name: string, config: Record<string, string>): Promise<void> {
  const full = { name, topics: 'orders', ...config };
  await deps.store.createConnector(name, full);
  await deps.store.writeTaskConfigs(name, 1, [full]);
}

const endOffset = (topic: string) => topicEnd(kafka, topic);

interface Consumed {
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** Every record of a topic, keys, values and headers as text. */
async function readTopic(topic: string): Promise<Consumed[]> {
  const end = await endOffset(topic);
  if (end === 0) return [];
  const consumer = kafka.consumer({ groupId: uniqueName('read'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  const received: Received[] = await collect(consumer, [topic]);
  await waitFor(() => received.length >= end, { what: `${end} records in ${topic}` });
  await consumer.disconnect();
  return received.map((m) => ({ key: text(m.key), value: text(m.value), headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, String(v)])) }));
}

describe('sink dead letter queue', () => {
  it('with all: bytes that are not JSON land in the DLQ as consumed, with every context header, and the rest of the batch is written', async () => {
    const dlq = uniqueName('dlq');
    const file = await jsonFileSink('dlq-all', { 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    const result = await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}', '{"n": 2', '{"n": 3}'], 'orders-1': ['{"n": 4}'] }, 10, { keys: true }), 'dlq-all', deps);

    expect(lines(file)).toEqual(['{n=1}', '{n=3}', '{n=4}']);
    expect(result.offsets).toEqual([
      { topic: 'orders', partition: 0, offset: 13 },
      { topic: 'orders', partition: 1, offset: 11 },
    ]);
    expect(await deps.store.getTask('dlq-all', 0)).toMatchObject({ state: 'RUNNING' });

    const [dead, ...more] = await readTopic(dlq);
    expect(more).toEqual([]);
    expect(dead!.key).toBe('k11');
    expect(dead!.value).toBe('{"n": 2');
    expect(dead!.headers).toMatchObject({
      origin: 'test',
      '__connect.errors.topic': 'orders',
      '__connect.errors.partition': '0',
      '__connect.errors.offset': '11',
      '__connect.errors.connector.name': 'dlq-all',
      '__connect.errors.task.id': '0',
      '__connect.errors.stage': 'VALUE_CONVERTER',
      '__connect.errors.class.name': 'org.apache.kafka.connect.json.JsonConverter',
      '__connect.errors.exception.class.name': expect.any(String),
      '__connect.errors.exception.message': expect.stringMatching(/JSON|Unexpected|position/i),
      '__connect.errors.exception.stacktrace': expect.stringContaining('\n'),
    });
    expect(await endOffset(dlq)).toBe(1);
  });

  it('without context headers the DLQ record is the original record alone', async () => {
    const dlq = uniqueName('dlq');
    await jsonFileSink('dlq-bare', { 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq });
    await runSinkInvocation(batchOf({ 'orders-0': ['not json'] }, 0, { keys: true }), 'dlq-bare', deps);
    const [dead] = await readTopic(dlq);
    expect(dead).toEqual({ key: 'k0', value: 'not json', headers: { origin: 'test' } });
  });

  it('with none: the task is FAILED, the trace names the offset, nothing of the batch is written and nothing goes to the DLQ', async () => {
    const dlq = uniqueName('dlq');
    const file = await jsonFileSink('dlq-none', { 'errors.tolerance': 'none', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    const err = await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}', '{"n": 2', '{"n": 3}'] }, 20, { keys: true }), 'dlq-none', deps).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/^Converting the value of the record at topic orders partition 0 offset 21 failed/);
    const task = await deps.store.getTask('dlq-none', 0);
    expect(task).toMatchObject({ state: 'FAILED' });
    expect(task!.trace).toMatch(/topic orders partition 0 offset 21/);
    expect(lines(file)).toEqual([]);
    expect(await endOffset(dlq)).toBe(0);
  });

  it('a transform that fails on a record sends it to the DLQ with stage TRANSFORMATION and the transform\'s class', async () => {
    const dlq = uniqueName('dlq');
    const file = await jsonFileSink('dlq-transform', {
      'errors.tolerance': 'all',
      'errors.deadletterqueue.topic.name': dlq,
      'errors.deadletterqueue.context.headers.enable': 'true',
      transforms: 'extract',
      'transforms.extract.type': 'org.apache.kafka.connect.transforms.ExtractField$Value',
      'transforms.extract.field': 'n',
    });
    await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}', '"a bare string"', '{"n": 3}'] }, 0, { keys: true }), 'dlq-transform', deps);
    expect(lines(file)).toEqual(['1', '3']);
    const [dead] = await readTopic(dlq);
    expect(dead!.value).toBe('"a bare string"');
    expect(dead!.headers).toMatchObject({ '__connect.errors.stage': 'TRANSFORMATION', '__connect.errors.class.name': 'org.apache.kafka.connect.transforms.ExtractField$Value', '__connect.errors.offset': '1' });
  });

  it("the task's errantRecordReporter sends a record put could not write to the DLQ (stage TASK_PUT), and the rest is written", async () => {
    const dlq = uniqueName('dlq');
    await connector('reporter-all', { 'connector.class': 'test.ReportingSinkConnector', 'key.converter': 'StringConverter', 'value.converter': 'StringConverter', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    await runSinkInvocation(batchOf({ 'orders-0': ['a', 'bad', 'c'] }, 5, { keys: true }), 'reporter-all', deps);
    expect(written).toEqual(['a', 'c']);
    const [dead] = await readTopic(dlq);
    expect(await endOffset(dlq)).toBe(1);
    expect(dead).toMatchObject({ key: 'k6', value: 'bad' });
    expect(dead!.headers).toMatchObject({ '__connect.errors.stage': 'TASK_PUT', '__connect.errors.class.name': 'test.ReportingSinkConnector', '__connect.errors.exception.class.name': 'RangeError', '__connect.errors.exception.message': 'the target refused "bad"', '__connect.errors.offset': '6' });
  });

  it('with none, the errantRecordReporter fails the task instead', async () => {
    await connector('reporter-none', { 'connector.class': 'test.ReportingSinkConnector', 'key.converter': 'StringConverter', 'value.converter': 'StringConverter', 'errors.deadletterqueue.topic.name': uniqueName('dlq') });
    await expect(runSinkInvocation(batchOf({ 'orders-0': ['a', 'bad', 'c'] }, 0, { keys: true }), 'reporter-none', deps)).rejects.toThrow(/topic orders partition 0 offset 1 failed: the target refused "bad"/);
    expect(await deps.store.getTask('reporter-none', 0)).toMatchObject({ state: 'FAILED' });
    expect(written).toEqual(['a']);
  });
});

describe('warm sink tasks (SinkDeps.tasks)', () => {
  const counting = { 'connector.class': 'test.CountingSinkConnector', 'value.converter': 'StringConverter', label: 'v1:' };
  beforeEach(() => {
    lifecycle.starts = 0;
    lifecycle.stops = 0;
    lifecycle.puts.length = 0;
  });

  it('one task serves consecutive batches; a config change, a failed batch and a long idle each start a fresh one', async () => {
    let now = 1_000_000;
    const warm = { ...deps, clock: () => now, tasks: new SinkTaskCache(deps.logger) };
    await connector('warm', counting);
    await runSinkInvocation(batchOf({ 'orders-0': ['a'] }, 0), 'warm', warm);
    await runSinkInvocation(batchOf({ 'orders-0': ['b'] }, 1), 'warm', warm);
    expect(lifecycle).toMatchObject({ starts: 1, stops: 0, puts: [['v1:a'], ['v1:b']] });

    // The new config is used once read: the kept task is stopped, a new one started with it.
    const changed = { name: 'warm', topics: 'orders', ...counting, label: 'v2:' };
    const { connector: updated } = await deps.store.putConnectorConfig('warm', changed);
    await deps.store.writeTaskConfigs('warm', updated.generation, [changed]);
    now += ITEMS_MAX_AGE_MS + 1; // the items read within the last second are used again
    await runSinkInvocation(batchOf({ 'orders-0': ['c'] }, 2), 'warm', warm);
    expect(lifecycle).toMatchObject({ starts: 2, stops: 1, puts: [['v1:a'], ['v1:b'], ['v2:c']] });

    now += IDLE_LIMIT_MS + 1;
    await runSinkInvocation(batchOf({ 'orders-0': ['d'] }, 3), 'warm', warm);
    expect(lifecycle).toMatchObject({ starts: 3, stops: 2 });

    await expect(runSinkInvocation(batchOf({ 'orders-0': ['fail'] }, 4), 'warm', warm)).rejects.toThrow(/refused "fail"/);
    expect(lifecycle).toMatchObject({ starts: 3, stops: 3 });
    await deps.store.setTaskState('warm', 0, null, { state: 'RUNNING', trace: null, workerId: 'host:4242' });
    await runSinkInvocation(batchOf({ 'orders-0': ['e'] }, 5), 'warm', warm);
    expect(lifecycle).toMatchObject({ starts: 4, stops: 3 });
    expect(lifecycle.puts.at(-1)).toEqual(['v2:e']);

    await warm.tasks.close();
    expect(lifecycle.stops).toBe(4);
  });

  it('keeps a RUNNING connector\'s items for a second: a pause reaches the environment once they are older', async () => {
    let now = 5_000_000;
    const warm = { ...deps, clock: () => now, tasks: new SinkTaskCache(deps.logger) };
    await connector('warm-pause', counting);
    await runSinkInvocation(batchOf({ 'orders-0': ['a'] }, 0), 'warm-pause', warm); // task becomes RUNNING (written)
    now += ITEMS_MAX_AGE_MS + 1;
    await runSinkInvocation(batchOf({ 'orders-0': ['b'] }, 1), 'warm-pause', warm); // read afresh: RUNNING, kept
    await deps.store.setTargetState('warm-pause', 'PAUSED');
    now += ITEMS_MAX_AGE_MS / 2;
    await runSinkInvocation(batchOf({ 'orders-0': ['c'] }, 2), 'warm-pause', warm); // within the second: still delivered
    now += ITEMS_MAX_AGE_MS;
    await expect(runSinkInvocation(batchOf({ 'orders-0': ['d'] }, 3), 'warm-pause', warm)).rejects.toBeInstanceOf(RetriableError);
    expect(lifecycle.puts.flat()).toEqual(['v1:a', 'v1:b', 'v1:c']);
    await warm.tasks.close();
  });

  it("a kept task's errantRecordReporter reports to the current invocation's dead letter queue", async () => {
    const dlq = uniqueName('dlq');
    const warm = { ...deps, tasks: new SinkTaskCache(deps.logger) };
    await connector('warm-reporter', { 'connector.class': 'test.ReportingSinkConnector', 'key.converter': 'StringConverter', 'value.converter': 'StringConverter', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    await runSinkInvocation(batchOf({ 'orders-0': ['a', 'bad'] }, 0, { keys: true }), 'warm-reporter', warm);
    await runSinkInvocation(batchOf({ 'orders-0': ['c', 'bad'] }, 10, { keys: true }), 'warm-reporter', warm);
    expect(written).toEqual(['a', 'c']);
    const dead = await readTopic(dlq);
    expect(dead.map((d) => [d.key, d.headers['__connect.errors.offset']])).toEqual([
      ['k1', '1'],
      ['k11', '11'],
    ]);
    await warm.tasks.close();
  });
});
