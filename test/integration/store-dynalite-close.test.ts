// Closing the embedded DynamoDB while scans are in flight: it waits for them,
// so nothing throws out of dynalite after its LevelDB closed.
import { afterAll, expect, it } from 'vitest';
import { dynaliteRequestHandler } from '../../src/local/dynamo.js';
import { startEdge } from '../../src/local/edge.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';
import { tempDir } from '../helpers/env.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

it('closes cleanly with scans in flight', async () => {
  const uncaught: unknown[] = [];
  const onError = (err: unknown) => void uncaught.push(err);
  process.on('uncaughtException', onError);
  process.on('unhandledRejection', onError);
  try {
    const dynamo = dynaliteRequestHandler({ dataDir: tmp.dir });
    const edge = await startEdge({ services: [dynamo.route] });
    const client = createDynamoClient({ AWS_ENDPOINT_URL: edge.endpoint });
    await ensureTable(client, 'slipway');
    const store = new Store({ client, table: 'slipway' });
    for (let i = 0; i < 150; i += 25) {
      await Promise.all(Array.from({ length: 25 }, (_, j) => store.createConnector(`c${i + j}`, { 'connector.class': 'FileStreamSource' })));
    }
    const scans = Array.from({ length: 20 }, () => store.listConnectors().catch(() => 'failed'));
    await new Promise((r) => setTimeout(r, 20));
    await edge.close();
    await dynamo.close();
    await Promise.all(scans);
    client.destroy();
    // Give any late callback of dynalite a chance to throw.
    await new Promise((r) => setTimeout(r, 200));
    expect(uncaught).toEqual([]);
  } finally {
    process.off('uncaughtException', onError);
    process.off('unhandledRejection', onError);
  }
});
