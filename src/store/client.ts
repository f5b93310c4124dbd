// The DynamoDB client and the table, the same in AWS, LocalStack and
// `slipway dev`: only the endpoint differs (AWS_ENDPOINT_URL).
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type DynamoDBClientConfig,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';

export type Env = Record<string, string | undefined>;

export const DEFAULT_TABLE = 'slipway';
export const DEFAULT_REGION = 'us-east-1';

export function tableName(env: Env = process.env): string {
  return env.SLIPWAY_TABLE || DEFAULT_TABLE;
}

/** The service-specific variable wins over the general one, as in the SDK. */
export function dynamoEndpoint(env: Env = process.env): string | undefined {
  return env.AWS_ENDPOINT_URL_DYNAMODB || env.AWS_ENDPOINT_URL || undefined;
}

/**
 * A client for the store. An endpoint set in the environment (dynalite,
 * LocalStack) gets dummy static credentials unless real ones are in the
 * environment: local emulators check only that a request is signed. Without an
 * endpoint the SDK's default chain applies (env, profile, Lambda role).
 */
export function createDynamoClient(env: Env = process.env): DynamoDBClient {
  const endpoint = dynamoEndpoint(env);
  const config: DynamoDBClientConfig = { region: env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION };
  if (endpoint) config.endpoint = endpoint;
  if (env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY) {
    // Passed explicitly so an `env` other than process.env is honoured too.
    config.credentials = {
      accessKeyId: env.AWS_ACCESS_KEY_ID,
      secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
      ...(env.AWS_SESSION_TOKEN ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
  } else if (endpoint && !env.AWS_PROFILE) {
    config.credentials = { accessKeyId: 'slipway-local', secretAccessKey: 'slipway-local' };
  }
  return new DynamoDBClient(config);
}

const ENSURE_TABLE_TIMEOUT_MS = 120_000;

/**
 * Creates the table if it is missing (PK and SK strings, on demand) and waits
 * until it is ACTIVE. Safe to call from many processes at once. In AWS the
 * table comes from template.yaml, which also declares TTL; this is for
 * dynalite and LocalStack.
 */
export async function ensureTable(client: DynamoDBClient, table: string): Promise<void> {
  let description = await describeTable(client, table);
  if (!description) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: table,
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [
            { AttributeName: 'PK', AttributeType: 'S' },
            { AttributeName: 'SK', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'PK', KeyType: 'HASH' },
            { AttributeName: 'SK', KeyType: 'RANGE' },
          ],
        }),
      );
    } catch (err) {
      // Another process created it between our describe and create.
      if ((err as Error).name !== 'ResourceInUseException') throw err;
    }
  }
  const deadline = Date.now() + ENSURE_TABLE_TIMEOUT_MS;
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    description = await describeTable(client, table);
    if (description?.TableStatus === 'ACTIVE') break;
    if (Date.now() > deadline) throw new Error(`table ${table} is not ACTIVE after ${ENSURE_TABLE_TIMEOUT_MS} ms (status ${description?.TableStatus ?? 'missing'})`);
    await new Promise((r) => setTimeout(r, delay));
  }
  checkKeySchema(table, description);
}

async function describeTable(client: DynamoDBClient, table: string): Promise<TableDescription | undefined> {
  try {
    const out = await client.send(new DescribeTableCommand({ TableName: table }));
    return out.Table;
  } catch (err) {
    if ((err as Error).name === 'ResourceNotFoundException') return undefined;
    throw err;
  }
}

/** A table of the same name made for something else fails here, not on the first write. */
function checkKeySchema(table: string, description: TableDescription): void {
  const keys = (description.KeySchema ?? []).map((k) => `${k.AttributeName}:${k.KeyType}`).sort().join(',');
  if (keys !== 'PK:HASH,SK:RANGE') {
    throw new Error(`table ${table} has key schema ${keys || '(none)'}, expected PK (HASH) and SK (RANGE)`);
  }
}
