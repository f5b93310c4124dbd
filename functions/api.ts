// Lambda entry point of the Kafka Connect REST API (src/api/app.ts) behind an
// API Gateway HTTP API, payload format 2.0 (events/api-create-connector.json).
// Anything else gets a 400 in the API's error shape, never a thrown error.
import { LambdaClient } from '@aws-sdk/client-lambda';
import { handle, type APIGatewayProxyResult, type LambdaContext, type LambdaEvent } from 'hono/aws-lambda';
import { createApiApp } from '../src/api/app.js';
import { bootstrapServers, createKafka } from '../src/kafka/client.js';
import { createLogger } from '../src/logging.js';
import { createAsyncInvoker } from '../src/runtime/invoker.js';
import { createRuntimeRegistry } from '../src/runtime/plugins.js';
import { functionNames } from '../src/runtime/settings.js';
import { SinkGroupOffsets } from '../src/runtime/sink-offsets.js';
import { createDynamoClient, Store, tableName } from '../src/store/index.js';

export type HttpApiEvent = Extract<LambdaEvent, { rawPath: string }>;

let serve: ReturnType<typeof handle> | undefined;

function serveOnce(): ReturnType<typeof handle> {
  if (serve) return serve;
  const logger = createLogger('api');
  const kick = createAsyncInvoker<{ source: string }>(new LambdaClient({}), functionNames().coordinator);
  const app = createApiApp({
    store: new Store({ client: createDynamoClient(), table: tableName() }),
    registry: createRuntimeRegistry(),
    kickCoordinator: () => kick({ source: 'api' }),
    logger,
    sinkOffsets: new SinkGroupOffsets(createKafka({ brokers: bootstrapServers(), clientId: 'slipway-api', logger })),
  });
  return (serve = handle(app));
}

export function isHttpApiEvent(event: unknown): event is HttpApiEvent {
  const e = event as { version?: unknown; rawPath?: unknown; rawQueryString?: unknown; headers?: unknown; body?: unknown; requestContext?: { http?: { method?: unknown } } } | null;
  return (
    typeof e === 'object' && e !== null && e.version === '2.0' &&
    typeof e.rawPath === 'string' && e.rawPath.startsWith('/') &&
    (e.rawQueryString === undefined || typeof e.rawQueryString === 'string') &&
    typeof e.headers === 'object' && e.headers !== null &&
    (e.body === undefined || e.body === null || typeof e.body === 'string') &&
    typeof e.requestContext?.http?.method === 'string'
  );
}

export async function handler(event: unknown, context?: LambdaContext): Promise<APIGatewayProxyResult> {
  if (!isHttpApiEvent(event)) {
    const message = 'Expected an API Gateway HTTP API event (payload format version 2.0) with rawPath, headers and requestContext.http.method';
    return { statusCode: 400, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error_code: 400, message }), isBase64Encoded: false };
  }
  return serveOnce()(event, context);
}
