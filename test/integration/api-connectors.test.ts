// The Kafka Connect REST API over real HTTP (@hono/node-server) against a real
// dynalite: connector lifecycle, status shapes from task items written
// straight into the store, offsets rules, plugins and validate, and secrets,
// which no endpoint ever returns.
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { startApiServer, type RunningApiServer } from '../../src/api/server.js';
import { atLeast, defineConfig, MASK, nonEmptyString } from '../../src/connect/config/config-def.js';
import type { SinkConnector, SourceConnector } from '../../src/connect/plugin.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { registerTransforms } from '../../src/connect/transforms/index.js';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createLogger } from '../../src/logging.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';

const SOURCE = 'com.example.api.TestSourceConnector';
const SINK = 'com.example.api.TestSinkConnector';
const SECRET = 's3cr3t-Pa55';

const sourceSpec = defineConfig([
  { name: 'endpoint', type: 'string', required: true, validator: nonEmptyString, importance: 'high', doc: 'Where records come from.' },
  { name: 'api.password', type: 'password', default: null, importance: 'high', doc: 'Secret of the endpoint.' },
  { name: 'poll.interval.ms', type: 'int', default: 1000, validator: atLeast(1), importance: 'low', doc: 'Pause between polls.' },
]);
const sinkSpec = defineConfig([{ name: 'target.password', type: 'password', default: null, importance: 'high', doc: 'Secret of the target.' }]);

const notRun = () => {
  throw new Error('tasks do not run in REST API tests');
};

function testSource(): SourceConnector {
  return {
    type: 'source',
    version: () => '1.2.3',
    config: () => sourceSpec,
    // The plugin's own check, run only when the spec found nothing.
    validate: (config): Record<string, string[]> => (config['endpoint'] === 'unreachable' ? { endpoint: ['endpoint unreachable cannot be reached'] } : {}),
    start: () => {},
    taskConfigs: () => [],
    stop: () => {},
    createTask: notRun,
  };
}

function testSink(): SinkConnector {
  return { type: 'sink', version: () => '1.2.3', config: () => sinkSpec, start: () => {}, taskConfigs: () => [], stop: () => {}, createTask: notRun };
}

const TABLE = 'slipway';
let dynamo: RunningDynalite;
let client: DynamoDBClient;
let store: Store;
let server: RunningApiServer;
let now = 1_000_000;
let kicks = 0;

beforeAll(async () => {
  dynamo = await startDynalite();
  client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
  await ensureTable(client, TABLE);
  store = new Store({ client, table: TABLE, clock: () => now });
  const registry = createPluginRegistry();
  registry.registerConnector({ class: SOURCE, aliases: ['test-source'], type: 'source', version: '1.2.3', create: testSource });
  registry.registerConnector({ class: SINK, type: 'sink', version: '1.2.3', create: testSink });
  registerTransforms(registry);
  const app = createApiApp({
    store,
    registry,
    kickCoordinator: async () => {
      kicks++;
    },
    logger: createLogger('api-test', { level: 'error' }),
    clock: () => now,
  });
  server = await startApiServer({ app, port: 0 });
});

afterAll(async () => {
  await server?.close();
  client?.destroy();
  await dynamo?.close();
});

beforeEach(() => {
  now = 1_000_000;
});

interface Reply {
  status: number;
  headers: Headers;
  body: unknown;
}

async function call(method: string, path: string, body?: unknown): Promise<Reply> {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    init.headers = { 'content-type': 'application/json' };
  }
  const res = await fetch(server.url + path, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? undefined : JSON.parse(text) };
}

/** Asserts Kafka Connect's error body and returns its message. */
function errorOf(reply: Reply, status: number): string {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
  expect(reply.body).toEqual({ error_code: status, message: expect.any(String) });
  return (reply.body as { message: string }).message;
}

const sourceConfig = (extra: Record<string, string> = {}): Record<string, string> => ({
  'connector.class': SOURCE,
  endpoint: 'https://example.com/feed',
  'api.password': SECRET,
  'poll.interval.ms': '500',
  ...extra,
});

async function create(name: string, config = sourceConfig(), initialState?: string): Promise<Reply> {
  const reply = await call('POST', '/connectors', { name, config, ...(initialState ? { initial_state: initialState } : {}) });
  expect(reply.status, JSON.stringify(reply.body)).toBe(201);
  return reply;
}

/** Writes task items as the coordinator would: task#0..n-1 for the current generation. */
async function writeTasks(name: string, configs: Record<string, string>[]): Promise<void> {
  const connector = await store.getConnector(name);
  await store.writeTaskConfigs(name, connector!.generation, configs);
}

