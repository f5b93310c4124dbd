// The event source mappings of the Lambda emulator as the coordinator reaches
// them: @aws-sdk/client-lambda against the edge port, the embedded broker, and
// a recording function in real child processes (test/fixtures/lambda/esm-recorder.ts).
// What Lambda's Kafka pollers do, the emulator's must do: Lambda's event
// shape, each partition in order and one batch at a time, offsets committed
// only after success, the same batch again after a failure, bisect, the
// kafka:// on-failure destination, disable/enable, and mappings that survive
// a restart.
import fs from 'node:fs';
import path from 'node:path';
import {
  CreateAliasCommand,
  CreateEventSourceMappingCommand,
  DeleteAliasCommand,
  DeleteEventSourceMappingCommand,
  GetAliasCommand,
  GetEventSourceMappingCommand,
  LambdaClient,
  ListAliasesCommand,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
  type CreateEventSourceMappingCommandInput,
  type EventSourceMappingConfiguration,
} from '@aws-sdk/client-lambda';
import type { IHeaders } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../src/local/edge.js';
import { LambdaEmulator } from '../../src/local/lambda/emulator.js';
import { createLogger } from '../../src/logging.js';
import { parseKafkaSinkEvent } from '../../src/runtime/sink-event.js';
import { startTestBroker, uniqueName, type TestBroker } from '../helpers/broker.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { createKafka, text } from '../helpers/kafkajs.js';

const FUNCTION = 'esm-recorder';
const ALIAS = 'sink-orders-1a2b3c4d';

interface Recorded {
  event: unknown;
  invokedFunctionArn: string;
  ok: boolean;
  started: number;
  ended: number;
  /** The batch's partition key and offsets (every event here holds one partition). */
  key: string;
  offsets: number[];
}

