// Transforms and error handling on the source path: the worker invocation
// against dynalite and the embedded broker, with a test source whose records
// carry a `marked` header when listed in its config. RegexRouter routes,
// Filter drops, and the stored offsets still reach the last polled record
// (dropped or not). A transform or converter failure under
// errors.tolerance=all skips the record (to the DLQ when one is set, with its
// source partition and offset as context); under none the task is FAILED with
// a trace naming where the record came from.
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/connect/config/config-def.js';
import { Schema } from '../../src/connect/data/schema.js';
import type { SourceConnector, SourceTask, SourceTaskContext } from '../../src/connect/plugin.js';
import { sourceRecord, type SourceRecord } from '../../src/connect/record.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { registerTransforms } from '../../src/connect/transforms/index.js';
import { createLogger } from '../../src/logging.js';
import { defaultCoordinatorSettings, reconcile } from '../../src/runtime/coordinator.js';
import { runWorkerInvocation, type WorkerDeps } from '../../src/runtime/worker.js';
import { Store } from '../../src/store/index.js';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { useDynalite } from '../helpers/dynalite.js';
import { waitFor } from '../helpers/env.js';
import { collect, text } from '../helpers/kafkajs.js';

const TABLE = 'slipway-source-transforms';
const dynamo = useDynalite(TABLE);
const logger = createLogger('test', { level: 'silent' });

// Emits records 0..count-1, `batch` per poll, value `r<n>`; those listed in `marked` carry a
// `marked` header and, with `marked.value.number`, a number where the schema says string.
const spec = defineConfig([
  { name: 'topic', type: 'string', required: true, importance: 'high', doc: 'target topic' },
  { name: 'count', type: 'int', default: 10, importance: 'low', doc: 'records to emit' },
  { name: 'batch', type: 'int', default: 1, importance: 'low', doc: 'records per poll' },
  { name: 'marked', type: 'list', default: [], importance: 'low', doc: 'record numbers that carry the marked header' },
  { name: 'marked.value.number', type: 'boolean', default: false, importance: 'low', doc: 'marked records hold a number under a string schema' },
]);

class MarkingTask implements SourceTask {
  private next = 0;
  private cfg!: ReturnType<typeof spec.parse>;
  version() {
    return 'test';
  }
  async start(config: Readonly<Record<string, string>>, ctx: SourceTaskContext) {
    this.cfg = spec.parse(config);
    const stored = await ctx.offsetStorageReader.offset({ source: 'test' });
    this.next = typeof stored?.n === 'number' ? stored.n + 1 : 0;
  }
  async poll(): Promise<SourceRecord[] | null> {
    await new Promise((r) => setTimeout(r, 5));
    const out: SourceRecord[] = [];
    while (out.length < (this.cfg.batch as number) && this.next < (this.cfg.count as number)) {
      const n = this.next++;
      const marked = (this.cfg.marked as string[]).includes(String(n));
      out.push(
        sourceRecord({
          topic: this.cfg.topic as string,
          key: null,
          valueSchema: Schema.STRING_SCHEMA,
          value: marked && this.cfg['marked.value.number'] ? n : `r${n}`,
          headers: marked ? [{ key: 'marked', value: 'yes' }] : [],
          sourcePartition: { source: 'test' },
          sourceOffset: { n },
        }),
      );
    }
    return out.length > 0 ? out : null;
  }
  stop() {}
}

const registry = createPluginRegistry();
registerTransforms(registry);
registry.registerConnector({
  class: 'test.MarkingSourceConnector',
  type: 'source',
  version: 'test',
  create: (): SourceConnector => {
    let props: Record<string, string> = {};
    return { type: 'source', version: () => 'test', config: () => spec, start: (c) => void (props = { ...c }), taskConfigs: () => [{ ...props }], stop: () => {}, createTask: () => new MarkingTask() };
  },
});

let broker: TestBroker;
let kafka: Kafka;
let store: Store;
beforeAll(async () => {
  broker = await startTestBroker();
  kafka = new Kafka({ brokers: [broker.bootstrap], logLevel: logLevel.NOTHING });
  store = new Store({ client: dynamo.client, table: TABLE });
});
afterAll(async () => {
  await broker?.close();
});

