// The REST commands of the CLI as users run them: `node bin/slipway.js …` in a
// child process against the REST API on a free port, backed by a real
// dynalite. Issue test 8: `apply -f` of each of the three config forms gives
// the same stored connector. Then status, pause, resume, stop, restart,
// offsets and delete, and how failures look (one line, exit code 1).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiApp } from '../../src/api/app.js';
import { startApiServer, type RunningApiServer } from '../../src/api/server.js';
import { startDynalite, type RunningDynalite } from '../../src/local/dynamo.js';
import { createLogger } from '../../src/logging.js';
import { createRuntimeRegistry } from '../../src/runtime/plugins.js';
import { Store, createDynamoClient, ensureTable } from '../../src/store/index.js';
import { SLIPWAY_BIN, freePort } from '../helpers/cli-broker.js';
import { tempDir, waitFor } from '../helpers/env.js';

const EXAMPLES = path.resolve(path.dirname(SLIPWAY_BIN), '..', 'examples');
const FORMS = ['file-source.json', 'file-source.yaml', 'file-source.properties'];
const TABLE = 'slipway';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let dynamo: RunningDynalite;
let client: DynamoDBClient;
let store: Store;
let server: RunningApiServer;
let tmp: ReturnType<typeof tempDir>;

/** `slipway ARGS` in a child process, with --url of the test's server unless `url` says otherwise. */
function slipway(args: string[], opts: { url?: string | null; input?: string; onStderr?: (chunk: string) => void } = {}): Promise<Run> {
  const url = opts.url === undefined ? server.url : opts.url;
  const env = { ...process.env };
  delete env.SLIPWAY_URL;
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [SLIPWAY_BIN, ...args, ...(url === null ? [] : ['--url', url])], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
    if (opts.onStderr) child.stderr!.on('data', (chunk: Buffer | string) => opts.onStderr!(String(chunk)));
    child.stdin!.end(opts.input ?? '');
  });
}