describe('worker endpoints', () => {
  it('GET / names the version; GET /health answers 200', async () => {
    const root = await call('GET', '/');
    expect(root.status).toBe(200);
    expect(root.body).toEqual({ version: expect.any(String), commit: expect.any(String), kafka_cluster_id: null });
    const health = await call('GET', '/health');
    expect(health).toMatchObject({ status: 200, body: { status: 'healthy' } });
  });

  it('an unknown path is a 404 and a known path with another method a 405 naming the allowed ones, both as JSON', async () => {
    expect(errorOf(await call('GET', '/nope'), 404)).toContain('/nope');
    expect(errorOf(await call('GET', '/connectors/a/b/c/d'), 404)).toContain('/connectors/a/b/c/d');
    const wrong = await call('DELETE', '/connectors');
    expect(errorOf(wrong, 405)).toContain('GET');
    expect(wrong.headers.get('allow')).toBe('GET, POST, HEAD');
    expect(errorOf(await call('POST', '/connectors/x/pause'), 405)).toContain('PUT');
  });
});

describe('creating connectors', () => {
  it('POST /connectors creates it (201, Location, info with the password masked), stores the secret as given and kicks the coordinator', async () => {
    const before = kicks;
    const reply = await create('orders');

    expect(reply.headers.get('location')).toBe('/connectors/orders');
    expect(reply.body).toEqual({ name: 'orders', config: { ...sourceConfig(), 'api.password': MASK, name: 'orders' }, tasks: [], type: 'source' });
    expect((await store.getConnector('orders'))?.config).toEqual({ ...sourceConfig(), name: 'orders' });
    expect(kicks).toBe(before + 1);

    expect((await call('GET', '/connectors')).body).toContain('orders');
    expect((await call('GET', '/connectors/orders')).body).toEqual(reply.body);
    expect((await call('GET', '/connectors/orders/config')).body).toEqual({ ...sourceConfig(), 'api.password': MASK, name: 'orders' });
  });

  it('a second POST of the same name is a 409 and changes nothing', async () => {
    await create('dup');
    const stored = await store.getConnector('dup');
    expect(errorOf(await call('POST', '/connectors', { name: 'dup', config: sourceConfig({ endpoint: 'other' }) }), 409)).toContain('dup');
    expect(await store.getConnector('dup')).toEqual(stored);
  });

  it('takes initial_state, trims the name and fills it into the config, and stores numbers and booleans as their text', async () => {
    await create('  paused-at-birth ', sourceConfig(), 'paused');
    const stored = await store.getConnector('paused-at-birth');
    expect(stored?.targetState).toBe('PAUSED');
    expect(stored?.config.name).toBe('paused-at-birth');

    const reply = await call('POST', '/connectors', { name: 'typed', config: { ...sourceConfig(), 'poll.interval.ms': 250, 'tasks.max': 2, 'errors.log.enable': true } });
    expect(reply.status).toBe(201);
    expect((await store.getConnector('typed'))?.config).toMatchObject({ 'poll.interval.ms': '250', 'tasks.max': '2', 'errors.log.enable': 'true' });
  });

  it('refuses malformed bodies with a 400 that says what is wrong', async () => {
    expect(errorOf(await call('POST', '/connectors', '{"name": "x", "config": {'), 400)).toMatch(/not valid JSON/);
    expect(errorOf(await call('POST', '/connectors', ''), 400)).toMatch(/empty/);
    expect(errorOf(await call('POST', '/connectors', []), 400)).toMatch(/JSON object/);
    expect(errorOf(await call('POST', '/connectors', { config: sourceConfig() }), 400)).toMatch(/name is missing/);
    expect(errorOf(await call('POST', '/connectors', { name: 42, config: sourceConfig() }), 400)).toMatch(/name must be a string/);
    expect(errorOf(await call('POST', '/connectors', { name: 'x' }), 400)).toMatch(/config is missing/);
    expect(errorOf(await call('POST', '/connectors', { name: '  ', config: sourceConfig() }), 400)).toMatch(/must not be empty/);
    expect(errorOf(await call('POST', '/connectors', { name: 'a/b', config: sourceConfig() }), 400)).toMatch(/'\/'/);
    expect(errorOf(await call('POST', '/connectors', { name: 'a\u0007b', config: sourceConfig() }), 400)).toMatch(/control characters/);
    expect(errorOf(await call('POST', '/connectors', { name: 'x'.repeat(256), config: sourceConfig() }), 400)).toMatch(/at most 255/);
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: { ...sourceConfig(), endpoint: null } }), 400)).toMatch(/endpoint must be a string, got null/);
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: { ...sourceConfig(), endpoint: { a: 1 } } }), 400)).toMatch(/endpoint must be a string, got an object/);
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig(), initial_state: 'SLEEPING' }), 400)).toMatch(/initial_state/);
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: { ...sourceConfig(), ['k'.repeat(2000)]: 'v' } }), 400)).toMatch(/at most 1024/);
    expect(errorOf(await call('POST', '/connectors', JSON.stringify({ name: 'x', config: { ...sourceConfig(), endpoint: 'e'.repeat(300 * 1024) } })), 413)).toMatch(/limit/);
    expect(await store.getConnector('x')).toBeUndefined();
  });

  it('refuses a config whose connector.class is missing or unknown, naming connector.class', async () => {
    const { 'connector.class': _, ...noClass } = sourceConfig();
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: noClass }), 400)).toContain('connector.class');
    const unknown = errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ 'connector.class': 'com.acme.Nope' }) }), 400);
    expect(unknown).toMatch(/connector\.class/);
    expect(unknown).toContain('com.acme.Nope');
  });

  it('validates against the base spec merged with the plugin spec, listing every bad field, with the secret masked', async () => {
    const { endpoint: _, ...noEndpoint } = sourceConfig();
    const message = errorOf(await call('POST', '/connectors', { name: 'x', config: { ...noEndpoint, 'poll.interval.ms': 'soon', 'tasks.max': '0' } }), 400);
    expect(message).toMatch(/^Connector configuration is invalid and contains the following 3 error\(s\)/);
    for (const field of ['endpoint', 'poll.interval.ms', 'tasks.max']) expect(message).toContain(field);
    expect(message).not.toContain(SECRET);
  });

  it('refuses a bad transform or predicate config and bad errors.* values with a 400 naming the key', async () => {
    const route = { transforms: 'route', 'transforms.route.type': 'org.apache.kafka.connect.transforms.RegexRouter', 'transforms.route.regex': '(.*)', 'transforms.route.replacement': 'copy-$1' };
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ ...route, 'transforms.route.type': 'com.acme.NoSuchTransform' }) }), 400)).toContain('transforms.route.type');
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ ...route, 'transforms.route.regex': undefined as unknown as string }) }), 400)).toContain('transforms.route.regex');
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ ...route, 'transforms.route.predicate': 'nope' }) }), 400)).toContain('transforms.route.predicate');
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ 'errors.tolerance': 'some' }) }), 400)).toContain('errors.tolerance');
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ 'errors.retry.timeout': '-2' }) }), 400)).toContain('errors.retry.timeout');
    expect(await store.getConnector('x')).toBeUndefined();
    const reply = await create('with-route', sourceConfig({ ...route, 'errors.tolerance': 'all', 'errors.deadletterqueue.topic.name': 'dlq' }));
    expect(reply.status).toBe(201);

    // A sink may not consume its own dead letter queue (Kafka's SinkConnectorConfig).
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: { 'connector.class': SINK, topics: 'orders,orders-dlq', 'errors.deadletterqueue.topic.name': 'orders-dlq' } }), 400)).toContain("The DLQ topic 'orders-dlq' may not be included in the list of topics");
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: { 'connector.class': SINK, 'topics.regex': 'orders.*', 'errors.deadletterqueue.topic.name': 'orders-dlq' } }), 400)).toContain('errors.deadletterqueue.topic.name');

    const infos = (await call('PUT', '/connector-plugins/test-source/config/validate', { name: 'v', endpoint: 'x', transforms: 'bad', 'transforms.bad.type': 'Cast$Value', 'transforms.bad.spec': 'n:int99' })).body as { error_count: number; configs: { value: { name: string; errors: string[] } }[] };
    expect(infos.error_count).toBe(1);
    expect(infos.configs.find((c) => c.value.name === 'transforms.bad.spec')!.value.errors).toEqual([expect.stringContaining('transforms.bad.spec')]);
  });

  it("runs the plugin's own validate() once the spec is satisfied", async () => {
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ endpoint: 'unreachable' }) }), 400)).toContain('endpoint unreachable cannot be reached');
  });

  it('the name inside the config must be the connector name', async () => {
    expect(errorOf(await call('POST', '/connectors', { name: 'x', config: sourceConfig({ name: 'y' }) }), 400)).toBe(
      "Connector name configuration (y) doesn't match connector name in the URL (x)",
    );
  });

  it('accepts placeholders without resolving them, even in typed fields, and returns them as written', async () => {
    const config = sourceConfig({ 'api.password': '${file:/etc/slipway/secrets.properties:api.password}', 'poll.interval.ms': '${env:POLL_MS}' });
    const reply = await create('with-placeholders', config);
    expect((reply.body as { config: Record<string, string> }).config).toEqual({ ...config, name: 'with-placeholders' });
    expect((await call('GET', '/connectors/with-placeholders/config')).body).toEqual({ ...config, name: 'with-placeholders' });
  });

  it('a kick that fails is logged and the request still succeeds', async () => {
    const lines: string[] = [];
    const app = createApiApp({
      store,
      registry: createPluginRegistry(),
      kickCoordinator: () => Promise.reject(new Error('Lambda is down')),
      logger: createLogger('api-test', { write: (l) => lines.push(l) }),
    });
    const res = await app.request('/connectors/no-such/pause', { method: 'PUT' });
    expect(res.status).toBe(404);
    await store.createConnector('kick-fails', sourceConfig({ name: 'kick-fails' }));
    const paused = await app.request('/connectors/kick-fails/pause', { method: 'PUT' });
    expect(paused.status).toBe(202);
    expect(lines.some((l) => l.includes('could not kick the coordinator') && l.includes('Lambda is down'))).toBe(true);
  });
});

