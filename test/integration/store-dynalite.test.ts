// The embedded DynamoDB and the store's client plumbing: persistence across
// restarts on one data dir, the request handler behind an "edge" server,
// the table, and the endpoint/region/credentials taken from the environment.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, ListTablesCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { dynaliteRequestHandler, startDynalite } from '../../src/local/dynamo.js';
import { Store, createDynamoClient, dynamoEndpoint, ensureTable, tableName } from '../../src/store/index.js';
import { tempDir } from '../helpers/env.js';

/** Closed after each test, last opened first. */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function clientFor(endpoint: string): DynamoDBClient {
  const client = createDynamoClient({ AWS_ENDPOINT_URL: endpoint });
  cleanups.push(() => client.destroy());
  return client;
}

async function startEmbedded(dataDir?: string): Promise<{ store: Store; client: DynamoDBClient; close: () => Promise<void> }> {
  const dynamo = await startDynalite({ dataDir });
  const client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
  await ensureTable(client, 'slipway');
  return {
    store: new Store({ client, table: 'slipway' }),
    client,
    close: async () => {
      client.destroy();
      await dynamo.close();
    },
  };
}

describe('embedded DynamoDB', () => {
  it('keeps connectors, tasks, leases and offsets across close and reopen on the same data dir', async () => {
    const { dir, cleanup } = tempDir('slipway-dynalite-');
    cleanups.push(cleanup);

    const first = await startEmbedded(dir);
    await first.store.createConnector('kept', { 'connector.class': 'FileStreamSource', file: '/tmp/kept' });
    await first.store.writeTaskConfigs('kept', 1, [{ file: '/tmp/kept' }]);
    const lease = await first.store.acquireLease('kept', 0, 'w1', 60_000);
    await first.store.writeOffset('kept', { file: '/tmp/kept' }, { position: 123 }, lease!.epoch);
    const before = { connector: await first.store.getConnector('kept'), tasks: await first.store.listTasks('kept') };
    await first.close();

    const second = await startEmbedded(dir);
    cleanups.push(second.close);

    expect(await second.store.getConnector('kept')).toEqual(before.connector);
    expect(await second.store.listTasks('kept')).toEqual(before.tasks);
    expect(await second.store.readOffsets('kept')).toEqual([{ partition: { file: '/tmp/kept' }, offset: { position: 123 }, epoch: lease!.epoch }]);
    const next = await second.store.acquireLease('kept', 0, 'w2', 60_000);
    expect(next).toBeNull(); // the lease persisted too
  });

  it('starts empty without a data dir', async () => {
    const first = await startEmbedded();
    await first.store.createConnector('gone', {});
    await first.close();

    const second = await startEmbedded();
    cleanups.push(second.close);

    expect(await second.store.listConnectors()).toEqual([]);
  });

  it('serves DynamoDB through a request handler on a shared edge server', async () => {
    const { dir, cleanup } = tempDir('slipway-edge-');
    cleanups.push(cleanup);
    const startEdge = async () => {
      const dynamo = dynaliteRequestHandler({ dataDir: dir });
      const edge = http.createServer((req, res) => {
        if (dynamo.route(req, res)) return;
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"not DynamoDB"}');
      });
      await new Promise<void>((resolve) => edge.listen(0, '127.0.0.1', resolve));
      const endpoint = `http://127.0.0.1:${(edge.address() as AddressInfo).port}`;
      const close = async () => {
        await new Promise<void>((resolve) => edge.close(() => resolve()));
        await dynamo.close();
      };
      return { endpoint, close };
    };

    const edge = await startEdge();
    const client = createDynamoClient({ AWS_ENDPOINT_URL: edge.endpoint });
    await ensureTable(client, 'slipway');
    await new Store({ client, table: 'slipway' }).createConnector('via-edge', { topic: 't' });
    const other = await fetch(`${edge.endpoint}/2015-03-31/functions/worker/invocations`, { method: 'POST', body: '{}' });
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ message: 'not DynamoDB' });
    client.destroy();
    await edge.close();

    // Closing the handler closed its LevelDB: a new one opens the same dir.
    const reopened = await startEdge();
    cleanups.push(reopened.close);
    const store = new Store({ client: clientFor(reopened.endpoint), table: 'slipway' });
    expect((await store.getConnector('via-edge'))?.config).toEqual({ topic: 't' });
  });
});

describe('table and client', () => {
  it('creates the table once, ACTIVE with PK/SK on demand, whoever calls at the same time', async () => {
    const dynamo = await startDynalite();
    cleanups.push(() => dynamo.close());
    const client = clientFor(dynamo.endpoint);

    await Promise.all([ensureTable(client, 'shared'), ensureTable(client, 'shared'), ensureTable(client, 'shared')]);
    await ensureTable(client, 'shared');

    const { Table } = await client.send(new DescribeTableCommand({ TableName: 'shared' }));
    expect(Table).toMatchObject({ TableStatus: 'ACTIVE', BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' } });
    expect(Table!.KeySchema).toEqual([
      { AttributeName: 'PK', KeyType: 'HASH' },
      { AttributeName: 'SK', KeyType: 'RANGE' },
    ]);
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['shared']);
  });

  it('refuses an existing table with another key schema', async () => {
    const dynamo = await startDynalite();
    cleanups.push(() => dynamo.close());
    const client = clientFor(dynamo.endpoint);
    await client.send(
      new CreateTableCommand({
        TableName: 'other',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      }),
    );

    await expect(ensureTable(client, 'other')).rejects.toThrow(/key schema id:HASH, expected PK \(HASH\) and SK \(RANGE\)/);
  });

  it('takes the endpoint, region and table from the environment, with defaults', async () => {
    const dynamo = await startDynalite();
    cleanups.push(() => dynamo.close());

    // The DynamoDB-specific endpoint wins over the general one (which points nowhere).
    const env = { AWS_ENDPOINT_URL: 'http://127.0.0.1:9', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint };
    const client = createDynamoClient(env);
    cleanups.push(() => client.destroy());

    expect(dynamoEndpoint(env)).toBe(dynamo.endpoint);
    expect(await client.config.region()).toBe('us-east-1');
    expect(await client.config.credentials()).toMatchObject({ accessKeyId: 'slipway-local' });
    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);

    const regional = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint, AWS_REGION: 'eu-west-1', AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' });
    cleanups.push(() => regional.destroy());
    expect(await regional.config.region()).toBe('eu-west-1');
    expect(await regional.config.credentials()).toMatchObject({ accessKeyId: 'AKID', secretAccessKey: 'secret' });

    expect(tableName({})).toBe('slipway');
    expect(tableName({ SLIPWAY_TABLE: 'slipway-prod' })).toBe('slipway-prod');
  });
});
