// The edge port: one HTTP endpoint for several AWS APIs. The first service
// that takes a request answers it; nobody taking it is a 404 in AWS's shape.
import http from 'node:http';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { startEdge, type Edge, type EdgeService } from '../../src/local/edge.js';
import { LambdaEmulator } from '../../src/local/lambda/emulator.js';
import { createLogger } from '../../src/logging.js';

const logger = createLogger('lambda-edge-test', { level: 'error' });

/** A stand-in for another AWS service on the same port: takes requests carrying X-Amz-Target. */
const targetService: EdgeService = (req, res) => {
  const target = req.headers['x-amz-target'];
  if (typeof target !== 'string') return false;
  res.writeHead(200, { 'Content-Type': 'application/x-amz-json-1.0' }).end(JSON.stringify({ target }));
  return true;
};

async function post(endpoint: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; body: unknown }> {
  const res = await fetch(endpoint + path, { method: 'POST', headers, body: '{}' });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

describe('edge', () => {
  const cleanups: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function edgeWith(services: EdgeService[]): Promise<Edge> {
    const edge = await startEdge({ port: 0, services });
    cleanups.push(() => edge.close());
    return edge;
  }

  it('serves the Lambda API and another service on one free port', async () => {
    const emulator = new LambdaEmulator({ functions: [{ name: 'echo', module: 'test/fixtures/lambda/echo.ts', handler: 'handler', timeoutMs: 10_000 }], logger });
    cleanups.push(() => emulator.close());
    const edge = await edgeWith([(req, res) => emulator.handle(req, res), targetService]);
    expect(edge.port).toBeGreaterThan(0);
    expect(edge.endpoint).toBe(`http://127.0.0.1:${edge.port}`);

    const lambda = new LambdaClient({ endpoint: edge.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
    try {
      const out = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('"through the edge"') }));
      expect(Buffer.from(out.Payload!).toString('utf8')).toBe('"through the edge"');
    } finally {
      lambda.destroy();
    }
    const other = await post(edge.endpoint, '/', { 'X-Amz-Target': 'DynamoDB_20120810.ListTables' });
    expect(other).toMatchObject({ status: 200, body: { target: 'DynamoDB_20120810.ListTables' } });
  });

  it('answers 404 in AWS error shape when no service takes the request', async () => {
    const edge = await edgeWith([() => false, targetService]);
    const res = await post(edge.endpoint, '/nothing/here');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(res.body).toMatchObject({ __type: 'UnknownOperationException', message: expect.stringContaining('POST /nothing/here') });
  });

  it('answers 500 and keeps serving when a service throws', async () => {
    let calls = 0;
    const edge = await edgeWith([
      () => {
        if (++calls === 1) throw new Error('service bug');
        return false;
      },
      targetService,
    ]);
    const broken = await post(edge.endpoint, '/', { 'X-Amz-Target': 'A' });
    expect(broken.status).toBe(500);
    const fine = await post(edge.endpoint, '/', { 'X-Amz-Target': 'B' });
    expect(fine).toMatchObject({ status: 200, body: { target: 'B' } });
  });

  it('close() ends kept-alive connections and frees the port', async () => {
    const edge = await startEdge({ services: [targetService] });
    const agent = new http.Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      http
        .request(`${edge.endpoint}/`, { method: 'POST', agent, headers: { 'X-Amz-Target': 'A' } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        })
        .on('error', reject)
        .end();
    });
    expect(status).toBe(200);
    await edge.close();
    const err = await fetch(`${edge.endpoint}/`, { method: 'POST' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    agent.destroy();
  });
});
