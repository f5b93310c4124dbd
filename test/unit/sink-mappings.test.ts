// The naming rules of sink mappings, and the MSK variant, which cannot run here
// (the local emulator serves self-managed Kafka only; the self-managed path runs
// against it in test/integration/lambda-esm-dev.test.ts): Lambda is faked at the
// SDK boundary, recording the commands sent.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { SinkMappings, sinkBatchSize, sinkGroupId, sinkTopics } from '../../src/runtime/sink-mappings.js';
import { sinkAliasOf } from '../../src/runtime/sink.js';

describe('sink mapping names', () => {
  it("are Kafka Connect's connect-<name>, rewritten (with a hash) only when Lambda's pattern or length refuses it", () => {
    expect(sinkGroupId('orders-to-pg')).toBe('connect-orders-to-pg');
    expect(sinkGroupId('orders', 'eu.orders')).toBe('connect-orders-eu.orders');
    const odd = sinkGroupId('orders to "pg"');
    expect(odd).toMatch(/^connect-orders_to__pg_-[0-9a-f]{8}$/);
    // Two names that read the same once rewritten stay apart.
    expect(sinkGroupId('a b')).toMatch(/^connect-a_b-[0-9a-f]{8}$/);
    expect(sinkGroupId('a"b')).toMatch(/^connect-a_b-[0-9a-f]{8}$/);
    expect(sinkGroupId('a b')).not.toBe(sinkGroupId('a"b'));
    expect(sinkGroupId('x'.repeat(300)).length).toBeLessThanOrEqual(200);
  });

  it('take the batch size from consumer.override.max.poll.records within 1..10000, default 500', () => {
    expect(sinkBatchSize({})).toBe(500);
    expect(sinkBatchSize({ 'consumer.override.max.poll.records': '2000' })).toBe(2000);
    expect(sinkBatchSize({ 'consumer.override.max.poll.records': '50000' })).toBe(10_000);
    expect(sinkBatchSize({ 'consumer.override.max.poll.records': 'many' })).toBe(500);
  });

  it('read topics from topics, or match topics.regex against the whole name, never internal topics', async () => {
    expect(await sinkTopics({ topics: 'a, b,a' }, async () => [])).toEqual(['a', 'b']);
    expect(await sinkTopics({ 'topics.regex': 'orders.*' }, async () => ['orders', 'orders-eu', 'x-orders', '__orders'])).toEqual(['orders', 'orders-eu']);
  });
});

describe('sink mappings on Amazon MSK', () => {
  it('name the cluster by its ARN and the group in AmazonManagedKafkaEventSourceConfig', async () => {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const lambda = {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
        sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name === 'GetAliasCommand') throw Object.assign(new Error('no alias'), { name: 'ResourceNotFoundException' });
        if (command.constructor.name === 'ListEventSourceMappingsCommand') return { EventSourceMappings: [] };
        return {};
      },
    } as unknown as LambdaClient;
    const arn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/prod/abcd';
    const mappings = new SinkMappings({ lambda, functionName: 'slipway-sink', bootstrapServers: ['b-1:9098'], mskClusterArn: arn, listTopics: async () => [], logger: createLogger('t', { level: 'silent' }) });
    await mappings.sync('orders-to-pg', { topics: 'orders' }, true);
    const alias = sinkAliasOf('orders-to-pg');
    expect(sent.find((c) => c.name === 'CreateAliasCommand')?.input).toMatchObject({ FunctionName: 'slipway-sink', Name: alias, FunctionVersion: '$LATEST' });
    const create = sent.find((c) => c.name === 'CreateEventSourceMappingCommand')!.input;
    expect(create).toMatchObject({ FunctionName: `slipway-sink:${alias}`, EventSourceArn: arn, Topics: ['orders'], AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'connect-orders-to-pg' }, StartingPosition: 'TRIM_HORIZON', BatchSize: 500, Enabled: true });
    expect(create).not.toHaveProperty('SelfManagedEventSource');
  });
});
