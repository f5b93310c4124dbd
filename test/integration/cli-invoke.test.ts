// `slipway invoke FUNCTION -e EVENT.json` as users run it (a child process)
// against the Lambda emulator behind the edge port, through the real Lambda
// Invoke API: the function's answer on stdout, exit code 1 when it fails.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../src/local/edge.js';
import { LambdaEmulator } from '../../src/local/lambda/emulator.js';
import { createLogger } from '../../src/logging.js';
import { SLIPWAY_BIN, freePort } from '../helpers/cli-broker.js';
import { tempDir } from '../helpers/env.js';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

let emulator: LambdaEmulator;
let edge: Edge;
let tmp: ReturnType<typeof tempDir>;

/** `slipway invoke ARGS` in a child process; `env` is added to a copy of this one without AWS endpoints or credentials. */
function invoke(args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<Run> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  for (const key of ['AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_LAMBDA', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_PROFILE']) if (!opts.env?.[key]) delete env[key];
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [SLIPWAY_BIN, 'invoke', ...args], { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') reject(err);
      else resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
    child.stdin!.end(opts.input ?? '');
  });
}

function eventFile(name: string, content: string): string {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, content);
  return file;
}

beforeAll(async () => {
  tmp = tempDir('slipway-invoke-');
  emulator = new LambdaEmulator({
    functions: [
      { name: 'echo', module: 'test/fixtures/lambda/echo.ts', handler: 'handler', timeoutMs: 20_000 },
      { name: 'fail', module: 'test/fixtures/lambda/fail.ts', handler: 'handler', timeoutMs: 20_000 },
    ],
    logger: createLogger('cli-invoke-test', { level: 'error' }),
    output: () => {},
  });
  edge = await startEdge({ port: 0, services: [(req, res) => emulator.handle(req, res)] });
});

afterAll(async () => {
  await edge?.close();
  await emulator?.close();
  tmp?.cleanup();
});

describe('slipway invoke', () => {
  it("prints the function's answer, with the endpoint from AWS_ENDPOINT_URL", async () => {
    const event = { source: 'cli', records: [1, 2, 3], text: 'café' };
    const run = await invoke(['echo', '-e', eventFile('echo.json', JSON.stringify(event))], { env: { AWS_ENDPOINT_URL: edge.endpoint } });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual(event);
  });

  it('takes --endpoint, the event from standard input, and {} without -e', async () => {
    const fromStdin = await invoke(['echo', '-e', '-', '--endpoint', edge.endpoint], { input: '"from stdin"' });
    expect(fromStdin).toMatchObject({ code: 0, stdout: '"from stdin"\n' });
    expect(await invoke(['echo', '--endpoint', edge.endpoint])).toMatchObject({ code: 0, stdout: '{}\n' });
  });

  it('exits 1 when the function fails, printing its error payload and a one-line summary', async () => {
    const run = await invoke(['fail', '-e', eventFile('fail.json', '{"message": "no stock for sku 42"}'), '--endpoint', edge.endpoint]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({ errorType: 'InventoryError', errorMessage: 'no stock for sku 42' });
    expect(run.stderr).toBe('slipway: fail failed (Unhandled): InventoryError: no stock for sku 42\n');
  });

  it('names an unknown function, an unreachable endpoint and a bad event in one line each', async () => {
    const unknown = await invoke(['nope', '--endpoint', edge.endpoint]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(new RegExp(`^slipway: could not invoke nope at ${edge.endpoint}: ResourceNotFoundException: .*nope.*\\n$`));

    const closed = `http://127.0.0.1:${await freePort()}`;
    const unreachable = await invoke(['echo', '--endpoint', closed]);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(new RegExp(`^slipway: could not invoke echo at ${closed}: .*ECONNREFUSED.*\\n$`));

    const bad = eventFile('bad.json', '{"message": "unterminated}');
    const badEvent = await invoke(['echo', '-e', bad, '--endpoint', edge.endpoint]);
    expect(badEvent.code).toBe(1);
    expect(badEvent.stderr).toMatch(new RegExp(`^slipway: ${bad}: the event is not valid JSON: .*\\n$`));

    const missing = await invoke(['echo', '-e', path.join(tmp.dir, 'none.json'), '--endpoint', edge.endpoint]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^slipway: .*none\.json: cannot read the event: no such file\n$/);
  });

  it('is a usage error without FUNCTION or with an endpoint that is not a URL (exit code 2)', async () => {
    expect((await invoke([])).code).toBe(2);
    const run = await invoke(['echo', '--endpoint', 'localhost:4566']);
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^slipway: the Lambda endpoint must be an http:\/\/ or https:\/\/ URL, got "localhost:4566"/);
  });
});
