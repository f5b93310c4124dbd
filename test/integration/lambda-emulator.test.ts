// The Lambda emulator as its users reach it: @aws-sdk/client-lambda against
// the edge port, handlers in real child processes (test/fixtures/lambda/).
// What Lambda does, the emulator must do: warm reuse, one invocation per
// environment, deadlines that kill, errors in Lambda's shapes, Event
// invocations in the background, and no process left behind.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import { InvokeCommand, LambdaClient, type InvokeCommandInput, type InvokeCommandOutput } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEdge, type Edge } from '../../src/local/edge.js';
import { LambdaEmulator, type FunctionDef } from '../../src/local/lambda/emulator.js';
import { createLogger } from '../../src/logging.js';
import { tempDir, waitFor } from '../helpers/env.js';

const FIXTURES = 'test/fixtures/lambda';
const logger = createLogger('lambda-emulator-test', { level: 'error' });

const FUNCTIONS: FunctionDef[] = [
  { name: 'echo', module: `${FIXTURES}/echo.ts`, handler: 'handler', timeoutMs: 10_000 },
  { name: 'context', module: `${FIXTURES}/context.ts`, handler: 'handler', timeoutMs: 7_000, memoryMb: 256, env: { FUNCTION_VAR: 'from-function' } },
  { name: 'callback', module: `${FIXTURES}/context.ts`, handler: 'callbackHandler', timeoutMs: 10_000 },
  { name: 'fail', module: `${FIXTURES}/fail.ts`, handler: 'handler', timeoutMs: 10_000 },
  { name: 'uncaught', module: `${FIXTURES}/fail.ts`, handler: 'uncaught', timeoutMs: 10_000 },
  { name: 'barrier', module: `${FIXTURES}/block.ts`, handler: 'barrier', timeoutMs: 20_000 },
  { name: 'sleepy', module: `${FIXTURES}/block.ts`, handler: 'block', timeoutMs: 1_000 },
  { name: 'block', module: `${FIXTURES}/block.ts`, handler: 'block', timeoutMs: 60_000 },
  { name: 'single', module: `${FIXTURES}/block.ts`, handler: 'block', timeoutMs: 60_000, reservedConcurrency: 1 },
  { name: 'recorder', module: `${FIXTURES}/block.ts`, handler: 'record', timeoutMs: 20_000 },
  { name: 'recorder-no-retry', module: `${FIXTURES}/block.ts`, handler: 'record', timeoutMs: 20_000, maxRetryAttempts: 0 },
  { name: 'no-handler', module: `${FIXTURES}/echo.ts`, handler: 'nope', timeoutMs: 10_000 },
];

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function json(out: InvokeCommandOutput): unknown {
  return JSON.parse(Buffer.from(out.Payload ?? new Uint8Array()).toString('utf8'));
}

function lines(file: string): Array<{ requestId: string; pid: number }> {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { requestId: string; pid: number });
}

async function markedPid(marker: string): Promise<number> {
  return waitFor(() => (fs.existsSync(marker) ? Number(fs.readFileSync(marker, 'utf8')) : undefined), { what: `pid in ${marker}` });
}