describe('updating configs', () => {
  it('PUT /connectors/{n}/config creates (201) then updates (200), bumping the generation, and kicks each time', async () => {
    const before = kicks;
    const created = await call('PUT', '/connectors/put-me/config', sourceConfig());
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/connectors/put-me');
    expect(created.body).toEqual({ name: 'put-me', config: { ...sourceConfig(), 'api.password': MASK, name: 'put-me' }, tasks: [], type: 'source' });

    const updated = await call('PUT', '/connectors/put-me/config', sourceConfig({ 'poll.interval.ms': '900' }));
    expect(updated.status).toBe(200);
    expect((updated.body as { config: Record<string, string> }).config['poll.interval.ms']).toBe('900');
    expect((await store.getConnector('put-me'))?.generation).toBe(2);
    expect(kicks).toBe(before + 2);
  });

  it('a PUT that sends the mask back keeps the stored secret; the mask for a connector without one is a 400', async () => {
    await create('mask-round-trip');
    const shown = (await call('GET', '/connectors/mask-round-trip/config')).body as Record<string, string>;
    expect(shown['api.password']).toBe(MASK);

    const reply = await call('PUT', '/connectors/mask-round-trip/config', { ...shown, endpoint: 'https://example.com/v2' });
    expect(reply.status).toBe(200);
    const stored = await store.getConnector('mask-round-trip');
    expect(stored?.config['api.password']).toBe(SECRET);
    expect(stored?.config.endpoint).toBe('https://example.com/v2');

    expect(errorOf(await call('PUT', '/connectors/never-stored/config', { ...shown, name: 'never-stored' }), 400)).toContain('api.password');
    expect(await store.getConnector('never-stored')).toBeUndefined();
  });

  it('PUT refuses a config naming another connector and a path name no connector can have', async () => {
    expect(errorOf(await call('PUT', '/connectors/a/config', sourceConfig({ name: 'b' })), 400)).toContain("doesn't match");
    expect(errorOf(await call('PUT', `/connectors/${encodeURIComponent('a/b')}/config`, sourceConfig()), 400)).toContain("'/'");
    expect(errorOf(await call('PUT', '/connectors/bad-config/config', sourceConfig({ 'poll.interval.ms': '-5' })), 400)).toContain('poll.interval.ms');
  });

  it('PATCH merges: a null removes a key, the mask keeps the secret, others change; the result is validated', async () => {
    await create('patch-me', sourceConfig({ 'errors.log.enable': 'true' }));
    const reply = await call('PATCH', '/connectors/patch-me/config', { 'errors.log.enable': null, 'api.password': MASK, 'poll.interval.ms': '42' });
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body).toEqual({ name: 'patch-me', config: { ...sourceConfig({ 'poll.interval.ms': '42' }), 'api.password': MASK, name: 'patch-me' }, tasks: [], type: 'source' });
    expect((await store.getConnector('patch-me'))?.config).toEqual({ ...sourceConfig({ 'poll.interval.ms': '42' }), name: 'patch-me' });

    expect(errorOf(await call('PATCH', '/connectors/patch-me/config', { endpoint: null }), 400)).toContain('endpoint');
    expect(errorOf(await call('PATCH', '/connectors/patch-me/config', { name: 'other' }), 400)).toContain("doesn't match");
    expect(errorOf(await call('PATCH', '/connectors/patch-me/config', ['x']), 400)).toContain('JSON object');
    expect(errorOf(await call('PATCH', '/connectors/nobody/config', { endpoint: 'x' }), 404)).toContain('nobody');
  });
});

