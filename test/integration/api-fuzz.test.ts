// The REST API under a seeded fuzz: random and mutated bodies, paths, methods,
// query strings and headers at every endpoint, over real HTTP against a real
// dynalite. Whatever arrives, the answer is never a 5xx, every error body is
// exactly {"error_code": <status>, "message": "..."}, and the server still
// answers /health afterwards. Set API_FUZZ_SEED to replay a run.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { startApiServer, type RunningApiServer } from '../../src/api/server.js';
import { atLeast, defineConfig } from '../../src/connect/config/config-def.js';
import type { SourceConnector } from '../../src/connect/plugin.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createLogger } from '../../src/logging.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';
import { prng } from '../helpers/prng.js';

const SEED = Number(process.env.API_FUZZ_SEED ?? 20261121);
const REQUESTS = 3000;
const CONCURRENCY = 8;
const CLASS = 'com.example.fuzz.FuzzSourceConnector';

const fuzzSpec = defineConfig([
  { name: 'url', type: 'string', required: true, importance: 'high', doc: 'Source URL.' },
  { name: 'secret.key', type: 'password', default: null, importance: 'high', doc: 'Secret.' },
  { name: 'batch', type: 'int', default: 10, validator: atLeast(1), importance: 'low', doc: 'Batch size.' },
]);

function fuzzSource(): SourceConnector {
  return {
    type: 'source',
    version: () => '0.0.1',
    config: () => fuzzSpec,
    // A plugin that throws from validate() must not turn into a 500.
    validate: (config) => {
      if (config['url'] === 'throw') throw new Error('plugin bug');
      return {};
    },
    start: () => {},
    taskConfigs: () => [],
    stop: () => {},
    createTask: () => {
      throw new Error('not run');
    },
  };
}

const rand = prng(SEED);
const int = (n: number) => Math.floor(rand() * n);
const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
const chance = (p: number) => rand() < p;

const NAMES = ['alpha', 'beta', 'gamma', 'delta', 'fresh-1', 'fresh-2'];
const ODD_STRINGS = ['', ' ', 'a/b', '..', '.', '%', '\u0000', '\u0007bell', 'ünï', '😀', 'x'.repeat(300), '${env:X}', '${file:/nope:k}', 'null', 'true', '-1', '1e309', '[hidden]', 'throw', 'a\nb'];

function randomString(): string {
  if (chance(0.5)) return pick(ODD_STRINGS);
  const len = int(12);
  let s = '';
  for (let i = 0; i < len; i++) s += String.fromCharCode(chance(0.8) ? 32 + int(95) : int(0x3000));
  return s;
}

function randomJson(depth = 0): unknown {
  switch (int(depth > 3 ? 5 : 7)) {
    case 0:
      return null;
    case 1:
      return chance(0.5);
    case 2:
      return pick([0, -1, 1.5, 2 ** 53 + 1, 1e308, int(100)]);
    case 3:
    case 4:
      return randomString();
    case 5:
      return Array.from({ length: int(4) }, () => randomJson(depth + 1));
    default:
      return Object.fromEntries(Array.from({ length: int(4) }, () => [randomString(), randomJson(depth + 1)]));
  }
}

/** Each field valid four times in five, so about two configs in five pass validation. */
const nearlyValidConfig = (): Record<string, unknown> => ({
  'connector.class': chance(0.8) ? pick([CLASS, 'FuzzSource', 'FuzzSourceConnector']) : 'com.acme.Missing',
  url: chance(0.8) ? pick(['http://x', '${env:URL}']) : pick(['throw', '']),
  'secret.key': chance(0.8) ? pick(['pw', '${file:/s.properties:k}']) : '[hidden]',
  batch: chance(0.8) ? pick(['5', 7, '${env:B}']) : pick(['0', 'x']),
});

/** A copy with one random change somewhere: a key dropped, added, or a value replaced by anything. */
function mutate(value: unknown, depth = 0): unknown {
  if (typeof value !== 'object' || value === null || depth > 4 || chance(0.2)) return randomJson(2);
  if (Array.isArray(value)) {
    const copy = [...value];
    if (copy.length > 0 && chance(0.7)) copy[int(copy.length)] = mutate(copy[int(copy.length)], depth + 1);
    else copy.push(randomJson(2));
    return copy;
  }
  const obj: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(obj);
  const r = rand();
  if (r < 0.2 && keys.length > 0) delete obj[pick(keys)];
  else if (r < 0.35) obj[randomString()] = randomJson(2);
  else if (keys.length > 0) {
    const k = pick(keys);
    obj[k] = mutate(obj[k], depth + 1);
  }
  return obj;
}