describe('Lambda emulator through the Invoke API', () => {
  let tmp: ReturnType<typeof tempDir>;
  let emulator: LambdaEmulator;
  let edge: Edge;
  let lambda: LambdaClient;
  const output: string[] = [];
  const logs: Array<Record<string, unknown>> = [];
  let n = 0;
  const file = (name: string) => path.join(tmp.dir, `${name}-${++n}`);

  const invoke = (FunctionName: string, event: unknown, extra: Partial<InvokeCommandInput> = {}) =>
    lambda.send(new InvokeCommand({ FunctionName, Payload: Buffer.from(JSON.stringify(event)), ...extra }));

  beforeAll(async () => {
    tmp = tempDir('slipway-lambda-');
    emulator = new LambdaEmulator({
      functions: FUNCTIONS,
      env: { SHARED_VAR: 'from-shared' },
      logger: createLogger('lambda-emulator-test', { level: 'warn', write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
      asyncRetryDelayMs: 50,
      output: (line) => output.push(line),
    });
    edge = await startEdge({ port: 0, services: [(req, res) => emulator.handle(req, res)] });
    lambda = new LambdaClient({ endpoint: edge.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  });

  afterAll(async () => {
    lambda?.destroy();
    await edge?.close();
    await emulator?.close();
    tmp?.cleanup();
  });

  it('returns the handler result of a RequestResponse invocation', async () => {
    const event = { hello: 'world', n: [1, 2, 3], nested: { ok: true } };
    const out = await invoke('echo', event);
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBeUndefined();
    expect(out.ExecutedVersion).toBe('$LATEST');
    expect(json(out)).toEqual(event);
  });

  it('gives the handler a Lambda context, the Lambda environment variables and a deadline that counts down', async () => {
    const arn = 'arn:aws:lambda:us-east-1:000000000000:function:context:live';
    const out = await invoke(arn, { gapMs: 60 });
    expect(out.FunctionError).toBeUndefined();
    const body = json(out) as {
      pid: number;
      remaining: [number, number];
      awsRequestId: string;
      functionName: string;
      functionVersion: string;
      invokedFunctionArn: string;
      memoryLimitInMB: string;
      callbackWaitsForEmptyEventLoop: boolean;
      env: Record<string, string>;
    };
    expect(body).toMatchObject({
      functionName: 'context',
      functionVersion: '$LATEST',
      invokedFunctionArn: arn,
      memoryLimitInMB: '256',
      callbackWaitsForEmptyEventLoop: true,
      awsRequestId: out.$metadata.requestId,
    });
    expect(body.env).toEqual({
      AWS_LAMBDA_FUNCTION_NAME: 'context',
      AWS_LAMBDA_FUNCTION_TIMEOUT: '7',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      AWS_REGION: 'us-east-1',
      SHARED_VAR: 'from-shared',
      FUNCTION_VAR: 'from-function',
    });
    const [first, second] = body.remaining;
    expect(first).toBeGreaterThan(0);
    expect(first).toBeLessThanOrEqual(7_000);
    expect(second).toBeLessThanOrEqual(first - 50);
    // The child's stdout reaches the emulator's output, one line as written.
    await waitFor(() => output.includes(`context handler ran in ${body.pid}`), { what: 'the handler log line' });
  });

  it('returns the tail of the invocation log when asked with LogType Tail', async () => {
    const out = await invoke('context', {}, { LogType: 'Tail' });
    const { pid } = json(out) as { pid: number };
    const log = Buffer.from(out.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toContain(`START RequestId: ${out.$metadata.requestId} Version: $LATEST`);
    expect(log).toContain(`context handler ran in ${pid}`);
    expect(log).toMatch(/REPORT RequestId: \S+\tDuration: [\d.]+ ms/);
  });

  it('runs callback-style handlers', async () => {
    const out = await invoke('callback', {});
    expect(out.FunctionError).toBeUndefined();
    expect(json(out)).toMatchObject({ functionName: 'callback' });
  });

  it('reuses a warm environment for consecutive invocations', async () => {
    const first = json(await invoke('context', { gapMs: 1 })) as { pid: number };
    const second = json(await invoke('context', { gapMs: 1 })) as { pid: number };
    expect(second.pid).toBe(first.pid);
    expect(emulator.environments()).toContainEqual({ functionName: 'context', pid: first.pid, busy: false });
  });

  it('never gives a busy environment a second invocation: concurrent invocations run in separate processes', async () => {
    // Each invocation waits until both have started: one process could never finish both.
    const dir = file('barrier');
    fs.mkdirSync(dir);
    const outs = await Promise.all([invoke('barrier', { dir, count: 2 }), invoke('barrier', { dir, count: 2 })]);
    const pids = outs.map((o) => json(o) as number);
    expect(outs.map((o) => o.FunctionError)).toEqual([undefined, undefined]);
    expect(new Set(pids).size).toBe(2);
    for (const pid of pids) expect(emulator.environments()).toContainEqual({ functionName: 'barrier', pid, busy: false });
  });

  it('reports a thrown error as an Unhandled function error with errorType, errorMessage and trace', async () => {
    const out = await invoke('fail', { message: 'stock went negative' });
    expect(out.StatusCode).toBe(200);
    expect(out.FunctionError).toBe('Unhandled');
    const body = json(out) as { errorType: string; errorMessage: string; trace: string[] };
    expect(body.errorType).toBe('InventoryError');
    expect(body.errorMessage).toBe('stock went negative');
    expect(body.trace[0]).toBe('InventoryError: stock went negative');
  });

  it('fails the invocation and discards the environment on an uncaught exception', async () => {
    const marker = file('uncaught');
    const out = await invoke('uncaught', { message: 'timer blew up', marker });
    expect(out.FunctionError).toBe('Unhandled');
    expect(json(out)).toMatchObject({ errorType: 'Error', errorMessage: 'timer blew up' });
    const pid = await markedPid(marker);
    await waitFor(() => !isAlive(pid), { what: `environment ${pid} to end` });
    expect(emulator.environments().filter((e) => e.functionName === 'uncaught')).toEqual([]);
  });

  it('kills the environment at the deadline and reports the timeout', async () => {
    const marker = file('sleepy');
    const started = Date.now();
    const out = await invoke('sleepy', { marker });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    expect(out.FunctionError).toBe('Unhandled');
    const body = json(out) as { errorType: string; errorMessage: string };
    expect(body.errorType).toBe('Sandbox.Timedout');
    expect(body.errorMessage).toBe(`RequestId: ${out.$metadata.requestId} Error: Task timed out after 1.00 seconds`);
    const pid = await markedPid(marker);
    expect(isAlive(pid)).toBe(false);
    expect(emulator.environments().filter((e) => e.functionName === 'sleepy')).toEqual([]);
  });

  it('answers an environment killed with kill -9 mid-invocation with Runtime.ExitError, and starts a fresh one next', async () => {
    const marker = file('block');
    const pending = invoke('block', { marker });
    const pid = await markedPid(marker);
    process.kill(pid, 'SIGKILL');
    const out = await pending;
    expect(out.FunctionError).toBe('Unhandled');
    expect(json(out)).toEqual({ errorType: 'Runtime.ExitError', errorMessage: `RequestId: ${out.$metadata.requestId} Error: Runtime exited with error: signal: killed` });

    const release = file('release');
    fs.writeFileSync(release, '');
    const next = await invoke('block', { marker: file('block'), release });
    expect(next.FunctionError).toBeUndefined();
    const nextPid = json(next) as number;
    expect(nextPid).not.toBe(pid);
    expect(isAlive(nextPid)).toBe(true);
  });

  it('throttles a RequestResponse invocation beyond reservedConcurrency with TooManyRequestsException', async () => {
    const marker = file('single');
    const release = file('release');
    const first = invoke('single', { marker, release });
    await markedPid(marker);
    const noRetry = new LambdaClient({ endpoint: edge.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' }, maxAttempts: 1 });
    try {
      const err = await noRetry.send(new InvokeCommand({ FunctionName: 'single', Payload: Buffer.from('{}') })).catch((e: unknown) => e);
      expect(err).toMatchObject({ name: 'TooManyRequestsException', $metadata: { httpStatusCode: 429 } });
    } finally {
      noRetry.destroy();
      fs.writeFileSync(release, '');
    }
    expect((await first).FunctionError).toBeUndefined();
  });

  it('answers an Event invocation with 202 before the handler finishes, then runs it', async () => {
    const out = file('event.jsonl');
    const gate = file('gate');
    const res = await invoke('recorder', { file: out, gate }, { InvocationType: 'Event' });
    expect(res.StatusCode).toBe(202);
    expect(res.Payload?.length ?? 0).toBe(0);
    // The handler is still waiting on the gate: the 202 did not wait for it.
    expect(fs.existsSync(out)).toBe(false);
    fs.writeFileSync(gate, '');
    const recorded = await waitFor(() => (lines(out).length > 0 ? lines(out) : undefined), { what: 'the Event invocation to run' });
    expect(recorded).toEqual([{ requestId: res.$metadata.requestId, pid: expect.any(Number) }]);
  });

  /** The emulator's last word on an Event invocation: given up after `attempt` attempts. */
  const dropped = (requestId: string | undefined) =>
    waitFor(() => logs.find((l) => l.msg === 'async invocation failed; no retry left, event dropped' && l.requestId === requestId), { what: `event ${requestId} to be dropped` });

  it('retries a failed Event invocation twice by default, with the same request id', async () => {
    const out = file('retries.jsonl');
    const res = await invoke('recorder', { file: out, fail: true }, { InvocationType: 'Event' });
    expect(res.StatusCode).toBe(202);
    expect(await dropped(res.$metadata.requestId)).toMatchObject({ attempt: 3 });
    expect(lines(out).map((a) => a.requestId)).toEqual([res.$metadata.requestId, res.$metadata.requestId, res.$metadata.requestId]);
  });

  it('does not retry a failed Event invocation of a function with maxRetryAttempts 0', async () => {
    const out = file('no-retry.jsonl');
    const res = await invoke('recorder-no-retry', { file: out, fail: true }, { InvocationType: 'Event' });
    expect(await dropped(res.$metadata.requestId)).toMatchObject({ attempt: 1 });
    expect(lines(out)).toHaveLength(1);
  });

  it('reports a handler the module does not export as Runtime.HandlerNotFound', async () => {
    const out = await invoke('no-handler', {});
    expect(out.FunctionError).toBe('Unhandled');
    expect(json(out)).toEqual({ errorType: 'Runtime.HandlerNotFound', errorMessage: 'echo.nope is undefined or not exported' });
    expect(emulator.environments().filter((e) => e.functionName === 'no-handler')).toEqual([]);
  });

  it('answers a DryRun with 204 without running anything', async () => {
    const res = await invoke('echo', {}, { InvocationType: 'DryRun' });
    expect(res.StatusCode).toBe(204);
  });

  it('raises ResourceNotFoundException in the SDK for an unknown function', async () => {
    const err = await invoke('no-such-function', {}).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: 'ResourceNotFoundException',
      message: 'Function not found: arn:aws:lambda:us-east-1:000000000000:function:no-such-function',
      $metadata: { httpStatusCode: 404 },
    });
  });

  it('rejects a payload that is not JSON with InvalidRequestContentException', async () => {
    const err = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{not json') })).catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'InvalidRequestContentException', $metadata: { httpStatusCode: 400 } });
  });

  it('rejects payloads over the limits (6 MB sync, 1 MB Event) with RequestEntityTooLargeException', async () => {
    const big = (bytes: number) => Buffer.from(JSON.stringify('x'.repeat(bytes)));
    const sync = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: big(6 * 1024 * 1024) })).catch((e: unknown) => e);
    expect(sync).toMatchObject({ name: 'RequestEntityTooLargeException', $metadata: { httpStatusCode: 413 } });
    const event = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: big(1024 * 1024), InvocationType: 'Event' })).catch((e: unknown) => e);
    expect(event).toMatchObject({ name: 'RequestEntityTooLargeException', $metadata: { httpStatusCode: 413 } });
    // Just under the Event limit is accepted.
    const ok = await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: big(1024 * 1024 - 16), InvocationType: 'Event' }));
    expect(ok.StatusCode).toBe(202);
  });
});

