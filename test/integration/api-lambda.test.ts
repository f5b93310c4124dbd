// functions/api.ts as Lambda runs it: the sample API Gateway HTTP API event
// (events/api-create-connector.json) through the handler, with AWS_ENDPOINT_URL
// pointing at an edge that serves dynalite and records Lambda Invoke calls, so
// both the store write and the coordinator kick take the SDK's real path.
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynaliteRequestHandler, type DynaliteRequestHandler } from '../../src/local/dynamo.js';
import { startEdge, type Edge } from '../../src/local/edge.js';
import { matchInvokePath } from '../../src/local/lambda/http.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';

const TABLE = 'slipway-api-lambda';
const COORDINATOR = 'slipway-coordinator-under-test';
const event = JSON.parse(readFileSync(new URL('../../events/api-create-connector.json', import.meta.url), 'utf8')) as {
  body: string;
  requestContext: { http: { method: string; path: string } };
  [key: string]: unknown;
};

interface Invoke {
  functionName: string;
  invocationType: string | undefined;
  payload: string;
}

let dynamo: DynaliteRequestHandler;
let edge: Edge;
const invokes: Invoke[] = [];
const savedEnv = { ...process.env };
let handler: (event: unknown) => Promise<{ statusCode: number; headers?: Record<string, unknown>; body: string }>;

/** Answers Invoke as Lambda does for InvocationType Event (202, empty body) and records it. */
function lambdaRecorder(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const target = matchInvokePath(req);
  if (!target) return false;
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    invokes.push({ functionName: target.functionName, invocationType: req.headers['x-amz-invocation-type'] as string | undefined, payload: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(202).end();
  });
  return true;
}

beforeAll(async () => {
  dynamo = dynaliteRequestHandler();
  edge = await startEdge({ services: [dynamo.route, lambdaRecorder] });
  // The environment a deployed function has, set before the module is imported.
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: edge.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
    SLIPWAY_TABLE: TABLE,
    SLIPWAY_COORDINATOR_FUNCTION: COORDINATOR,
  });
  const client = createDynamoClient();
  await ensureTable(client, TABLE);
  client.destroy();
  ({ handler } = (await import('../../functions/api.js')) as unknown as { handler: typeof handler });
});

afterAll(async () => {
  process.env = savedEnv;
  await edge?.close();
  await dynamo?.close();
});

describe('functions/api.ts', () => {
  it('creates the connector of the sample event (201), stores it and kicks the coordinator with an async Invoke', async () => {
    const result = await handler(event);

    expect(result.statusCode, result.body).toBe(201);
    const sent = JSON.parse(event.body) as { name: string; config: Record<string, string> };
    expect(JSON.parse(result.body)).toEqual({ name: sent.name, config: { ...sent.config, name: sent.name }, tasks: [], type: 'source' });
    expect(result.headers?.['location']).toBe(`/connectors/${sent.name}`);

    const client = createDynamoClient();
    try {
      const stored = await new Store({ client, table: TABLE }).getConnector(sent.name);
      expect(stored?.config).toEqual({ ...sent.config, name: sent.name });
    } finally {
      client.destroy();
    }
    expect(invokes).toEqual([{ functionName: COORDINATOR, invocationType: 'Event', payload: expect.any(String) }]);
  });

  it('serves the other routes through the same event shape (status of the new connector; 409 for the same POST again)', async () => {
    const name = (JSON.parse(event.body) as { name: string }).name;
    const path = `/connectors/${name}/status`;
    const status = await handler({ ...event, rawPath: path, body: undefined, requestContext: { ...event.requestContext, http: { ...event.requestContext.http, method: 'GET', path } } });
    expect(status.statusCode).toBe(200);
    expect(JSON.parse(status.body)).toMatchObject({ name, connector: { state: 'UNASSIGNED' }, tasks: [] });

    const again = await handler(event);
    expect(again.statusCode).toBe(409);
    expect(JSON.parse(again.body)).toEqual({ error_code: 409, message: expect.stringContaining(name) });
  });

  it('answers an event that is not an HTTP API v2 event with a 400 in the API error shape', async () => {
    for (const bad of [null, {}, 'GET /', { version: '1.0', httpMethod: 'GET', path: '/' }, { ...event, requestContext: {} }, { ...event, rawPath: 7 }]) {
      const result = await handler(bad);
      expect(result.statusCode).toBe(400);
      expect(JSON.parse(result.body)).toEqual({ error_code: 400, message: expect.stringContaining('2.0') });
    }
  });
});
