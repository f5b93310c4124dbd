// The embedded DynamoDB of `slipway dev`: dynalite, persisted to LevelDB under
// the data dir when one is given, in memory otherwise. Tables are ACTIVE at
// once (dynalite otherwise keeps them CREATING for 500 ms).
//
// Two ways to serve it:
// - startDynalite(): its own HTTP server on a port of its own;
// - dynaliteRequestHandler(): a request handler for a combined "edge" server
//   (one port for the DynamoDB and Lambda APIs, as LocalStack's 4566), which
//   routes requests for which isDynamoDbRequest() is true into it.
import fs from 'node:fs';
import type http from 'node:http';
import { createRequire } from 'node:module';

interface DynaliteOptions {
  path?: string;
  createTableMs?: number;
  deleteTableMs?: number;
  updateTableMs?: number;
}

// dynalite is CommonJS without type declarations: its main export builds an
// http.Server whose 'request' listener is the whole DynamoDB API, and whose
// close() also closes the LevelDB store.
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as (options: DynaliteOptions) => http.Server;

/** The X-Amz-Target prefix of every DynamoDB API call the SDK makes. */
export const DYNAMODB_TARGET_PREFIX = 'DynamoDB_20120810.';

export interface DynaliteStoreOptions {
  /** Persist with LevelDB in this directory (created if missing); in memory when absent. */
  dataDir?: string;
}

export interface StartDynaliteOptions extends DynaliteStoreOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
}

export interface RunningDynalite {
  /** http://HOST:PORT, for AWS_ENDPOINT_URL. */
  endpoint: string;
  port: number;
  server: http.Server;
  /** Stops serving and closes the store (flushes LevelDB, releases its lock). */
  close(): Promise<void>;
}

export interface DynaliteRequestHandler {
  handle(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Handles the request if it is a DynamoDB call (true), else leaves it untouched (false): an edge service. */
  route(req: http.IncomingMessage, res: http.ServerResponse): boolean;
  /** Closes the store; handle() must not be called afterwards. */
  close(): Promise<void>;
}

function createDynaliteServer(opts: DynaliteStoreOptions): http.Server {
  if (opts.dataDir) fs.mkdirSync(opts.dataDir, { recursive: true });
  return dynalite({ path: opts.dataDir, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // Node ≥ 19 also closes idle keep-alive sockets of SDK clients here.
    server.close((err) => (err ? reject(err) : resolve()));
  });
}

export async function startDynalite(opts: StartDynaliteOptions = {}): Promise<RunningDynalite> {
  const host = opts.host ?? '127.0.0.1';
  const server = createDynaliteServer(opts);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error(`dynalite: unexpected listen address ${String(address)}`);
  return {
    endpoint: `http://${endpointHost(host)}:${address.port}`,
    port: address.port,
    server,
    close: () => closeServer(server),
  };
}

/** A wildcard listen address is reached through loopback; an IPv6 literal needs brackets. */
function endpointHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

export function isDynamoDbRequest(req: http.IncomingMessage): boolean {
  const target = req.headers['x-amz-target'];
  return typeof target === 'string' && target.startsWith(DYNAMODB_TARGET_PREFIX);
}

export function dynaliteRequestHandler(opts: DynaliteStoreOptions = {}): DynaliteRequestHandler {
  const server = createDynaliteServer(opts);
  let closing: Promise<void> | undefined;
  // Requests dynalite is still working on. Its LevelDB must not close under them: a
  // scan reading after close() throws out of dynalite's callbacks, uncaught. A request
  // counts as done when dynalite ends its response (the client may have gone already).
  let inFlight = 0;
  let idle: (() => void) | undefined;
  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (closing) {
      res.writeHead(503, { 'Content-Type': 'application/json' }).end(JSON.stringify({ __type: 'ServiceUnavailable', message: 'DynamoDB is shutting down' }));
      return;
    }
    inFlight++;
    const end = res.end.bind(res) as (...args: unknown[]) => http.ServerResponse;
    let done = false;
    res.end = ((...args: unknown[]) => {
      if (!done) {
        done = true;
        if (--inFlight === 0) idle?.();
      }
      return end(...args);
    }) as typeof res.end;
    server.emit('request', req, res);
  };
  const drained = (timeoutMs: number) =>
    new Promise<void>((resolve) => {
      if (inFlight === 0) return resolve();
      const timer = setTimeout(resolve, timeoutMs);
      idle = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  return {
    handle,
    route: (req, res) => {
      if (!isDynamoDbRequest(req)) return false;
      handle(req, res);
      return true;
    },
    close: () => {
      // dynalite closes its LevelDB only from server.close(), which fails on a
      // server that is not listening: bind an ephemeral loopback port just for
      // that moment, then close both.
      closing ??= drained(10_000).then(() => new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => {
          server.off('error', reject);
          resolve();
        });
      })).then(() => closeServer(server));
      return closing;
    },
  };
}