describe('status and tasks', () => {
  it('a connector without tasks is UNASSIGNED with no tasks', async () => {
    await create('fresh');
    expect((await call('GET', '/connectors/fresh/status')).body).toEqual({ name: 'fresh', connector: { state: 'UNASSIGNED', worker_id: 'unassigned' }, tasks: [], type: 'source' });
    expect((await call('GET', '/connectors/fresh/tasks')).body).toEqual([]);
  });

  it('shows the task items: state and worker_id, trace only when FAILED and scrubbed of secrets; task configs masked', async () => {
    await create('tasks');
    const taskConfig = { ...sourceConfig(), name: 'tasks', 'task.shard': '0' };
    await writeTasks('tasks', [taskConfig, { ...taskConfig, 'task.shard': '1' }]);
    await store.setConnectorStatus('tasks', { state: 'RUNNING', workerId: 'coordinator-1' });
    await store.setTaskState('tasks', 0, null, { state: 'RUNNING', workerId: 'host-a:101' });
    await store.setTaskState('tasks', 1, null, { state: 'FAILED', workerId: 'host-b:202', trace: `Error: login with ${SECRET} refused\n    at poll` });

    const status = await call('GET', '/connectors/tasks/status');
    expect(status.body).toEqual({
      name: 'tasks',
      connector: { state: 'RUNNING', worker_id: 'coordinator-1' },
      tasks: [
        { id: 0, state: 'RUNNING', worker_id: 'host-a:101' },
        { id: 1, state: 'FAILED', worker_id: 'host-b:202', trace: `Error: login with ${MASK} refused\n    at poll` },
      ],
      type: 'source',
    });
    expect((await call('GET', '/connectors/tasks/tasks/1/status')).body).toEqual((status.body as { tasks: unknown[] }).tasks[1]);
    expect((await call('GET', '/connectors/tasks')).body).toMatchObject({ tasks: [{ connector: 'tasks', task: 0 }, { connector: 'tasks', task: 1 }] });

    const tasks = (await call('GET', '/connectors/tasks/tasks')).body as { id: unknown; config: Record<string, string> }[];
    expect(tasks.map((t) => t.id)).toEqual([
      { connector: 'tasks', task: 0 },
      { connector: 'tasks', task: 1 },
    ]);
    expect(tasks[1]!.config).toEqual({ ...taskConfig, 'task.shard': '1', 'api.password': MASK });

    for (const id of ['2', '-1', 'x', '99999999999']) errorOf(await call('GET', `/connectors/tasks/tasks/${id}/status`), 404);
  });

  it('a connector the coordinator failed is FAILED with its trace', async () => {
    await create('broken');
    await store.setConnectorStatus('broken', { state: 'FAILED', trace: `ConfigError: cannot resolve ${SECRET}`, workerId: 'coordinator-1' });
    expect((await call('GET', '/connectors/broken/status')).body).toMatchObject({ connector: { state: 'FAILED', worker_id: 'coordinator-1', trace: `ConfigError: cannot resolve ${MASK}` } });
  });

  it('GET /connectors?expand=status&expand=info maps each name to its status and info', async () => {
    await create('expanded');
    const both = (await call('GET', '/connectors?expand=status&expand=info')).body as Record<string, { status: unknown; info: unknown }>;
    expect(both['expanded']).toEqual({
      status: (await call('GET', '/connectors/expanded/status')).body,
      info: (await call('GET', '/connectors/expanded')).body,
    });
    const statusOnly = (await call('GET', '/connectors?expand=status')).body as Record<string, object>;
    expect(Object.keys(statusOnly['expanded']!)).toEqual(['status']);
  });

  it('unknown connectors are 404s on every endpoint', async () => {
    for (const [method, path] of [
      ['GET', '/connectors/ghost'],
      ['DELETE', '/connectors/ghost'],
      ['GET', '/connectors/ghost/config'],
      ['GET', '/connectors/ghost/status'],
      ['GET', '/connectors/ghost/tasks'],
      ['GET', '/connectors/ghost/tasks/0/status'],
      ['POST', '/connectors/ghost/tasks/0/restart'],
      ['PUT', '/connectors/ghost/pause'],
      ['PUT', '/connectors/ghost/resume'],
      ['PUT', '/connectors/ghost/stop'],
      ['POST', '/connectors/ghost/restart'],
      ['GET', '/connectors/ghost/topics'],
      ['PUT', '/connectors/ghost/topics/reset'],
      ['GET', '/connectors/ghost/offsets'],
      ['DELETE', '/connectors/ghost/offsets'],
      ['GET', `/connectors/${'g'.repeat(3000)}/status`],
    ] as const) {
      expect(errorOf(await call(method, path), 404), `${method} ${path}`).toContain('not found');
    }
  });
});

