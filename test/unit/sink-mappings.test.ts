// The naming rules of sink mappings, and the MSK variant, which cannot run here
// (the local emulator serves self-managed Kafka only; the self-managed path runs
// against it in test/integration/lambda-esm-dev.test.ts): Lambda is faked at the
// SDK boundary, recording the commands sent.
import type { LambdaClient } from '@aws-sdk/client-lambda';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { SinkMappings, sinkBatchSize, sinkGroupId, sinkTopics } from '../../src/runtime/sink-mappings.js';
import { sinkAliasOf } from '../../src/runtime/sink.js';
import { kafkaSourceAccess } from '../../src/runtime/settings.js';

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

/** A LambdaClient that records the commands sent: no alias, no mapping yet. */
function recordingLambda(sent: { name: string; input: Record<string, unknown> }[]): LambdaClient {
  return {
      send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
        if (command.constructor.name === 'GetAliasCommand') throw Object.assign(new Error('no alias'), { name: 'ResourceNotFoundException' });
        if (command.constructor.name === 'ListEventSourceMappingsCommand') return { EventSourceMappings: [] };
      return {};
    },
  } as unknown as LambdaClient;
}

describe('sink mappings on Amazon MSK', () => {
  it('name the cluster by its ARN and the group in AmazonManagedKafkaEventSourceConfig', async () => {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const lambda = recordingLambda(sent);
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

describe('how sink mappings reach the cluster (SourceAccessConfigurations)', () => {
  const env = {
    SLIPWAY_KAFKA_AUTH: 'SASL_SCRAM_512_AUTH',
    SLIPWAY_KAFKA_AUTH_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-creds',
    SLIPWAY_KAFKA_ROOT_CA_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:kafka-ca',
    SLIPWAY_KAFKA_VPC_SUBNETS: 'subnet-1, subnet-2',
    SLIPWAY_KAFKA_VPC_SECURITY_GROUPS: 'sg-1',
  };

  it('are read from the environment: auth with its secret, a root CA, the VPC subnets and security groups', () => {
    expect(kafkaSourceAccess({})).toEqual([]);
    expect(kafkaSourceAccess({ SLIPWAY_KAFKA_AUTH: 'NONE', SLIPWAY_KAFKA_VPC_SUBNETS: '' })).toEqual([]);
    expect(kafkaSourceAccess(env)).toEqual([
      { Type: 'SASL_SCRAM_512_AUTH', URI: env.SLIPWAY_KAFKA_AUTH_SECRET_ARN },
      { Type: 'SERVER_ROOT_CA_CERTIFICATE', URI: env.SLIPWAY_KAFKA_ROOT_CA_SECRET_ARN },
      { Type: 'VPC_SUBNET', URI: 'subnet:subnet-1' },
      { Type: 'VPC_SUBNET', URI: 'subnet:subnet-2' },
      { Type: 'VPC_SECURITY_GROUP', URI: 'security_group:sg-1' },
    ]);
    expect(() => kafkaSourceAccess({ SLIPWAY_KAFKA_AUTH: 'KERBEROS' })).toThrow(/SLIPWAY_KAFKA_AUTH must be NONE or one of BASIC_AUTH/);
    expect(() => kafkaSourceAccess({ SLIPWAY_KAFKA_AUTH: 'BASIC_AUTH' })).toThrow(/needs SLIPWAY_KAFKA_AUTH_SECRET_ARN/);
  });

  it('go on every self-managed mapping created; on MSK only the auth Lambda offers there', async () => {
    const sent: { name: string; input: Record<string, unknown> }[] = [];
    const logger = createLogger('t', { level: 'silent' });
    await new SinkMappings({ lambda: recordingLambda(sent), functionName: 'slipway-sink', bootstrapServers: ['k1:9096'], sourceAccess: kafkaSourceAccess(env), listTopics: async () => [], logger }).sync('a', { topics: 'orders' }, true);
    const selfManaged = sent.find((c) => c.name === 'CreateEventSourceMappingCommand')!.input;
    expect(selfManaged.SourceAccessConfigurations).toEqual(kafkaSourceAccess(env));

    sent.length = 0;
    const arn = 'arn:aws:kafka:eu-west-1:123456789012:cluster/prod/abcd';
    await new SinkMappings({ lambda: recordingLambda(sent), functionName: 'slipway-sink', bootstrapServers: ['b-1:9096'], mskClusterArn: arn, sourceAccess: kafkaSourceAccess(env), listTopics: async () => [], logger }).sync('a', { topics: 'orders' }, true);
    expect(sent.find((c) => c.name === 'CreateEventSourceMappingCommand')!.input.SourceAccessConfigurations).toEqual([{ Type: 'SASL_SCRAM_512_AUTH', URI: env.SLIPWAY_KAFKA_AUTH_SECRET_ARN }]);

    sent.length = 0;
    await new SinkMappings({ lambda: recordingLambda(sent), functionName: 'slipway-sink', bootstrapServers: ['k1:9092'], listTopics: async () => [], logger }).sync('a', { topics: 'orders' }, true);
    expect(sent.find((c) => c.name === 'CreateEventSourceMappingCommand')!.input).not.toHaveProperty('SourceAccessConfigurations');
  });
});