function deps(): WorkerDeps {
  return {
    store,
    registry,
    kafka,
    invokeSuccessor: async () => {},
    clock: Date.now,
    logger,
    workerId: 'test-host:1',
    env: {},
    settings: { leaseTtlMs: 5_000, renewIntervalMs: 300, safetyBufferMs: 500, offsetFlushIntervalMs: 200, handoffWaitMs: 1_000 },
  };
}

/** Creates the connector, lets the coordinator write its task, runs one invocation of ~1 s. */
async function run(name: string, config: Record<string, string>) {
  await store.createConnector(name, { name, 'connector.class': 'test.MarkingSourceConnector', 'value.converter': 'StringConverter', 'key.converter': 'StringConverter', ...config });
  await reconcile({ store, registry, invokeWorker: async () => {}, clock: Date.now, logger, coordinatorId: 'coord', env: {}, settings: defaultCoordinatorSettings });
  return runWorkerInvocation({ connector: name, task: 0 }, () => 1_500, deps());
}

interface Consumed {
  value: string | null;
  headers: Record<string, string>;
}

/** Every record of a topic (none when it does not exist), values and headers as text. */
async function readTopic(topic: string): Promise<Consumed[]> {
  const admin = kafka.admin();
  await admin.connect();
  const exists = (await admin.listTopics()).includes(topic);
  const end = exists ? (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0) : 0;
  await admin.disconnect();
  if (end === 0) return [];
  const consumer = kafka.consumer({ groupId: uniqueName('read'), maxWaitTimeInMs: 100 });
  await consumer.connect();
  const received = await collect(consumer, [topic]);
  await waitFor(() => received.length >= end, { what: `${end} records in ${topic}` });
  await consumer.disconnect();
  return received.map((m) => ({ value: text(m.value), headers: Object.fromEntries(Object.entries(m.headers).map(([k, v]) => [k, String(v)])) }));
}

const values = (records: Consumed[]) => records.map((r) => r.value);
const storedOffset = async (name: string) => (await store.readOffsets(name))[0]?.offset;

// Fails on a marked record only: ExtractField needs a struct or a map, the value is a string.
const failOnMarked = {
  transforms: 'extract',
  'transforms.extract.type': 'org.apache.kafka.connect.transforms.ExtractField$Value',
  'transforms.extract.field': 'x',
  'transforms.extract.predicate': 'isMarked',
  predicates: 'isMarked',
  'predicates.isMarked.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
  'predicates.isMarked.name': 'marked',
};

describe('source transforms', () => {
  it('RegexRouter sends every record to the routed topic, and the offsets advance', async () => {
    const res = await run('routed', { topic: 'orders-raw', count: '6', batch: '4', transforms: 'route', 'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter', 'transforms.route.regex': '(.*)-raw', 'transforms.route.replacement': '$1-routed' });
    expect(res.outcome).toBe('handed-off');
    expect(values(await readTopic('orders-routed'))).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5']);
    expect(await readTopic('orders-raw')).toEqual([]);
    expect(await storedOffset('routed')).toEqual({ n: 5 });
  });

  it('Filter drops the records its predicate matches; a dropped last record still counts as done', async () => {
    const res = await run('filtered', {
      topic: 'filtered-out',
      count: '8',
      batch: '3',
      marked: '1,4,7',
      transforms: 'dropMarked',
      'transforms.dropMarked.type': 'org.apache.kafka.connect.transforms.Filter',
      'transforms.dropMarked.predicate': 'isMarked',
      predicates: 'isMarked',
      'predicates.isMarked.type': 'org.apache.kafka.connect.transforms.predicates.HasHeaderKey',
      'predicates.isMarked.name': 'marked',
    });
    expect(res.outcome).toBe('handed-off');
    expect(res.records).toBe(5);
    expect(values(await readTopic('filtered-out'))).toEqual(['r0', 'r2', 'r3', 'r5', 'r6']);
    expect(await storedOffset('filtered')).toEqual({ n: 7 });
  });
});

