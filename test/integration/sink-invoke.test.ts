// `slipway invoke sink -e events/sink-self-managed.json` as a user runs it (a
// child process) against `slipway dev`'s Lambda emulator: the sample batch
// reaches the FileStreamSink connector consuming its topic, in partition
// order; through `sink:<alias>` it reaches the connector the alias names,
// even when another connector reads the same topic.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDev, type DevStack } from '../../src/local/dev.js';
import { createLogger } from '../../src/logging.js';
import { sinkAliasOf } from '../../src/runtime/sink.js';
import { createDynamoClient, Store, tableName } from '../../src/store/index.js';
import { SLIPWAY_BIN } from '../helpers/cli-broker.js';
import { tempDir } from '../helpers/env.js';

const SAMPLE = path.resolve('events/sink-self-managed.json');

let tmp: ReturnType<typeof tempDir>;
let stack: DevStack;
let store: Store;

function invoke(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_ENDPOINT_URL: stack.edgeEndpoint, NODE_NO_WARNINGS: '1' };
  for (const key of ['AWS_ENDPOINT_URL_LAMBDA', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE']) delete env[key];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [SLIPWAY_BIN, 'invoke', ...args], { env, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

async function fileSink(name: string, topics: string): Promise<string> {
  const file = path.join(tmp.dir, `${name}.txt`);
  await store.createConnector(name, { name, 'connector.class': 'FileStreamSink', topics, file, 'key.converter': 'StringConverter', 'value.converter': 'org.apache.kafka.connect.storage.StringConverter' });
  return file;
}

/** The values of the sample batch, in the order they must be written. */
function sampleValues(): string[] {
  const event = JSON.parse(fs.readFileSync(SAMPLE, 'utf8')) as { records: Record<string, { value: string | null }[]> };
  return Object.values(event.records)
    .flat()
    .map((r) => (r.value === null ? 'null' : Buffer.from(r.value, 'base64').toString('utf8')));
}

beforeAll(async () => {
  tmp = tempDir('slipway-sink-invoke-');
  stack = await startDev({
    dataDir: path.join(tmp.dir, 'data'),
    port: 0,
    brokerPort: 0,
    schedulePeriodMs: 3_600_000,
    functionEnv: { NODE_NO_WARNINGS: '1' },
    logger: createLogger('dev', { level: 'error' }),
  });
  const client = createDynamoClient({ AWS_ENDPOINT_URL: stack.edgeEndpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' });
  store = new Store({ client, table: tableName() });
}, 120_000);

afterAll(async () => {
  await stack?.close();
  tmp?.cleanup();
});

describe('slipway invoke sink', () => {
  it('delivers the sample batch to the one sink connector consuming its topic', async () => {
    const file = await fileSink('orders-to-file', 'orders');
    const run = await invoke(['sink', '-e', SAMPLE]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      connector: 'orders-to-file',
      records: 4,
      offsets: [
        { topic: 'orders', partition: 0, offset: 18 },
        { topic: 'orders', partition: 1, offset: 4 },
      ],
    });
    expect(fs.readFileSync(file, 'utf8')).toBe(sampleValues().join('\n') + '\n');
  }, 60_000);

  it('through an alias reaches the connector it names; unqualified, two readers of one topic are refused', async () => {
    const audit = await fileSink('orders audit', 'orders,payments');
    const ambiguous = await invoke(['sink', '-e', SAMPLE]);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/sink connectors orders audit, orders-to-file all consume orders/);

    const run = await invoke([`sink:${sinkAliasOf('orders audit')}`, '-e', SAMPLE]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ connector: 'orders audit', records: 4 });
    expect(fs.readFileSync(audit, 'utf8')).toBe(sampleValues().join('\n') + '\n');
  }, 60_000);
});