describe('Lambda emulator lifecycle', () => {
  const functions: FunctionDef[] = [
    { name: 'echo', module: `${FIXTURES}/echo.ts`, handler: 'handler', timeoutMs: 10_000 },
    { name: 'block', module: `${FIXTURES}/block.ts`, handler: 'block', timeoutMs: 60_000 },
  ];

  it('reaps an environment idle longer than idleTimeoutMs', async () => {
    let now = 1_000_000;
    const emulator = new LambdaEmulator({ functions, logger, idleTimeoutMs: 60_000, clock: () => now });
    try {
      await emulator.invoke('echo', Buffer.from('{}'), 'RequestResponse');
      const [env] = emulator.environments();
      expect(env).toMatchObject({ functionName: 'echo', busy: false });
      now += 59_000;
      await emulator.invoke('echo', Buffer.from('{}'), 'RequestResponse');
      expect(emulator.environments()).toEqual([env]);
      now += 61_000;
      await waitFor(() => emulator.environments().length === 0, { what: 'the idle environment to be reaped' });
      await waitFor(() => !isAlive(env!.pid), { what: `pid ${env!.pid} to end` });
    } finally {
      await emulator.close();
    }
  });

  it('close() leaves no execution environment alive, idle or busy', async () => {
    const tmp = tempDir('slipway-lambda-close-');
    const emulator = new LambdaEmulator({ functions, logger });
    try {
      await emulator.invoke('echo', Buffer.from('{}'), 'RequestResponse');
      const marker = path.join(tmp.dir, 'marker');
      const inFlight = emulator.invoke('block', Buffer.from(JSON.stringify({ marker })), 'RequestResponse');
      const busyPid = await markedPid(marker);
      const pids = emulator.environments().map((e) => e.pid);
      expect(pids).toHaveLength(2);
      expect(pids).toContain(busyPid);

      await emulator.close();

      for (const pid of pids) expect(isAlive(pid), `pid ${pid}`).toBe(false);
      expect(emulator.environments()).toEqual([]);
      const result = await inFlight;
      expect(result.functionError).toBe('Unhandled');
      expect(JSON.parse(result.payload.toString('utf8'))).toMatchObject({ errorType: 'Runtime.ExitError' });
    } finally {
      await emulator.close();
      tmp.cleanup();
    }
  });

  it('environments end when the process hosting the emulator is killed with kill -9', async () => {
    const tmp = tempDir('slipway-lambda-host-');
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const host = spawn(process.execPath, ['--import', tsx, `${FIXTURES}/host.ts`, path.join(tmp.dir, 'marker')], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: host.stdout! }).once('line', resolve);
        host.once('exit', (code) => reject(new Error(`host exited early with ${code}`)));
      });
      const pids = JSON.parse(firstLine) as number[];
      expect(pids).toHaveLength(2);
      for (const pid of pids) expect(isAlive(pid)).toBe(true);

      process.kill(host.pid!, 'SIGKILL');

      for (const pid of pids) await waitFor(() => !isAlive(pid), { what: `orphaned environment ${pid} to end`, timeoutMs: 10_000 });
    } finally {
      host.kill('SIGKILL');
      tmp.cleanup();
    }
  });

  it('refuses a definition whose module does not exist, at start-up', () => {
    expect(() => new LambdaEmulator({ functions: [{ name: 'ghost', module: `${FIXTURES}/missing.ts`, handler: 'handler', timeoutMs: 1_000 }], logger })).toThrow(
      /function "ghost": module not found/,
    );
  });
});