async function api(method: string, p: string): Promise<{ status: number; body: unknown }> {
  const res = await fetch(server.url + p, { method });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const stateOf = async (name: string) => ((await api('GET', `/connectors/${name}/status`)).body as { connector: { state: string } }).connector.state;

beforeAll(async () => {
  tmp = tempDir('slipway-cli-');
  dynamo = await startDynalite();
  client = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
  await ensureTable(client, TABLE);
  store = new Store({ client, table: TABLE });
  // No coordinator: the commands are about what the REST API stores and answers.
  const app = createApiApp({ store, registry: createRuntimeRegistry(), kickCoordinator: async () => {}, logger: createLogger('cli-test', { level: 'error' }) });
  server = await startApiServer({ app, port: 0 });
});

afterAll(async () => {
  await server?.close();
  client?.destroy();
  await dynamo?.close();
  tmp?.cleanup();
});

beforeEach(async () => {
  for (const c of await store.listConnectors()) await store.deleteConnector(c.name);
});

describe('slipway apply', () => {
  it('stores the same connector from each of the three config forms (issue test 8)', async () => {
    const stored: unknown[] = [];
    for (const form of FORMS) {
      const created = await slipway(['apply', '-f', path.join(EXAMPLES, form)]);
      expect(created, form).toMatchObject({ code: 0, stdout: 'file-source: created\n', stderr: '' });
      const config = await api('GET', '/connectors/file-source/config');
      expect(config.status).toBe(200);
      stored.push({ config: config.body, state: await stateOf('file-source') });

      // Applied again, the same file is an update that changes nothing.
      const again = await slipway(['apply', '-f', path.join(EXAMPLES, form)]);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/^file-source: updated/);
      expect((await api('GET', '/connectors/file-source/config')).body).toEqual(config.body);

      expect((await api('DELETE', '/connectors/file-source')).status).toBe(204);
    }
    expect(stored[0]).toEqual({
      config: {
        name: 'file-source',
        'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
        'tasks.max': '1',
        file: '/tmp/slipway-file-source.txt',
        topic: 'file-lines',
        'batch.size': '500',
        'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
      },
      state: 'UNASSIGNED',
    });
    expect(stored[1]).toEqual(stored[0]);
    expect(stored[2]).toEqual(stored[0]);
  });

  it('creates connectors in the state the file asks for, and moves existing ones to it', async () => {
    const file = path.join(tmp.dir, 'states.yaml');
    const connector = (name: string, state: string) =>
      `apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata:\n  name: ${name}\nspec:\n  class: FileStreamSource\n  tasksMax: 1\n  state: ${state}\n  config:\n    file: /tmp/in.txt\n    topic: t\n`;
    fs.writeFileSync(file, [connector('paused-one', 'paused'), connector('stopped-one', 'stopped'), connector('running-one', 'running')].join('---\n'));
    const first = await slipway(['apply', '-f', file]);
    expect(first).toMatchObject({ code: 0, stdout: 'paused-one: created (PAUSED)\nstopped-one: created (STOPPED)\nrunning-one: created\n' });
    expect([await stateOf('paused-one'), await stateOf('stopped-one'), await stateOf('running-one')]).toEqual(['PAUSED', 'STOPPED', 'UNASSIGNED']);

    fs.writeFileSync(file, [connector('paused-one', 'running'), connector('stopped-one', 'paused'), connector('running-one', 'stopped')].join('---\n'));
    const second = await slipway(['apply', '-f', file]);
    expect(second).toMatchObject({ code: 0, stdout: 'paused-one: updated (RUNNING)\nstopped-one: updated (PAUSED)\nrunning-one: updated (STOPPED)\n' });
    expect([await stateOf('paused-one'), await stateOf('stopped-one'), await stateOf('running-one')]).toEqual(['UNASSIGNED', 'PAUSED', 'STOPPED']);
  });

  it('reads several files, and standard input with -f -', async () => {
    const props = path.join(tmp.dir, 'from-props.properties');
    fs.writeFileSync(props, 'connector.class=FileStreamSource\nfile=/tmp/a.txt\ntopic=a\n');
    const run = await slipway(['apply', '-f', props, '-f', '-'], { input: '{"name": "from-stdin", "config": {"connector.class": "FileStreamSource", "file": "/tmp/b.txt", "topic": "b"}}' });
    expect(run).toMatchObject({ code: 0, stdout: 'from-props: created\nfrom-stdin: created\n' });
    expect((await api('GET', '/connectors')).body).toEqual(expect.arrayContaining(['from-props', 'from-stdin']));
  });

  it('applies nothing when one of the files is bad, naming its line and field', async () => {
    const good = path.join(tmp.dir, 'good.json');
    const bad = path.join(tmp.dir, 'bad.yaml');
    fs.writeFileSync(good, '{"name": "good", "config": {"connector.class": "FileStreamSource", "file": "/tmp/a", "topic": "a"}}');
    fs.writeFileSync(bad, 'apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata:\n  name: bad\nspec:\n  class: FileStreamSource\n  tasksMax: many\n');
    const run = await slipway(['apply', '-f', good, '-f', bad]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(`slipway: ${bad}:7: spec.tasksMax: must be an integer of at least 1, got string "many"\n`);
    expect(run.stdout).toBe('');
    expect((await api('GET', '/connectors')).body).toEqual([]);
  });

  it("reports the server's refusal of one connector and still applies the others", async () => {
    const file = path.join(tmp.dir, 'mixed.json');
    fs.writeFileSync(file, '{"name": "unknown-class", "config": {"connector.class": "com.example.Nope"}}');
    const good = path.join(EXAMPLES, 'file-source.properties');
    const run = await slipway(['apply', '-f', file, '-f', good]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('file-source: created\n');
    // The server's message as it is: Kafka Connect's lists each invalid field on its own line.
    expect(run.stderr).toMatch(/^slipway: unknown-class: Connector configuration is invalid.*Invalid value com\.example\.Nope for configuration connector\.class/s);
    expect(run.stderr).not.toMatch(/\n {4}at /);
    expect((await api('GET', '/connectors')).body).toEqual(['file-source']);
  });

  it('refuses one connector defined in two files', async () => {
    const run = await slipway(['apply', '-f', path.join(EXAMPLES, 'file-source.json'), '-f', path.join(EXAMPLES, 'file-source.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/^slipway: connector "file-source" is defined both in .*file-source\.json and in .*file-source\.yaml; nothing was applied\n$/);
    expect((await api('GET', '/connectors')).body).toEqual([]);
  });

  it('is a usage error without -f (exit code 2)', async () => {
    const run = await slipway(['apply']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^slipway: no file given: -f FILE\n\nUsage: slipway apply/);
  });
});

describe('the other REST commands', () => {
  beforeEach(async () => {
    expect((await slipway(['apply', '-f', path.join(EXAMPLES, 'file-source.yaml')])).code).toBe(0);
  });

  it('status lists every connector, or shows one', async () => {
    const all = await slipway(['status']);
    expect(all).toMatchObject({ code: 0, stderr: '' });
    expect(all.stdout.split('\n')[0]).toMatch(/^NAME\s+TYPE\s+STATE\s+TASKS$/);
    expect(all.stdout.split('\n')[1]).toMatch(/^file-source\s+source\s+UNASSIGNED\s+-$/);

    const one = await slipway(['status', 'file-source']);
    expect(one.code).toBe(0);
    expect(one.stdout).toMatch(/^Connector {2}file-source \(source\)\nState {6}UNASSIGNED {2}worker unassigned\nTasks {6}none\n$/);

    const json = await slipway(['status', 'file-source', '--json']);
    expect(JSON.parse(json.stdout)).toEqual((await api('GET', '/connectors/file-source/status')).body);
  });

  it('status of an empty cluster says so', async () => {
    await store.deleteConnector('file-source');
    expect(await slipway(['status'])).toMatchObject({ code: 0, stdout: 'No connectors.\n' });
  });

  it('pause, resume and stop move the target state', async () => {
    expect(await slipway(['pause', 'file-source'])).toMatchObject({ code: 0, stdout: 'file-source: pause requested\n' });
    expect(await stateOf('file-source')).toBe('PAUSED');
    expect(await slipway(['resume', 'file-source'])).toMatchObject({ code: 0, stdout: 'file-source: resume requested\n' });
    expect(await stateOf('file-source')).toBe('UNASSIGNED');
    expect(await slipway(['stop', 'file-source'])).toMatchObject({ code: 0, stdout: 'file-source: stop requested\n' });
    expect(await stateOf('file-source')).toBe('STOPPED');
  });

  it('restart asks the server, and shows the status it answers with --include-tasks', async () => {
    expect(await slipway(['restart', 'file-source'])).toMatchObject({ code: 0, stdout: 'file-source: restart requested\n' });
    const withTasks = await slipway(['restart', 'file-source', '--include-tasks', '--only-failed']);
    expect(withTasks.code).toBe(0);
    expect(withTasks.stdout).toMatch(/^Connector {2}file-source \(source\)\n/);
  });

  it('offsets shows the stored offsets, and --reset clears them only once the connector is stopped', async () => {
    const connector = (await store.getConnector('file-source'))!;
    await store.writeOffset('file-source', { filename: '/tmp/slipway-file-source.txt' }, { position: 42 }, connector.epoch);

    const shown = await slipway(['offsets', 'file-source']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toEqual({ offsets: [{ partition: { filename: '/tmp/slipway-file-source.txt' }, offset: { position: 42 } }] });

    const refused = await slipway(['offsets', 'file-source', '--reset']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^slipway: Connectors must be in the STOPPED state before their offsets can be modified.*\n$/);

    expect((await slipway(['stop', 'file-source'])).code).toBe(0);
    expect(await slipway(['offsets', 'file-source', '--reset'])).toMatchObject({ code: 0, stdout: 'file-source: The offsets for this connector have been reset successfully\n' });
    expect(JSON.parse((await slipway(['offsets', 'file-source'])).stdout)).toEqual({ offsets: [] });
  });

  it('offsets --reset waits while the tasks of a just-stopped connector still hold their leases', async () => {
    await store.writeTaskConfigs('file-source', 1, [{}]);
    const grant = (await store.acquireLease('file-source', 0, 'test-invocation', 120_000))!;
    expect(grant).not.toBeNull();
    expect((await slipway(['stop', 'file-source'])).code).toBe(0);

    let stderr = '';
    const reset = slipway(['offsets', 'file-source', '--reset'], { onStderr: (chunk) => (stderr += chunk) });
    await waitFor(() => stderr.includes('waiting'), { what: 'the CLI to wait for the lease' });
    expect(stderr).toMatch(/^slipway: file-source: waiting up to 60 s for its tasks to stop \(Connector file-source is STOPPED but task\(s\) 0 still hold a lease/);
    // The invocation ends: the reset goes through.
    await store.releaseLease('file-source', 0, grant.epoch);
    expect(await reset).toMatchObject({ code: 0, stdout: 'file-source: The offsets for this connector have been reset successfully\n' });
  });

  it('delete removes the connector; deleting it again prints the server message', async () => {
    expect(await slipway(['delete', 'file-source'])).toMatchObject({ code: 0, stdout: 'file-source: deleted\n' });
    expect((await api('GET', '/connectors/file-source')).status).toBe(404);
    expect(await slipway(['delete', 'file-source'])).toMatchObject({ code: 1, stdout: '', stderr: 'slipway: Connector file-source not found\n' });
  });

  it('takes names that need escaping in a path', async () => {
    const file = path.join(tmp.dir, 'odd-name.json');
    fs.writeFileSync(file, '{"name": "orders ?#% v2", "config": {"connector.class": "FileStreamSource", "file": "/tmp/o", "topic": "o"}}');
    expect(await slipway(['apply', '-f', file])).toMatchObject({ code: 0, stdout: 'orders ?#% v2: created\n' });
    expect(await slipway(['pause', 'orders ?#% v2'])).toMatchObject({ code: 0 });
    expect(await stateOf(encodeURIComponent('orders ?#% v2'))).toBe('PAUSED');
  });

  it('uses SLIPWAY_URL when --url is not given', async () => {
    const env = { ...process.env, SLIPWAY_URL: server.url };
    const run = await new Promise<Run>((resolve) => {
      execFile(process.execPath, [SLIPWAY_BIN, 'status'], { env, timeout: 30_000 }, (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr }));
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/file-source/);
  });

  it('names the URL in one line when the server cannot be reached', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    for (const args of [['status'], ['apply', '-f', path.join(EXAMPLES, 'file-source.json')], ['offsets', 'file-source']]) {
      const run = await slipway(args, { url });
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr).toBe(`slipway: cannot reach the Slipway REST API at ${url} (connection refused); is \`slipway dev\` running? --url or SLIPWAY_URL names another\n`);
    }
  });

  it('refuses a --url that is not an http URL (exit code 2)', async () => {
    const run = await slipway(['status'], { url: 'localhost:8083' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^slipway: --url must be an http:\/\/ or https:\/\/ URL, got "localhost:8083"/);
  });
});