function structuredBody(): unknown {
  switch (int(7)) {
    case 0:
    case 6:
      return { name: pick([...NAMES, randomString()]), config: nearlyValidConfig(), ...(chance(0.3) ? { initial_state: pick(['RUNNING', 'paused', 'STOPPED', 'nope', 3]) } : {}) };
    case 1:
      return nearlyValidConfig();
    case 2:
      return { offsets: [{ partition: { file: randomString() }, offset: chance(0.3) ? null : { position: int(1000) } }] };
    case 3:
      return { offsets: [{ partition: { kafka_topic: 't', kafka_partition: 0 }, offset: { kafka_offset: 1 } }] };
    case 4:
      return { 'secret.key': null, batch: '3', url: null };
    default:
      return randomJson();
  }
}

function rawBody(): string | Uint8Array<ArrayBuffer> {
  switch (int(9)) {
    case 0:
      return '';
    case 1:
      return '{"name": "alpha", "config": {';
    case 2:
      return Uint8Array.from({ length: int(64) }, () => int(256));
    case 3:
      return '['.repeat(5000) + ']'.repeat(5000);
    case 4:
      return JSON.stringify({ name: 'big', config: { 'connector.class': CLASS, url: 'x'.repeat(300 * 1024) } });
    case 5:
      return '{"name":"alpha","name":"beta","config":{"connector.class":"FuzzSource","url":"u","__proto__":{"x":1}}}';
    case 6:
      return 'null';
    case 7:
      return JSON.stringify({ offsets: Array.from({ length: 1200 }, (_, i) => ({ partition: { p: i }, offset: { o: i } })) });
    default:
      return JSON.stringify(mutate(structuredBody()));
  }
}

function segment(): string {
  const r = rand();
  if (r < 0.7) return encodeURIComponent(pick(NAMES));
  if (r < 0.9) return encodeURIComponent(randomString());
  // Raw percent escapes, valid or not as UTF-8, and broken ones.
  return pick(['%ED%A0%80', '%FF%FE', '%zz', '%2F', '%2e%2e', '%00', 'a%', '%C3%A9']);
}

const TASK_IDS = ['0', '1', '2', '-1', 'x', '1e3', '99999999999999999999', '%00', ''];
const PLUGINS = [CLASS, 'FuzzSource', 'JsonConverter', 'org.apache.kafka.connect.storage.StringConverter', 'com.acme.Nope', '%zz'];

/** Endpoint paths with the methods they take; mostly those methods are used, sometimes any. */
function randomTarget(): { path: string; methods: string[] } {
  const n = () => segment();
  const templates: Array<[() => string, string[]]> = [
    [() => '/', ['GET']],
    [() => '/health', ['GET']],
    [() => '/connectors', ['GET', 'POST']],
    [() => `/connectors/${n()}`, ['GET', 'DELETE']],
    [() => `/connectors/${n()}/config`, ['GET', 'PUT', 'PATCH']],
    [() => `/connectors/${n()}/status`, ['GET']],
    [() => `/connectors/${n()}/tasks`, ['GET']],
    [() => `/connectors/${n()}/tasks/${pick(TASK_IDS)}/status`, ['GET']],
    [() => `/connectors/${n()}/tasks/${pick(TASK_IDS)}/restart`, ['POST']],
    [() => `/connectors/${n()}/${pick(['pause', 'resume', 'stop'])}`, ['PUT']],
    [() => `/connectors/${n()}/restart`, ['POST']],
    [() => `/connectors/${n()}/topics`, ['GET']],
    [() => `/connectors/${n()}/topics/reset`, ['PUT']],
    [() => `/connectors/${n()}/offsets`, ['GET', 'PATCH', 'DELETE']],
    [() => '/connector-plugins', ['GET']],
    [() => `/connector-plugins/${encodeURIComponent(pick(PLUGINS))}/config`, ['GET']],
    [() => `/connector-plugins/${encodeURIComponent(pick(PLUGINS))}/config/validate`, ['PUT']],
    [() => '/' + Array.from({ length: int(5) }, n).join('/'), ['GET']],
  ];
  const [make, methods] = pick(templates);
  let path = make();
  if (chance(0.05)) path += '/';
  if (chance(0.03)) path = path.replace('/', '//');
  return { path, methods };
}

