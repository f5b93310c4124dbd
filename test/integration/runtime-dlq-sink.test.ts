// Dead letter queues on the sink path, against the embedded broker and dynalite:
// bytes that are not JSON in a JsonConverter topic go to the DLQ as they were
// consumed, with every `__connect.errors.*` header, and the rest of the batch
// is written (errors.tolerance=all); with none the task is FAILED, the trace
// names the offset and nothing of the batch is written; a transform failure
// and a record the task reports through its errantRecordReporter go there too.
import fs from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type IHeaders } from 'kafkajs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { SinkConnector, SinkTaskContext } from '../../src/connect/plugin.js';
import type { SinkRecord } from '../../src/connect/record.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { registerTransforms } from '../../src/connect/transforms/index.js';
import { registerFileStreamSink } from '../../src/connectors/file/file-stream-sink.js';
import { defineConfig } from '../../src/connect/config/config-def.js';
import { createLogger } from '../../src/logging.js';
import { runSinkInvocation, type SinkDeps } from '../../src/runtime/sink.js';
import { Store } from '../../src/store/index.js';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { useDynalite } from '../helpers/dynalite.js';
import { tempDir } from '../helpers/env.js';

const TABLE = 'slipway-dlq-sink-test';
const dynamo = useDynalite(TABLE);
const registry = createPluginRegistry();
registerFileStreamSink(registry, 'test');
registerTransforms(registry);

// A sink that reports every record whose value is "bad" to the errantRecordReporter and keeps the rest.
const written: string[] = [];
registry.registerConnector({
  class: 'test.ReportingSinkConnector',
  type: 'sink',
  version: 'test',
  create: (): SinkConnector => ({
    type: 'sink',
    version: () => 'test',
    config: () => defineConfig([]),
    start: () => {},
    taskConfigs: (n) => Array.from({ length: n }, () => ({})),
    stop: () => {},
    createTask: () => {
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
    },
  }),
});

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
  tmp = tempDir('slipway-dlq-sink-');
  written.length = 0;
  deps = {
    store: new Store({ client: dynamo.client, table: TABLE }),
    registry,
    clock: Date.now,
    logger: createLogger('test', { level: 'silent' }),
    workerId: 'host:4242',
    env: {},
    kafka,
  };
  return () => tmp.cleanup();
});

/** A SelfManagedKafka batch: `values` per "<topic>-<partition>", offsets from `first`, key `k<offset>`, header origin=test. */
function batchOf(values: Record<string, string[]>, first = 0): unknown {
  const records: Record<string, unknown[]> = {};
  for (const [tp, list] of Object.entries(values)) {
    const dash = tp.lastIndexOf('-');
    records[tp] = list.map((v, i) => ({
      topic: tp.slice(0, dash),
      partition: Number(tp.slice(dash + 1)),
      offset: first + i,
      timestamp: 1763773200000 + i,
      timestampType: 'CREATE_TIME',
      key: Buffer.from(`k${first + i}`).toString('base64'),
      value: Buffer.from(v).toString('base64'),
      headers: [{ origin: [116, 101, 115, 116] }],
    }));
  }
  return { eventSource: 'SelfManagedKafka', bootstrapServers: broker.bootstrap, records };
}

async function connector(name: string, config: Record<string, string>): Promise<void> {
  const full = { name, topics: 'orders', ...config };
  await deps.store.createConnector(name, full);
  await deps.store.writeTaskConfigs(name, 1, [full]);
}

/** A FileStreamSink reading JSON without schemas (keys as strings). */
async function jsonFileSink(name: string, extra: Record<string, string>): Promise<string> {
  const file = path.join(tmp.dir, `${name}.txt`);
  await connector(name, { 'connector.class': 'FileStreamSink', file, 'key.converter': 'StringConverter', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'false', ...extra });
  return file;
}

const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').slice(0, -1) : []);

interface Consumed {
  key: string | null;
  value: string | null;
  headers: Record<string, string | string[]>;
}

/** The first `count` records of a topic (waits for them). */
async function readTopic(topic: string, count: number): Promise<Consumed[]> {
  const out: Consumed[] = [];
  const consumer = kafka.consumer({ groupId: uniqueName('read'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push({ key: message.key?.toString() ?? null, value: message.value?.toString() ?? null, headers: text(message.headers ?? {}) });
        if (out.length >= count) resolve();
      },
    });
  });
  await consumer.disconnect();
  return out;
}