describe('target states, restarts and delete', () => {
  it('pause, stop and resume answer 202, set the target state and kick; a STOPPED connector has no tasks', async () => {
    await create('lifecycle');
    await writeTasks('lifecycle', [{ a: '0' }]);
    const before = kicks;

    expect((await call('PUT', '/connectors/lifecycle/pause')).status).toBe(202);
    expect((await store.getConnector('lifecycle'))?.targetState).toBe('PAUSED');
    expect((await call('GET', '/connectors/lifecycle/status')).body).toMatchObject({ connector: { state: 'PAUSED' }, tasks: [{ id: 0 }] });

    expect((await call('PUT', '/connectors/lifecycle/stop')).status).toBe(202);
    expect((await call('GET', '/connectors/lifecycle/status')).body).toMatchObject({ connector: { state: 'STOPPED' }, tasks: [] });
    expect((await call('GET', '/connectors/lifecycle/tasks')).body).toEqual([]);
    expect((await call('GET', '/connectors/lifecycle')).body).toMatchObject({ tasks: [] });

    expect((await call('PUT', '/connectors/lifecycle/resume')).status).toBe(202);
    expect((await store.getConnector('lifecycle'))?.targetState).toBe('RUNNING');
    expect((await call('GET', '/connectors/lifecycle/status')).body).toMatchObject({ connector: { state: 'RUNNING' }, tasks: [{ id: 0, state: 'UNASSIGNED' }] });
    expect(kicks).toBe(before + 3);
  });

  it('POST /restart without flags is a 204 that clears a connector failure', async () => {
    await create('restart-plain');
    await store.setConnectorStatus('restart-plain', { state: 'FAILED', trace: 'boom' });
    expect((await call('POST', '/connectors/restart-plain/restart')).status).toBe(204);
    expect((await store.getConnector('restart-plain'))?.status.state).toBe('UNASSIGNED');
  });

  it('POST /restart?includeTasks=true&onlyFailed=true restarts only the failed tasks and answers 202 with the status', async () => {
    await create('restart-tasks');
    await writeTasks('restart-tasks', [{ a: '0' }, { a: '1' }]);
    await store.setConnectorStatus('restart-tasks', { state: 'RUNNING', workerId: 'coordinator-1' });
    await store.acquireLease('restart-tasks', 0, 'host-a:1', 60_000);
    await store.setTaskState('restart-tasks', 1, null, { state: 'FAILED', trace: 'boom', workerId: 'host-b:2' });
    const before = kicks;

    const reply = await call('POST', '/connectors/restart-tasks/restart?includeTasks=true&onlyFailed=true');
    expect(reply.status).toBe(202);
    expect(reply.body).toEqual({
      name: 'restart-tasks',
      connector: { state: 'RUNNING', worker_id: 'coordinator-1' },
      tasks: [
        { id: 0, state: 'RUNNING', worker_id: 'host-a:1' },
        { id: 1, state: 'RESTARTING', worker_id: 'host-b:2' },
      ],
      type: 'source',
    });
    expect((await store.getTask('restart-tasks', 1))?.state).toBe('RESTARTING');
    expect((await store.getTask('restart-tasks', 1))?.trace).toBeUndefined();
    expect((await store.getTask('restart-tasks', 0))?.state).toBe('RUNNING');
    expect(kicks).toBe(before + 1);

    expect(errorOf(await call('POST', '/connectors/restart-tasks/restart?includeTasks=yes'), 400)).toContain('includeTasks');
  });

  it('POST /tasks/{id}/restart restarts a failed task (204) and refuses one a live invocation holds (409)', async () => {
    await create('task-restart');
    await writeTasks('task-restart', [{ a: '0' }, { a: '1' }]);
    await store.setTaskState('task-restart', 0, null, { state: 'FAILED', trace: 'boom' });
    await store.acquireLease('task-restart', 1, 'host-a:1', 60_000);

    expect((await call('POST', '/connectors/task-restart/tasks/0/restart')).status).toBe(204);
    expect((await store.getTask('task-restart', 0))?.state).toBe('RESTARTING');
    expect(errorOf(await call('POST', '/connectors/task-restart/tasks/1/restart'), 409)).toContain('host-a:1');
    now += 60_001; // the lease expired
    expect((await call('POST', '/connectors/task-restart/tasks/1/restart')).status).toBe(204);
    errorOf(await call('POST', '/connectors/task-restart/tasks/2/restart'), 404);
  });

  it('DELETE removes the connector (204) and kicks; it is gone afterwards', async () => {
    await create('doomed');
    const before = kicks;
    expect((await call('DELETE', '/connectors/doomed')).status).toBe(204);
    expect(kicks).toBe(before + 1);
    expect(await store.getConnector('doomed')).toBeUndefined();
    errorOf(await call('GET', '/connectors/doomed'), 404);
    expect((await call('GET', '/connectors')).body).not.toContain('doomed');
  });

  it('topics: an empty list for now, and a reset is accepted', async () => {
    await create('topical');
    expect((await call('GET', '/connectors/topical/topics')).body).toEqual({ topical: { topics: [] } });
    expect((await call('PUT', '/connectors/topical/topics/reset')).status).toBe(202);
  });
});

