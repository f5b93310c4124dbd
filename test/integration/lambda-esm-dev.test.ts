// The sink path of `slipway dev` end to end: a sink connector created through
// the REST API becomes, through the coordinator's Lambda API calls, an alias
// of the sink function and an event source mapping, whose local poller feeds
// the sink function; and all of it survives a restart of `slipway dev` on the
// same data dir (the broker on a new port included).
import fs from 'node:fs';
import path from 'node:path';
import { LambdaClient, ListEventSourceMappingsCommand } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sinkAliasOf } from '../../src/runtime/sink.js';
import { DevHarness } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';

const lines = (file: string): string[] => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);

describe('slipway dev: sink connectors run off the local event source mapping', () => {
  let dev: DevHarness;

  beforeAll(async () => {
    dev = await DevHarness.start();
  }, 120_000);

  afterAll(async () => {
    await dev?.close();
  });

  async function produce(topic: string, values: string[]): Promise<void> {
    const producer = dev.kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: values.map((value) => ({ value })) });
    await producer.disconnect();
  }

  async function mappings(): Promise<Array<{ FunctionArn?: string; State?: string; SelfManagedKafkaEventSourceConfig?: { ConsumerGroupId?: string }; SelfManagedEventSource?: { Endpoints?: Record<string, string[]> } }>> {
    const lambda = new LambdaClient({ endpoint: dev.stack.edgeEndpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      return (await lambda.send(new ListEventSourceMappingsCommand({ FunctionName: 'slipway-sink' }))).EventSourceMappings ?? [];
    } finally {
      lambda.destroy();
    }
  }

  it('delivers a topic to a FileStreamSink through the mapping the coordinator made, before and after a restart', async () => {
    const out = path.join(dev.dir, 'orders.txt');
    await produce('orders', ['o1', 'o2', 'o3']);
    const res = await dev.api('POST', '/connectors', {
      name: 'orders-file',
      config: { 'connector.class': 'FileStreamSink', topics: 'orders', file: out, 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' },
    });
    expect(res.status).toBe(201);
    await waitFor(() => lines(out).length >= 3, { what: 'three lines in the sink file', timeoutMs: 60_000 });
    // Lambda commits a batch after the invocation returns: a restart before that delivers it again (at least
    // once). The restart below is to show what was committed stays committed, so wait for the commit.
    await waitFor(
      async () => {
        const res = await dev.api('GET', '/connectors/orders-file/offsets');
        const offsets = (res.body as { offsets?: Array<{ offset: { kafka_offset: number } }> }).offsets ?? [];
        return offsets.reduce((n, o) => n + o.offset.kafka_offset, 0) >= 3;
      },
      { what: 'the three records committed by connect-orders-file', timeoutMs: 60_000 },
    );
    const [mapping] = await mappings();
    expect(mapping).toMatchObject({
      FunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:slipway-sink:${sinkAliasOf('orders-file')}`,
      State: 'Enabled',
      SelfManagedKafkaEventSourceConfig: { ConsumerGroupId: 'connect-orders-file' },
      SelfManagedEventSource: { Endpoints: { KAFKA_BOOTSTRAP_SERVERS: [dev.stack.bootstrap] } },
    });

    await dev.stopStack();
    await dev.startStack();
    await produce('orders', ['o4', 'o5']);
    await waitFor(() => lines(out).length >= 5, { what: 'five lines in the sink file', timeoutMs: 60_000 });
    expect(lines(out)).toEqual(['o1', 'o2', 'o3', 'o4', 'o5']);
    const after = await mappings();
    expect(after).toHaveLength(1);
    expect(after[0]!.SelfManagedEventSource?.Endpoints?.KAFKA_BOOTSTRAP_SERVERS).toEqual([dev.stack.bootstrap]);
  }, 180_000);
});