async function endOffset(topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) return 0;
    return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

function text(headers: IHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) out[k] = Array.isArray(v) ? v.map((x) => x.toString()) : String(v?.toString());
  return out;
}

describe('sink dead letter queue', () => {
  it('with all: bytes that are not JSON land in the DLQ as consumed, with every context header, and the rest of the batch is written', async () => {
    const dlq = uniqueName('dlq');
    const file = await jsonFileSink('dlq-all', { 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    const result = await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}', '{"n": 2', '{"n": 3}'], 'orders-1': ['{"n": 4}'] }, 10), 'dlq-all', deps);

    expect(lines(file)).toEqual(['{n=1}', '{n=3}', '{n=4}']);
    expect(result.offsets).toEqual([
      { topic: 'orders', partition: 0, offset: 13 },
      { topic: 'orders', partition: 1, offset: 11 },
    ]);
    expect(await deps.store.getTask('dlq-all', 0)).toMatchObject({ state: 'RUNNING' });

    const [dead, ...more] = await readTopic(dlq, 1);
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
    await runSinkInvocation(batchOf({ 'orders-0': ['not json'] }), 'dlq-bare', deps);
    const [dead] = await readTopic(dlq, 1);
    expect(dead).toEqual({ key: 'k0', value: 'not json', headers: { origin: 'test' } });
  });

  it('with none: the task is FAILED, the trace names the offset, nothing of the batch is written and nothing goes to the DLQ', async () => {
    const dlq = uniqueName('dlq');
    const file = await jsonFileSink('dlq-none', { 'errors.tolerance': 'none', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    const err = await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}', '{"n": 2', '{"n": 3}'] }, 20), 'dlq-none', deps).catch((e: unknown) => e);
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
    await runSinkInvocation(batchOf({ 'orders-0': ['{"n": 1}', '"a bare string"', '{"n": 3}'] }), 'dlq-transform', deps);
    expect(lines(file)).toEqual(['1', '3']);
    const [dead] = await readTopic(dlq, 1);
    expect(dead!.value).toBe('"a bare string"');
    expect(dead!.headers).toMatchObject({ '__connect.errors.stage': 'TRANSFORMATION', '__connect.errors.class.name': 'org.apache.kafka.connect.transforms.ExtractField$Value', '__connect.errors.offset': '1' });
  });

  it("the task's errantRecordReporter sends a record put could not write to the DLQ (stage TASK_PUT), and the rest is written", async () => {
    const dlq = uniqueName('dlq');
    await connector('reporter-all', { 'connector.class': 'test.ReportingSinkConnector', 'key.converter': 'StringConverter', 'value.converter': 'StringConverter', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    await runSinkInvocation(batchOf({ 'orders-0': ['a', 'bad', 'c'] }, 5), 'reporter-all', deps);
    expect(written).toEqual(['a', 'c']);
    const [dead] = await readTopic(dlq, 1);
    expect(await endOffset(dlq)).toBe(1);
    expect(dead).toMatchObject({ key: 'k6', value: 'bad' });
    expect(dead!.headers).toMatchObject({ '__connect.errors.stage': 'TASK_PUT', '__connect.errors.class.name': 'test.ReportingSinkConnector', '__connect.errors.exception.class.name': 'RangeError', '__connect.errors.exception.message': 'the target refused "bad"', '__connect.errors.offset': '6' });
  });

  it('with none, the errantRecordReporter fails the task instead', async () => {
    await connector('reporter-none', { 'connector.class': 'test.ReportingSinkConnector', 'key.converter': 'StringConverter', 'value.converter': 'StringConverter', 'errors.deadletterqueue.topic.name': uniqueName('dlq') });
    await expect(runSinkInvocation(batchOf({ 'orders-0': ['a', 'bad', 'c'] }), 'reporter-none', deps)).rejects.toThrow(/topic orders partition 0 offset 1 failed: the target refused "bad"/);
    expect(await deps.store.getTask('reporter-none', 0)).toMatchObject({ state: 'FAILED' });
    expect(written).toEqual(['a']);
  });
});