describe('offsets', () => {
  const partition = { server: 'inventory' };

  it('GET lists stored offsets; PATCH and DELETE need a STOPPED connector (400 otherwise)', async () => {
    await create('offsets');
    const connector = await store.getConnector('offsets');
    expect((await call('GET', '/connectors/offsets/offsets')).body).toEqual({ offsets: [] });
    await store.writeOffset('offsets', partition, { pos: 120, file: 'binlog.000003' }, connector!.epoch);
    expect((await call('GET', '/connectors/offsets/offsets')).body).toEqual({ offsets: [{ partition, offset: { pos: 120, file: 'binlog.000003' } }] });

    const patch = { offsets: [{ partition, offset: { pos: 4, file: 'binlog.000001' } }] };
    expect(errorOf(await call('PATCH', '/connectors/offsets/offsets', patch), 400)).toContain('STOPPED');
    expect(errorOf(await call('DELETE', '/connectors/offsets/offsets'), 400)).toContain('STOPPED');
  });

  it('on a STOPPED connector PATCH writes offsets, a null offset resets one partition, DELETE resets all', async () => {
    await create('stopped-offsets');
    const epoch = (await store.getConnector('stopped-offsets'))!.epoch;
    await store.writeOffset('stopped-offsets', { file: 'a' }, { position: 10 }, epoch);
    await store.writeOffset('stopped-offsets', { file: 'b' }, { position: 20 }, epoch);
    expect((await call('PUT', '/connectors/stopped-offsets/stop')).status).toBe(202);

    const reply = await call('PATCH', '/connectors/stopped-offsets/offsets', {
      offsets: [
        { partition: { file: 'a' }, offset: { position: 99 } },
        { partition: { file: 'b' }, offset: null },
        { partition: { file: 'c' }, offset: { position: 7 } },
      ],
    });
    expect(reply).toMatchObject({ status: 200, body: { message: 'The offsets for this connector have been altered successfully' } });
    const listed = (await call('GET', '/connectors/stopped-offsets/offsets')).body as { offsets: { partition: { file: string } }[] };
    expect(listed.offsets.sort((x, y) => x.partition.file.localeCompare(y.partition.file))).toEqual([
      { partition: { file: 'a' }, offset: { position: 99 } },
      { partition: { file: 'c' }, offset: { position: 7 } },
    ]);

    expect(await call('DELETE', '/connectors/stopped-offsets/offsets')).toMatchObject({ status: 200, body: { message: 'The offsets for this connector have been reset successfully' } });
    expect((await call('GET', '/connectors/stopped-offsets/offsets')).body).toEqual({ offsets: [] });
  });

  it('refuses malformed offset bodies, sink offsets that are not Kafka positions, and changes while a task still holds a lease', async () => {
    await create('odd-offsets', sourceConfig(), 'STOPPED');
    for (const bad of [{}, { offsets: [] }, { offsets: {} }, { offsets: [{ partition: 'x', offset: {} }] }, { offsets: [{ partition: {}, offset: 5 }] }, { offsets: [null] }]) {
      errorOf(await call('PATCH', '/connectors/odd-offsets/offsets', bad), 400);
    }

    await create('sink-offsets', { 'connector.class': SINK, topics: 'orders', 'target.password': SECRET }, 'STOPPED');
    expect(errorOf(await call('PATCH', '/connectors/sink-offsets/offsets', { offsets: [{ partition: { topic: 'orders' }, offset: { offset: 1 } }] }), 400)).toContain('kafka_topic');
    // A well-formed change needs the group offsets in Kafka (test/integration/api-sink-offsets.test.ts); this API has no Kafka client.
    const noKafka = await call('PATCH', '/connectors/sink-offsets/offsets', { offsets: [{ partition: { kafka_topic: 'orders', kafka_partition: 0 }, offset: { kafka_offset: 42 } }] });
    expect(errorOf(noKafka, 400)).toContain('no Kafka client');

    await create('leased', sourceConfig());
    await writeTasks('leased', [{ a: '0' }]);
    await store.acquireLease('leased', 0, 'host-z:9', 60_000);
    await call('PUT', '/connectors/leased/stop');
    expect(errorOf(await call('DELETE', '/connectors/leased/offsets'), 409)).toContain('lease');
  });
});