function randomQuery(): string {
  if (chance(0.6)) return '';
  const params = Array.from({ length: 1 + int(3) }, () =>
    pick([
      `includeTasks=${pick(['true', 'false', 'TRUE', 'yes', ''])}`,
      `onlyFailed=${pick(['true', 'false', '1'])}`,
      `expand=${pick(['status', 'info', 'nope', ''])}`,
      `connectorsOnly=${pick(['true', 'false', 'maybe'])}`,
      `${encodeURIComponent(randomString())}=${encodeURIComponent(randomString())}`,
      '%zz',
      '&&',
      'expand',
    ]),
  );
  return '?' + params.join('&');
}

const METHODS = ['GET', 'GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS', 'PROPFIND'];

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Uint8Array<ArrayBuffer>;
}

function randomRequest(): FuzzRequest {
  const target = randomTarget();
  const method = chance(0.8) ? pick(target.methods) : pick(METHODS);
  const headers: Record<string, string> = {};
  if (chance(0.7)) headers['content-type'] = pick(['application/json', 'application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'garbage']);
  if (chance(0.3)) headers['accept'] = pick(['application/json', 'text/html', '*/*', 'application/xml']);
  if (chance(0.1)) headers['content-encoding'] = 'gzip';
  if (chance(0.1)) headers['x-' + int(1000)] = encodeURIComponent(randomString());
  const req: FuzzRequest = { method, path: target.path + randomQuery(), headers };
  if (method !== 'GET' && method !== 'HEAD' && chance(0.9)) req.body = chance(0.7) ? JSON.stringify(structuredBody()) : rawBody();
  return req;
}

const TABLE = 'slipway';
let dynamo: RunningDynalite;
let client: DynamoDBClient;
let server: RunningApiServer;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
  await ensureTable(client, TABLE);
  const store = new Store({ client, table: TABLE });
  const registry = createPluginRegistry();
  registry.registerConnector({ class: CLASS, type: 'source', version: '0.0.1', create: fuzzSource });
  const app = createApiApp({ store, registry, kickCoordinator: async () => {}, logger: createLogger('api-fuzz', { level: 'silent' }) });
  server = await startApiServer({ app, port: 0 });

  // Some state for the requests to find: connectors with tasks, offsets, a stopped one.
  const config = (name: string) => ({ 'connector.class': CLASS, url: 'http://x', 'secret.key': 'pw', name });
  for (const name of ['alpha', 'beta', 'gamma']) await store.createConnector(name, config(name), name === 'gamma' ? 'STOPPED' : 'RUNNING');
  await store.writeTaskConfigs('alpha', 1, [config('alpha'), config('alpha')]);
  await store.setTaskState('alpha', 1, null, { state: 'FAILED', trace: 'boom' });
  await store.writeOffset('gamma', { file: 'f' }, { position: 3 }, 1);
});

afterAll(async () => {
  await server?.close();
  client?.destroy();
  await dynamo?.close();
});

describe(`REST API fuzz (seed ${SEED})`, () => {
  it(`answers ${REQUESTS} random requests without a 5xx, every error as {error_code, message}, and stays healthy`, async () => {
    const requests = Array.from({ length: REQUESTS }, randomRequest);
    const failures: string[] = [];
    const statuses = new Map<number, number>();
    let next = 0;

    async function worker(): Promise<void> {
      while (next < requests.length) {
        const i = next++;
        const r = requests[i]!;
        const what = `#${i} ${r.method} ${r.path}`;
        let res: Response;
        try {
          res = await fetch(server.url + r.path, { method: r.method, headers: r.headers, body: r.body });
        } catch (err) {
          failures.push(`${what}: no answer (${String(err)})`);
          continue;
        }
        const text = await res.text();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) failures.push(`${what}: ${res.status} ${text.slice(0, 300)}`);
        if (res.status < 400 || r.method === 'HEAD') continue;
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          failures.push(`${what}: ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
          continue;
        }
        const b = body as { error_code?: unknown; message?: unknown };
        if (Object.keys(b).sort().join() !== 'error_code,message' || b.error_code !== res.status || typeof b.message !== 'string' || b.message === '') {
          failures.push(`${what}: ${res.status} with error body ${text.slice(0, 200)}`);
        }
      }
    }

    await Promise.all(Array.from({ length: CONCURRENCY }, worker));

    expect(failures.slice(0, 10), `seed ${SEED}: ${failures.length} bad answers`).toEqual([]);
    // The fuzz reached past the router: successes, bad input, missing things, wrong methods, conflicts, oversized bodies.
    for (const status of [200, 201, 204, 400, 404, 405, 409, 413]) expect(statuses.get(status) ?? 0, `status ${status} in ${JSON.stringify([...statuses])}`).toBeGreaterThan(0);
    const health = await fetch(server.url + '/health');
    expect(health.status).toBe(200);
  }, 60_000);
});