describe('source error handling', () => {
  it('with all and a DLQ: a record a transform fails on goes to the DLQ with its source partition and offset, the rest is produced, the offsets advance', async () => {
    const dlq = uniqueName('source-dlq');
    const res = await run('src-dlq', { topic: 'src-dlq-out', count: '10', batch: '5', marked: '3,9', ...failOnMarked, 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    expect(res.outcome).toBe('handed-off');
    expect(values(await readTopic('src-dlq-out'))).toEqual(['r0', 'r1', 'r2', 'r4', 'r5', 'r6', 'r7', 'r8']);
    expect(await storedOffset('src-dlq')).toEqual({ n: 9 });
    const dead = await readTopic(dlq);
    expect(values(dead)).toEqual(['r3', 'r9']);
    expect(dead[0]!.headers).toMatchObject({
      marked: 'yes',
      '__connect.errors.topic': 'src-dlq-out',
      '__connect.errors.source.partition': '{"source":"test"}',
      '__connect.errors.source.offset': '{"n":3}',
      '__connect.errors.connector.name': 'src-dlq',
      '__connect.errors.task.id': '0',
      '__connect.errors.stage': 'TRANSFORMATION',
      '__connect.errors.class.name': 'org.apache.kafka.connect.transforms.ExtractField$Value',
      '__connect.errors.exception.message': expect.any(String),
    });
    expect(dead[0]!.headers).not.toHaveProperty('__connect.errors.offset');
  });

  it('with all and a DLQ: a value the converter refuses goes there too (stage VALUE_CONVERTER, the value as JSON)', async () => {
    const dlq = uniqueName('source-dlq');
    const res = await run('src-convert', { topic: 'src-convert-out', count: '4', batch: '4', marked: '2', 'marked.value.number': 'true', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': dlq, 'errors.deadletterqueue.context.headers.enable': 'true' });
    expect(res.outcome).toBe('handed-off');
    expect(values(await readTopic('src-convert-out'))).toHaveLength(3);
    const [dead] = await readTopic(dlq);
    expect(dead!.value).toBe('2');
    expect(dead!.headers).toMatchObject({ '__connect.errors.stage': 'VALUE_CONVERTER', '__connect.errors.class.name': 'org.apache.kafka.connect.json.JsonConverter', '__connect.errors.source.offset': '{"n":2}' });
    expect(await storedOffset('src-convert')).toEqual({ n: 3 });
  });

  it('with all and no DLQ: the record is skipped and the offsets advance', async () => {
    const res = await run('src-skip', { topic: 'src-skip-out', count: '5', batch: '5', marked: '4', ...failOnMarked, 'errors.tolerance': 'all' });
    expect(res.outcome).toBe('handed-off');
    expect(values(await readTopic('src-skip-out'))).toEqual(['r0', 'r1', 'r2', 'r3']);
    expect(await storedOffset('src-skip')).toEqual({ n: 4 });
  });

  it('with none: the task is FAILED with a trace naming the source partition and offset; what was acknowledged before is committed', async () => {
    const res = await run('src-none', { topic: 'src-none-out', count: '6', batch: '1', marked: '3', ...failOnMarked });
    expect(res.outcome).toBe('failed');
    const task = await store.getTask('src-none', 0);
    expect(task?.state).toBe('FAILED');
    expect(task?.trace).toMatch(/^DataError: Transforming the record at source partition \{"source":"test"\} offset \{"n":3\} for topic src-none-out failed/);
    expect(values(await readTopic('src-none-out'))).toEqual(['r0', 'r1', 'r2']);
    expect(await storedOffset('src-none')).toEqual({ n: 2 });
  });

  it('a transform option given through a placeholder is checked once resolved: the coordinator fails the connector naming the key, and writes no task', async () => {
    const name = 'src-bad-placeholder';
    // The REST API leaves placeholder values unchecked (they resolve where the task runs).
    await store.createConnector(name, {
      name,
      'connector.class': 'test.MarkingSourceConnector',
      topic: 'never-written',
      transforms: 'route',
      'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter',
      'transforms.route.regex': '${env:ROUTE_REGEX}',
      'transforms.route.replacement': 'x',
    });
    await reconcile({ store, registry, invokeWorker: async () => {}, clock: Date.now, logger, coordinatorId: 'coord', env: { ROUTE_REGEX: '(unclosed' }, settings: defaultCoordinatorSettings });
    const connector = await store.getConnector(name);
    expect(connector?.status?.state).toBe('FAILED');
    expect(connector?.status?.trace).toMatch(/transforms\.route\.regex/);
    expect(await store.getTask(name, 0)).toBeUndefined();
  });
});