describe('connector plugins', () => {
  it('lists connector plugins, and every plugin with connectorsOnly=false', async () => {
    const connectors = (await call('GET', '/connector-plugins')).body as { class: string; type: string; version: string }[];
    expect(connectors).toEqual([
      { class: SINK, type: 'sink', version: '1.2.3' },
      { class: SOURCE, type: 'source', version: '1.2.3' },
    ]);
    const all = (await call('GET', '/connector-plugins?connectorsOnly=false')).body as { class: string; type: string }[];
    expect(all).toContainEqual(expect.objectContaining({ class: 'org.apache.kafka.connect.json.JsonConverter', type: 'converter' }));
    errorOf(await call('GET', '/connector-plugins?connectorsOnly=perhaps'), 400);
  });

  it('GET /connector-plugins/{p}/config lists the base definitions and the plugin’s own', async () => {
    const defs = (await call('GET', '/connector-plugins/test-source/config')).body as { name: string; type: string }[];
    const names = defs.map((d) => d.name);
    for (const name of ['name', 'connector.class', 'tasks.max', 'endpoint', 'api.password', 'poll.interval.ms']) expect(names).toContain(name);
    expect(defs.find((d) => d.name === 'api.password')).toMatchObject({ type: 'PASSWORD', required: false, importance: 'HIGH' });
    expect((await call('GET', '/connector-plugins/JsonConverter/config')).status).toBe(200);
    errorOf(await call('GET', '/connector-plugins/com.acme.Nope/config'), 404);
  });

  it("PUT /connector-plugins/{p}/config/validate answers Kafka's shape with errors per field and the password masked", async () => {
    const reply = await call('PUT', '/connector-plugins/test-source/config/validate', { name: 'v', endpoint: 'x', 'api.password': SECRET, 'poll.interval.ms': 'often' });
    expect(reply.status).toBe(200);
    const infos = reply.body as { name: string; error_count: number; groups: string[]; configs: { definition: { name: string }; value: { name: string; value: string | null; errors: string[]; recommended_values: string[]; visible: boolean } }[] };
    expect(infos.name).toBe(SOURCE);
    expect(infos.error_count).toBe(1);
    expect(infos.groups).toContain('Common');
    const value = (name: string) => infos.configs.find((c) => c.value.name === name)!.value;
    expect(value('api.password').value).toBe(MASK);
    expect(value('poll.interval.ms').errors).toEqual([expect.stringContaining('poll.interval.ms')]);
    expect(value('connector.class').value).toBe('test-source');
    expect(JSON.stringify(reply.body)).not.toContain(SECRET);
    expect(infos.configs[0]).toEqual({ definition: expect.objectContaining({ name: 'name' }), value: { name: 'name', value: 'v', errors: [], recommended_values: [], visible: true } });

    const placeholders = await call('PUT', `/connector-plugins/${SOURCE}/config/validate`, { name: 'v', endpoint: 'x', 'poll.interval.ms': '${env:POLL}', 'api.password': '${env:PW}' });
    expect(placeholders.body).toMatchObject({ error_count: 0 });
    expect(JSON.stringify(placeholders.body)).toContain('${env:PW}');

    const own = await call('PUT', '/connector-plugins/test-source/config/validate', { name: 'v', endpoint: 'unreachable' });
    expect(own.body).toMatchObject({ error_count: 1 });

    expect(errorOf(await call('PUT', '/connector-plugins/test-source/config/validate', { 'connector.class': SINK }), 400)).toContain('does not match');
    errorOf(await call('PUT', '/connector-plugins/com.acme.Nope/config/validate', {}), 404);
    errorOf(await call('PUT', '/connector-plugins/test-source/config/validate', 'nope'), 400);
  });
});