describe('Lambda emulator: event source mappings for self-managed Kafka', () => {
  let tmp: ReturnType<typeof tempDir>;
  let tb: TestBroker;
  let emulator: LambdaEmulator;
  let edge: Edge;
  let lambda: LambdaClient;
  const kafka = () => createKafka(tb.bootstrap, { clientId: 'esm-test' });

  const newEmulator = () =>
    new LambdaEmulator({
      functions: [{ name: FUNCTION, module: 'test/fixtures/lambda/esm-recorder.ts', handler: 'handler', timeoutMs: 20_000, env: { ESM_TEST_DIR: tmp.dir } }],
      logger: createLogger('lambda-esm-test', { level: 'error' }),
      stateDir: path.join(tmp.dir, 'state'),
      batchRetryBackoff: { initialMs: 50, maxMs: 200 },
      output: () => {},
    });

  beforeAll(async () => {
    tmp = tempDir('slipway-esm-');
    fs.mkdirSync(path.join(tmp.dir, 'fail'));
    tb = await startTestBroker();
    emulator = newEmulator();
    edge = await startEdge({ port: 0, services: [(req, res) => emulator.handle(req, res)] });
    lambda = new LambdaClient({ endpoint: edge.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    await lambda.send(new CreateAliasCommand({ FunctionName: FUNCTION, Name: ALIAS, FunctionVersion: '$LATEST' }));
  }, 60_000);

  afterAll(async () => {
    lambda?.destroy();
    await edge?.close();
    await emulator?.close();
    await tb?.close();
    tmp?.cleanup();
  });

  // ---- helpers -----------------------------------------------------------------

  function recorded(topic: string): Recorded[] {
    const file = path.join(tmp.dir, 'events.jsonl');
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Omit<Recorded, 'key' | 'offsets'>)
      .map((r) => {
        const records = (r.event as { records: Record<string, Array<{ offset: number }>> }).records;
        const [key] = Object.keys(records);
        return { ...r, key: key!, offsets: records[key!]!.map((x) => x.offset) };
      })
      .filter((r) => r.key.startsWith(`${topic}-`));
  }

  /** The offsets delivered successfully, per partition key, in delivery order. */
  function delivered(topic: string): Record<string, number[]> {
    const out: Record<string, number[]> = {};
    for (const r of recorded(topic).filter((x) => x.ok)) (out[r.key] ??= []).push(...r.offsets);
    return out;
  }

  async function produce(topic: string, messages: Array<{ key?: string | null; value: string | null; headers?: IHeaders; partition?: number }>, partitions = 1): Promise<void> {
    const admin = kafka().admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] }).catch(() => false);
    await admin.disconnect();
    if (messages.length === 0) return;
    const producer = kafka().producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  async function committed(groupId: string, topic: string): Promise<Record<number, number>> {
    const admin = kafka().admin();
    await admin.connect();
    try {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      return Object.fromEntries(t!.partitions.map((p) => [p.partition, Number(p.offset)]));
    } finally {
      await admin.disconnect();
    }
  }

  function mappingInput(topic: string, extra: Partial<CreateEventSourceMappingCommandInput> = {}): CreateEventSourceMappingCommandInput {
    return {
      FunctionName: `${FUNCTION}:${ALIAS}`,
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: [tb.bootstrap] } },
      Topics: [topic],
      StartingPosition: 'TRIM_HORIZON',
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `connect-${topic}` },
      MaximumBatchingWindowInSeconds: 0,
      ...extra,
    };
  }

  async function create(topic: string, extra: Partial<CreateEventSourceMappingCommandInput> = {}): Promise<EventSourceMappingConfiguration> {
    return lambda.send(new CreateEventSourceMappingCommand(mappingInput(topic, extra)));
  }

  async function settled(uuid: string, state: 'Enabled' | 'Disabled'): Promise<EventSourceMappingConfiguration> {
    return waitFor(
      async () => {
        const m = await lambda.send(new GetEventSourceMappingCommand({ UUID: uuid }));
        return m.State === state ? m : undefined;
      },
      { what: `mapping ${uuid} ${state}` },
    );
  }

  const failOn = (topic: string, partition: number, offset: number, times: number) => fs.writeFileSync(path.join(tmp.dir, 'fail', `${topic}-${partition}-${offset}`), String(times));

  async function apiError(p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> {
    const err = (await p.then(
      () => undefined,
      (e: unknown) => e,
    )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
    if (!err) throw new Error('expected the call to fail');
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode };
  }

  // ---- the API -------------------------------------------------------------------

  it('creates, gets, lists, updates and deletes a mapping through the SDK, with Lambda shapes and states', async () => {
    const topic = uniqueName('api');
    const created = await create(topic, { Enabled: false, BatchSize: 10, MaximumRetryAttempts: 3, BisectBatchOnFunctionError: true, DestinationConfig: { OnFailure: { Destination: 'kafka://api-dlq' } } });
    expect(created).toMatchObject({
      FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}:${ALIAS}`,
      State: 'Creating',
      StateTransitionReason: 'USER_INITIATED',
      BatchSize: 10,
      MaximumBatchingWindowInSeconds: 0,
      StartingPosition: 'TRIM_HORIZON',
      Topics: [topic],
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: [tb.bootstrap] } },
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: `connect-${topic}` },
      DestinationConfig: { OnFailure: { Destination: 'kafka://api-dlq' } },
      MaximumRetryAttempts: 3,
      BisectBatchOnFunctionError: true,
    });
    expect(created.UUID).toMatch(/^[0-9a-f-]{36}$/);
    expect(created.EventSourceMappingArn).toBe(`arn:aws:lambda:us-east-1:000000000000:event-source-mapping:${created.UUID}`);
    expect(created.LastModified).toBeInstanceOf(Date);
    expect(Math.abs(created.LastModified!.getTime() - Date.now())).toBeLessThan(60_000);
    const uuid = created.UUID!;
    await settled(uuid, 'Disabled');

    const byAlias = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: `${FUNCTION}:${ALIAS}` }));
    expect(byAlias.EventSourceMappings?.map((m) => m.UUID)).toContain(uuid);
    const byArn = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: created.FunctionArn }));
    expect(byArn.EventSourceMappings?.map((m) => m.UUID)).toContain(uuid);
    // By ARN with the alias, and unqualified by name.
    const other = await create(uniqueName('api'), { Enabled: false, FunctionName: created.FunctionArn });
    expect(other.FunctionArn).toBe(created.FunctionArn);
    const unqualified = await create(uniqueName('api'), { Enabled: false, FunctionName: FUNCTION });
    expect(unqualified.FunctionArn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}`);
    expect((await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: `${FUNCTION}:${ALIAS}` }))).EventSourceMappings?.map((m) => m.UUID)).not.toContain(unqualified.UUID);
    const page1 = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: FUNCTION, MaxItems: 1 }));
    expect(page1.EventSourceMappings).toHaveLength(1);
    expect(page1.NextMarker).toBeDefined();
    const rest = await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: FUNCTION, Marker: page1.NextMarker }));
    const all = [...page1.EventSourceMappings!, ...rest.EventSourceMappings!].map((m) => m.UUID);
    expect(all).toEqual(expect.arrayContaining([uuid, other.UUID, unqualified.UUID]));
    expect(new Set(all).size).toBe(all.length);

    const updated = await lambda.send(new UpdateEventSourceMappingCommand({ UUID: uuid, BatchSize: 500, MaximumBatchingWindowInSeconds: 2, DestinationConfig: { OnFailure: {} } }));
    expect(updated).toMatchObject({ UUID: uuid, State: 'Updating', BatchSize: 500, MaximumBatchingWindowInSeconds: 2, DestinationConfig: { OnFailure: {} } });
    expect((await settled(uuid, 'Disabled')).BatchSize).toBe(500);

    const deleted = await lambda.send(new DeleteEventSourceMappingCommand({ UUID: uuid }));
    expect(deleted).toMatchObject({ UUID: uuid, State: 'Deleting' });
    await waitFor(async () => (await apiError(lambda.send(new GetEventSourceMappingCommand({ UUID: uuid })))).name === 'ResourceNotFoundException', { what: 'the mapping gone' });
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: other.UUID }));
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: unqualified.UUID }));
  });

  it('answers bad parameters with InvalidParameterValueException naming the field, and unknown things with ResourceNotFoundException', async () => {
    const topic = uniqueName('bad');
    const cases: Array<[Partial<CreateEventSourceMappingCommandInput>, string]> = [
      [{ BatchSize: 0 }, 'BatchSize'],
      [{ BatchSize: 10_001 }, 'BatchSize'],
      [{ Topics: [topic, 'other'] }, 'Topics'],
      [{ StartingPosition: 'AT_TIMESTAMP' }, 'StartingPosition'],
      [{ StartingPosition: undefined }, 'StartingPosition'],
      [{ SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: [] } } }, 'SelfManagedEventSource.Endpoints.KAFKA_BOOTSTRAP_SERVERS'],
      [{ SelfManagedEventSource: undefined }, 'SelfManagedEventSource'],
      [{ SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'no spaces' } }, 'SelfManagedKafkaEventSourceConfig.ConsumerGroupId'],
      [{ DestinationConfig: { OnFailure: { Destination: 'arn:aws:sqs:us-east-1:000000000000:q' } } }, 'DestinationConfig.OnFailure.Destination'],
      [{ DestinationConfig: { OnFailure: { Destination: `kafka://${topic}` } } }, 'DestinationConfig.OnFailure.Destination'],
      [{ MaximumRetryAttempts: -2 }, 'MaximumRetryAttempts'],
      [{ EventSourceArn: 'arn:aws:kafka:us-east-1:000000000000:cluster/c/1' }, 'EventSourceArn'],
      [{ SourceAccessConfigurations: [{ Type: 'SASL_SCRAM_512_AUTH', URI: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:s' }] }, 'SourceAccessConfigurations'],
      [{ FunctionResponseTypes: ['ReportBatchItemFailures'] }, 'FunctionResponseTypes'],
    ];
    for (const [extra, field] of cases) {
      const err = await apiError(create(topic, extra));
      expect({ field, name: err.name, status: err.status }).toEqual({ field, name: 'InvalidParameterValueException', status: 400 });
      expect(err.message.startsWith(`${field}: `)).toBe(true);
    }
    expect(await apiError(create(topic, { FunctionName: 'nope' }))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    expect(await apiError(create(topic, { FunctionName: `${FUNCTION}:no-such-alias` }))).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const call of [
      () => lambda.send(new GetEventSourceMappingCommand({ UUID: unknown })),
      () => lambda.send(new UpdateEventSourceMappingCommand({ UUID: unknown, BatchSize: 5 })),
      () => lambda.send(new DeleteEventSourceMappingCommand({ UUID: unknown })),
    ]) {
      expect(await apiError(call())).toMatchObject({ name: 'ResourceNotFoundException', status: 404 });
    }
    const first = await create(topic, { Enabled: false });
    expect(await apiError(create(topic, { Enabled: false }))).toMatchObject({ name: 'ResourceConflictException', status: 409 });
    const err = await apiError(lambda.send(new UpdateEventSourceMappingCommand({ UUID: first.UUID, SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'another' } })));
    expect(err.message).toMatch(/^SelfManagedKafkaEventSourceConfig\.ConsumerGroupId: /);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: first.UUID }));
  });

  it('serves the alias operations, and an alias only once', async () => {
    const name = 'sink-other-00000000';
    const alias = await lambda.send(new CreateAliasCommand({ FunctionName: FUNCTION, Name: name, FunctionVersion: '$LATEST', Description: 'a sink connector' }));
    expect(alias).toMatchObject({ AliasArn: `arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}:${name}`, Name: name, FunctionVersion: '$LATEST', Description: 'a sink connector' });
    expect(await lambda.send(new GetAliasCommand({ FunctionName: FUNCTION, Name: name }))).toMatchObject({ Name: name });
    expect((await lambda.send(new ListAliasesCommand({ FunctionName: FUNCTION }))).Aliases?.map((a) => a.Name)).toEqual(expect.arrayContaining([ALIAS, name]));
    expect(await apiError(lambda.send(new CreateAliasCommand({ FunctionName: FUNCTION, Name: name, FunctionVersion: '$LATEST' })))).toMatchObject({ name: 'ResourceConflictException' });
    expect(await apiError(lambda.send(new CreateAliasCommand({ FunctionName: FUNCTION, Name: 'v2', FunctionVersion: '2' })))).toMatchObject({ name: 'InvalidParameterValueException' });
    expect(await apiError(lambda.send(new CreateAliasCommand({ FunctionName: 'nope', Name: 'x', FunctionVersion: '$LATEST' })))).toMatchObject({ name: 'ResourceNotFoundException' });
    await lambda.send(new DeleteAliasCommand({ FunctionName: FUNCTION, Name: name }));
    expect(await apiError(lambda.send(new GetAliasCommand({ FunctionName: FUNCTION, Name: name })))).toMatchObject({ name: 'ResourceNotFoundException' });
  });

  // ---- the poller ----------------------------------------------------------------

  it("invokes the function through its alias with Lambda's SelfManagedKafka event: base64 key and value, null tombstones, signed-byte headers", async () => {
    const topic = uniqueName('shape');
    await produce(topic, [
      { key: 'k1', value: '{"id":1}', headers: { 'trace-id': 'abc', bin: Buffer.from([0, 127, 128, 255]) } },
      { key: null, value: 'no key' },
      { key: 'k1', value: null },
    ]);
    const m = await create(topic);
    await waitFor(() => (delivered(topic)[`${topic}-0`]?.length ?? 0) >= 3, { what: 'three records delivered' });
    const [first] = recorded(topic);
    expect(first!.invokedFunctionArn).toBe(`arn:aws:lambda:us-east-1:000000000000:function:${FUNCTION}:${ALIAS}`);
    const raw = first!.event as { eventSource: string; bootstrapServers: string; records: Record<string, Array<Record<string, unknown>>> };
    expect(raw.eventSource).toBe('SelfManagedKafka');
    expect(raw.bootstrapServers).toBe(tb.bootstrap);
    expect(raw.records[`${topic}-0`]![0]).toMatchObject({ topic, partition: 0, offset: 0, timestampType: 'CREATE_TIME', key: Buffer.from('k1').toString('base64'), headers: [{ 'trace-id': [97, 98, 99] }, { bin: [0, 127, -128, -1] }] });
    expect(raw.records[`${topic}-0`]![2]!.value).toBeNull();
    // The sink function's own parser reads it back to what was produced.
    const records = recorded(topic).flatMap((r) => parseKafkaSinkEvent(r.event).partitions.flatMap((p) => p.records));
    expect(records.map((r) => [r.offset, text(r.key), text(r.value)])).toEqual([
      [0, 'k1', '{"id":1}'],
      [1, null, 'no key'],
      [2, 'k1', null],
    ]);
    expect(records[0]!.headers).toEqual([
      { key: 'trace-id', value: Buffer.from('abc') },
      { key: 'bin', value: Buffer.from([0, 127, 128, 255]) },
    ]);
    expect(Math.abs(records[0]!.timestamp - Date.now())).toBeLessThan(60_000);
    await waitFor(async () => (await committed(`connect-${topic}`, topic))[0] === 3, { what: 'offset 3 committed' });
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });

  it('delivers each partition in order, one batch at a time, in batches of at most BatchSize', async () => {
    const topic = uniqueName('order');
    const perPartition = 40;
    const messages = [0, 1, 2].flatMap((partition) => Array.from({ length: perPartition }, (_, i) => ({ partition, key: `k${i}`, value: `p${partition}-${i}` })));
    await produce(topic, messages, 3);
    const m = await create(topic, { BatchSize: 7 });
    await waitFor(() => [0, 1, 2].every((p) => (delivered(topic)[`${topic}-${p}`]?.length ?? 0) >= perPartition), { what: 'every record delivered', timeoutMs: 60_000 });
    const byPartition = delivered(topic);
    for (const p of [0, 1, 2]) expect(byPartition[`${topic}-${p}`]).toEqual(Array.from({ length: perPartition }, (_, i) => i));
    const batches = recorded(topic);
    expect(Math.max(...batches.map((b) => b.offsets.length))).toBeLessThanOrEqual(7);
    for (const p of [0, 1, 2]) {
      const own = batches.filter((b) => b.key === `${topic}-${p}`).sort((a, b) => a.started - b.started);
      for (let i = 1; i < own.length; i++) expect(own[i]!.started).toBeGreaterThanOrEqual(own[i - 1]!.ended);
    }
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });

  it('cuts batches at 6 MB of event, whatever BatchSize allows', async () => {
    const topic = uniqueName('big');
    // 900 KB each (under the broker's 1 MB message limit): 1.2 MB in base64, so five fit in an event, six do not.
    for (let i = 0; i < 12; i++) await produce(topic, [{ value: String(i % 10).repeat(900 * 1024) }]);
    const m = await create(topic, { BatchSize: 100 });
    await waitFor(() => (delivered(topic)[`${topic}-0`]?.length ?? 0) >= 12, { what: 'twelve big records delivered', timeoutMs: 60_000 });
    expect(delivered(topic)[`${topic}-0`]).toEqual(Array.from({ length: 12 }, (_, i) => i));
    const sizes = recorded(topic).map((r) => r.offsets.length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
    expect(Math.max(...sizes)).toBeGreaterThan(1);
    for (const r of recorded(topic)) expect(Buffer.byteLength(JSON.stringify(r.event))).toBeLessThanOrEqual(6 * 1024 * 1024);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });

  it('commits only after success: a failing batch comes again, whole, and nothing after it is delivered or committed first', async () => {
    const topic = uniqueName('retry');
    await produce(topic, Array.from({ length: 10 }, (_, i) => ({ value: `v${i}` })));
    failOn(topic, 0, 5, -1);
    const m = await create(topic, { BatchSize: 3 });
    // The batch holding offset 5 fails again and again; what came before it is committed.
    await waitFor(() => recorded(topic).filter((r) => !r.ok).length >= 3, { what: 'three failed attempts' });
    const failed = recorded(topic).filter((r) => !r.ok);
    expect(new Set(failed.map((r) => JSON.stringify(r.offsets))).size).toBe(1);
    const failing = failed[0]!.offsets;
    expect(failing).toContain(5);
    expect(Math.max(...(delivered(topic)[`${topic}-0`] ?? []))).toBeLessThan(failing[0]!);
    expect((await committed(`connect-${topic}`, topic))[0]).toBe(failing[0]);
    // Fixed: it goes through once, then the rest; nothing skipped, nothing twice.
    failOn(topic, 0, 5, 0);
    await waitFor(() => (delivered(topic)[`${topic}-0`]?.length ?? 0) >= 10, { what: 'every record delivered' });
    expect(delivered(topic)[`${topic}-0`]).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    await waitFor(async () => (await committed(`connect-${topic}`, topic))[0] === 10, { what: 'offset 10 committed' });
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });

  it('bisects a failing batch down to the poison record, retries it MaximumRetryAttempts times, then sends it to the kafka:// destination and goes on', async () => {
    const topic = uniqueName('bisect');
    const dlq = `${topic}-dlq`;
    await produce(topic, Array.from({ length: 8 }, (_, i) => ({ key: `k${i}`, value: `v${i}`, headers: { n: String(i) } })));
    await produce(dlq, []);
    failOn(topic, 0, 5, -1);
    const m = await create(topic, { BatchSize: 8, BisectBatchOnFunctionError: true, MaximumRetryAttempts: 1, DestinationConfig: { OnFailure: { Destination: `kafka://${dlq}` } } });
    await waitFor(async () => (await committed(`connect-${topic}`, topic))[0] === 8, { what: 'offset 8 committed' });
    expect(delivered(topic)[`${topic}-0`]).toEqual([0, 1, 2, 3, 4, 6, 7]);
    // Offset 5 alone: the first try and one retry.
    expect(recorded(topic).filter((r) => JSON.stringify(r.offsets) === '[5]' && !r.ok)).toHaveLength(2);

    const consumer = kafka().consumer({ groupId: uniqueName('dlq-reader') });
    await consumer.connect();
    const got: Array<{ key: string | null; value: string | null; headers: IHeaders }> = [];
    await consumer.subscribe({ topics: [dlq], fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void got.push({ key: text(message.key), value: text(message.value), headers: message.headers ?? {} }) });
    await waitFor(() => got.length >= 1, { what: 'the record in the destination' });
    await consumer.disconnect();
    expect(got).toHaveLength(1);
    expect(got[0]).toMatchObject({ key: 'k5', value: 'v5' });
    expect(text(got[0]!.headers.n as Buffer)).toBe('5');
    expect(text(got[0]!.headers['slipway.esm.source.offset'] as Buffer)).toBe('5');
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });

  it('disabled, it stops consuming and keeps its committed offsets; enabled again, it goes on from them', async () => {
    const topic = uniqueName('toggle');
    await produce(topic, [{ value: 'a' }, { value: 'b' }]);
    const m = await create(topic);
    await waitFor(() => (delivered(topic)[`${topic}-0`]?.length ?? 0) >= 2, { what: 'two records delivered' });
    expect(await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: false }))).toMatchObject({ State: 'Disabling' });
    await settled(m.UUID!, 'Disabled');
    await produce(topic, [{ value: 'c' }]);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(delivered(topic)[`${topic}-0`]).toEqual([0, 1]);
    expect(await lambda.send(new UpdateEventSourceMappingCommand({ UUID: m.UUID, Enabled: true }))).toMatchObject({ State: 'Enabling' });
    await settled(m.UUID!, 'Enabled');
    await waitFor(() => (delivered(topic)[`${topic}-0`]?.length ?? 0) >= 3, { what: 'the third record delivered' });
    expect(delivered(topic)[`${topic}-0`]).toEqual([0, 1, 2]);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });

  it('keeps its mappings and aliases across a restart on the same state dir, and resumes from the committed offsets', async () => {
    const topic = uniqueName('restart');
    await produce(topic, [{ value: 'a' }, { value: 'b' }]);
    const m = await create(topic, { BatchSize: 5 });
    await waitFor(() => (delivered(topic)[`${topic}-0`]?.length ?? 0) >= 2, { what: 'two records delivered' });
    await waitFor(async () => (await committed(`connect-${topic}`, topic))[0] === 2, { what: 'offset 2 committed' });

    await emulator.close();
    emulator = newEmulator();
    expect(await lambda.send(new GetAliasCommand({ FunctionName: FUNCTION, Name: ALIAS }))).toMatchObject({ Name: ALIAS });
    const again = await settled(m.UUID!, 'Enabled');
    expect(again).toMatchObject({ UUID: m.UUID, BatchSize: 5, FunctionArn: m.FunctionArn, Topics: [topic] });
    await produce(topic, [{ value: 'c' }]);
    await waitFor(() => (delivered(topic)[`${topic}-0`]?.length ?? 0) >= 3, { what: 'the third record delivered' });
    expect(delivered(topic)[`${topic}-0`]).toEqual([0, 1, 2]);
    await lambda.send(new DeleteEventSourceMappingCommand({ UUID: m.UUID }));
  });
});
