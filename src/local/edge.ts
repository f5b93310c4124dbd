// The edge: one HTTP port that serves several AWS APIs, as LocalStack does on
// 4566, so a single AWS_ENDPOINT_URL reaches DynamoDB and Lambda alike.
// A service is a function that either takes the request (returns true, and
// then owns the response) or declines it (returns false, touching nothing);
// the first taker wins. Nobody → 404 in AWS's error shape.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type EdgeService = (req: http.IncomingMessage, res: http.ServerResponse) => boolean;

export interface EdgeOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  services: EdgeService[];
}

export interface Edge {
  port: number;
  /** http://host:port, for AWS_ENDPOINT_URL or a client's `endpoint`. */
  endpoint: string;
  close(): Promise<void>;
}

export async function startEdge(opts: EdgeOptions): Promise<Edge> {
  const host = opts.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    try {
      for (const service of opts.services) {
        if (service(req, res)) return;
      }
      sendError(res, 404, 'UnknownOperationException', `No service of this endpoint handles ${req.method ?? '?'} ${req.url ?? '/'}`);
    } catch (err) {
      sendError(res, 500, 'InternalFailure', `The edge failed to route the request: ${String(err)}`);
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    endpoint: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Clients keep connections alive; close() must not wait for them.
        server.closeAllConnections();
      }),
  };
}

function sendError(res: http.ServerResponse, status: number, type: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ __type: type, message });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'x-amzn-ErrorType': type }).end(body);
}
