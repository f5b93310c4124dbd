// An embedded DynamoDB (dynalite) for one test file or describe block, with
// the store's table created: started before its first test, closed after its last.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createDynamoClient, ensureTable } from '../../src/store/index.js';

export interface DynaliteSuite {
  /** Where it listens; read it inside tests and hooks, once beforeAll has started it. */
  readonly endpoint: string;
  /** A client of it, destroyed after the last test. */
  readonly client: DynamoDBClient;
}

export function useDynalite(table: string): DynaliteSuite {
  let dynamo: RunningDynalite | undefined;
  let client: DynamoDBClient | undefined;
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('dynalite is not started: use it inside tests and hooks');
    return value;
  };

  beforeAll(async () => {
    dynamo = await startDynalite();
    client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
    await ensureTable(client, table);
  });
  afterAll(async () => {
    client?.destroy();
    await dynamo?.close();
  });

  return {
    get endpoint() {
      return started(dynamo).endpoint;
    },
    get client() {
      return started(client);
    },
  };
}
