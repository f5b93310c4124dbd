// The Lambda emulator of `slipway dev`: the project's handlers run in child
// processes that behave like Lambda execution environments, reached through
// the real Invoke API so @aws-sdk/client-lambda takes the path it takes in AWS.
//
// Invariants, as in Lambda:
// - an environment serves one invocation at a time; a warm idle one of the
//   same function is reused (the most recently used first), otherwise a new
//   one starts, up to reservedConcurrency (beyond: 429 for RequestResponse,
//   a wait in the queue for Event);
// - the deadline is the function timeout, counted from the start of the
//   invocation (init is not counted, as for on-demand functions); past it the
//   environment is killed with SIGKILL and the caller gets Sandbox.Timedout;
// - an environment that dies mid-invocation (kill -9, crash) fails that
//   invocation with Runtime.ExitError and is never reused;
// - Event invocations answer 202 at once and run in the background, retried
//   on a function error up to maxRetryAttempts times (Lambda: 2) after a delay;
// - idle environments are reaped after idleTimeoutMs; close() kills them all.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../logging.js';
import { FunctionAliases } from './aliases.js';
import { ExecutionEnvironment, exitError, type Outcome } from './environment.js';
import { LambdaApiError } from './errors.js';
import { EventSourceMappings } from './event-source-mappings.js';
import { matchInvokePath, readBody, sendApiError, sendInvokeResult } from './http.js';
import type { FunctionErrorBody } from './protocol.js';

export interface FunctionDef {
  name: string;
  /** Module path: absolute, or relative to the repository root (.ts or .js). */
  module: string;
  /** Exported handler name. */
  handler: string;
  timeoutMs: number;
  /** Reported to the handler (context, env); also caps the V8 heap (--max-old-space-size) when set. */
  memoryMb?: number;
  env?: Record<string, string>;
  /** Retries of a failed async (Event) invocation, like EventInvokeConfig MaximumRetryAttempts (0-2); default 2 as Lambda. */
  maxRetryAttempts?: number;
  /** At most this many environments at once; undefined = unlimited. */
  reservedConcurrency?: number;
}

export type InvocationType = 'RequestResponse' | 'Event' | 'DryRun';

export interface InvokeResult {
  statusCode: number;
  payload: Buffer;
  functionError?: 'Unhandled' | 'Handled';
  /** Base64 of the last 4 KB of the invocation's log, when asked for with logType 'Tail'. */
  logResult?: string;
  executedVersion: string;
  requestId: string;
}

export interface InvokeOptions {
  /** Version or alias the caller named; every qualifier runs $LATEST here. */
  qualifier?: string;
  logType?: 'None' | 'Tail';
  /** X-Amz-Client-Context: base64 of a JSON object, given to the handler as context.clientContext. */
  clientContext?: string;
  /** The payload is JSON this process wrote itself (an event source mapping's batch): not parsed again to check it. */
  trustedJson?: boolean;
}

export interface LambdaEmulatorOptions {
  functions: FunctionDef[];
  /** Shared env for every function, e.g. AWS_ENDPOINT_URL. */
  env?: Record<string, string>;
  logger: Logger;
  /** Warm environments idle this long are reaped; default 5 minutes. */
  idleTimeoutMs?: number;
  /** Time for idle bookkeeping (tests pass a fake one); deadlines use the wall clock, as the child does. */
  clock?: () => number;
  /** AWS_REGION of the functions and the region in ARNs; default AWS_REGION or us-east-1. */
  region?: string;
  /** Where relative module paths start; default the repository root. */
  baseDir?: string;
  /** First delay before retrying a failed Event invocation, doubled each retry (Lambda: 1 min, 2 min); default 1 s. */
  asyncRetryDelayMs?: number;
  /** How long loading a handler module may take; default 30 s. */
  initTimeoutMs?: number;
  /** Where the environments' stdout/stderr lines go; default: as-is to this process's stderr. */
  output?: (line: string) => void;
  /** Where aliases and event source mappings persist (aliases.json, event-source-mappings.json); none: in memory. */
  stateDir?: string;
  /** Backoff between retries of a batch an event source mapping failed to deliver; default 500 ms doubling to 10 s. */
  batchRetryBackoff?: { initialMs: number; maxMs: number };
  /** The embedded broker's bootstrap (`slipway dev`): persisted mappings that named its old address follow it to a new port. */
  embeddedBootstrap?: string;
}

/** Payload limits of the Invoke API. */
export const INVOKE_LIMITS = {
  requestResponseBytes: 6 * 1024 * 1024,
  eventBytes: 1024 * 1024,
  responseBytes: 6 * 1024 * 1024,
} as const;

/** The account in every ARN (LocalStack's). */
const ACCOUNT_ID = '000000000000';
const LATEST = '$LATEST';
const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;

interface ResolvedFunction extends FunctionDef {
  modulePath: string;
  /** As reported to the handler: memoryMb, or Lambda's default 128. */
  memoryMb: number;
  /** The V8 heap cap: only when memoryMb was given. */
  heapLimitMb?: number;
  arn: string;
}

export class LambdaEmulator {
  private readonly functions = new Map<string, ResolvedFunction>();
  private readonly pools = new Map<string, ExecutionEnvironment[]>();
  private readonly waiters = new Map<string, Array<() => void>>();
  private readonly backgroundTasks = new Set<Promise<void>>();
  private readonly retryTimers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>();
  private readonly logger: Logger;
  private readonly clock: () => number;
  private readonly region: string;
  private readonly idleTimeoutMs: number;
  private readonly reaper: NodeJS.Timeout;
  private readonly aliases: FunctionAliases;
  private readonly mappings: EventSourceMappings;
  private closed = false;

  constructor(private readonly opts: LambdaEmulatorOptions) {
    this.logger = opts.logger.child({ component: 'lambda-emulator' });
    this.clock = opts.clock ?? Date.now;
    this.region = opts.region ?? opts.env?.AWS_REGION ?? process.env.AWS_REGION ?? 'us-east-1';
    this.idleTimeoutMs = opts.idleTimeoutMs ?? 5 * 60_000;
    const baseDir = opts.baseDir ?? REPO_ROOT;
    for (const def of opts.functions) {
      const fn = this.validate(def, baseDir);
      this.functions.set(fn.name, fn);
      this.pools.set(fn.name, []);
      this.waiters.set(fn.name, []);
    }
    this.reaper = setInterval(() => this.reapIdle(), Math.min(1_000, Math.max(25, this.idleTimeoutMs / 4)));
    this.reaper.unref();
    const state = (file: string) => (opts.stateDir ? path.join(opts.stateDir, file) : undefined);
    this.aliases = new FunctionAliases(
      { functionArn: (name) => this.functions.get(name)?.arn, functionNameOf: (raw) => parseFunctionName(raw).name },
      this.logger,
      state('aliases.json'),
    );
    // Last: persisted mappings start their pollers, which invoke functions.
    this.mappings = new EventSourceMappings({
      host: {
        resolveFunction: (raw) => this.resolveQualified(raw),
        invoke: (name, payload, qualifier) => this.invoke(name, payload, 'RequestResponse', { qualifier, trustedJson: true }),
        region: this.region,
        accountId: ACCOUNT_ID,
      },
      logger: this.logger,
      stateFile: state('event-source-mappings.json'),
      retryBackoff: opts.batchRetryBackoff,
      embeddedBootstrap: opts.embeddedBootstrap,
    });
  }

  /**
   * Invokes a function as the Invoke API does. API errors (unknown function,
   * payload too large or not JSON, throttled) throw LambdaApiError; function
   * errors are results with functionError set.
   */
  /** A string payload is JSON text this process made (an event source mapping's batch): no copy into a Buffer and back. */
  async invoke(functionName: string, payload: Buffer | string, invocationType: InvocationType, options: InvokeOptions = {}): Promise<InvokeResult> {
    if (this.closed) throw new LambdaApiError('ServiceException', 'the Lambda emulator is closed');
    const { fn, qualifier } = this.lookup(functionName, options.qualifier);
    const limit = invocationType === 'Event' ? INVOKE_LIMITS.eventBytes : INVOKE_LIMITS.requestResponseBytes;
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
    if (bytes > limit) {
      throw new LambdaApiError('RequestEntityTooLargeException', `Request must be smaller than ${limit} bytes for the InvokeFunction operation`);
    }
    const event = bytes === 0 ? '{}' : typeof payload === 'string' ? payload : payload.toString('utf8');
    try {
      if (!options.trustedJson) JSON.parse(event);
    } catch (err) {
      throw new LambdaApiError('InvalidRequestContentException', `Could not parse request body into json: ${(err as Error).message}`);
    }
    const clientContext = options.clientContext ? decodeClientContext(options.clientContext) : undefined;
    const requestId = crypto.randomUUID();
    const invocation: Invocation = {
      requestId,
      event,
      invokedFunctionArn: qualifier ? `${fn.arn}:${qualifier}` : fn.arn,
      clientContext,
      tail: options.logType === 'Tail',
    };
    switch (invocationType) {
      case 'DryRun':
        return { statusCode: 204, payload: Buffer.alloc(0), executedVersion: LATEST, requestId };
      case 'Event':
        this.track(this.runAsync(fn, invocation));
        return { statusCode: 202, payload: Buffer.alloc(0), executedVersion: LATEST, requestId };
      case 'RequestResponse':
        return this.run(fn, await this.acquire(fn, false), invocation);
      default:
        throw new LambdaApiError('InvalidParameterValueException', `Unsupported invocation type: ${String(invocationType)}`);
    }
  }

  /**
   * Routes Lambda API requests (POST /2015-03-31/functions/{name}/invocations,
   * the name plain, with :qualifier, or as an ARN; the alias operations,
   * aliases.ts; the event-source-mapping operations, event-source-mappings.ts).
   * Returns false for any other request, so an edge server can offer it to
   * other services.
   */
  handle(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    const route = matchInvokePath(req);
    if (!route) return this.aliases.handle(req, res) || this.mappings.handle(req, res);
    void this.serveInvoke(req, res, route.functionName, route.qualifier);
    return true;
  }

  /**
   * A FunctionName as an event source mapping names it, checked as Lambda does:
   * the function exists, and its qualifier is $LATEST or an existing alias.
   * (Invoke itself runs any qualifier as $LATEST.)
   */
  resolveQualified(raw: string): { name: string; qualifier?: string; arn: string } {
    const { fn, qualifier } = this.lookup(raw, undefined);
    if (qualifier !== undefined && qualifier !== LATEST && !this.aliases.has(fn.name, qualifier)) {
      throw new LambdaApiError('ResourceNotFoundException', `Function not found: ${fn.arn}:${qualifier}`);
    }
    return { name: fn.name, ...(qualifier === undefined ? {} : { qualifier }), arn: qualifier === undefined ? fn.arn : `${fn.arn}:${qualifier}` };
  }

  /** Pids of live execution environments per function (tests and chaos tools use them). */
  environments(): { functionName: string; pid: number; busy: boolean }[] {
    return [...this.pools.values()].flat().filter((e) => e.isAlive).map((e) => ({ functionName: e.functionName, pid: e.pid, busy: e.busy }));
  }

  /** Kills every environment and drops queued Event invocations; resolves when no child is left. */
  async close(): Promise<void> {
    if (this.closed) return;
    // The pollers stop with the environments: a batch under way fails and is not committed.
    const pollersStopped = this.mappings.close();
    this.closed = true;
    clearInterval(this.reaper);
    for (const r of this.retryTimers) {
      clearTimeout(r.timer);
      r.wake();
    }
    for (const list of this.waiters.values()) list.splice(0).forEach((wake) => wake());
    const envs = [...this.pools.values()].flat();
    for (const env of envs) env.kill();
    await Promise.all(envs.map((e) => e.exited));
    await Promise.all([...this.backgroundTasks]);
    await pollersStopped;
  }

  private async serveInvoke(req: http.IncomingMessage, res: http.ServerResponse, functionName: string, qualifier: string | undefined): Promise<void> {
    try {
      const type = header(req, 'x-amz-invocation-type') ?? 'RequestResponse';
      if (type !== 'RequestResponse' && type !== 'Event' && type !== 'DryRun') {
        throw new LambdaApiError('InvalidParameterValueException', `Unsupported invocation type: ${type}`);
      }
      const logType = header(req, 'x-amz-log-type') === 'Tail' ? 'Tail' : 'None';
      const body = await readBody(req, INVOKE_LIMITS.requestResponseBytes + 1);
      const result = await this.invoke(functionName, body, type, { qualifier, logType, clientContext: header(req, 'x-amz-client-context') });
      sendInvokeResult(res, result);
    } catch (err) {
      if (!(err instanceof LambdaApiError)) this.logger.error('invoke request failed', { functionName, err });
      sendApiError(res, err instanceof LambdaApiError ? err : new LambdaApiError('ServiceException', String(err)));
    }
  }

  private lookup(functionName: string, qualifierParam: string | undefined): { fn: ResolvedFunction; qualifier?: string } {
    const parsed = parseFunctionName(functionName);
    const qualifier = qualifierParam ?? parsed.qualifier;
    const fn = parsed.name === undefined ? undefined : this.functions.get(parsed.name);
    if (!fn) {
      const arn = `arn:aws:lambda:${this.region}:${ACCOUNT_ID}:function:${parsed.name ?? functionName}${qualifier ? `:${qualifier}` : ''}`;
      throw new LambdaApiError('ResourceNotFoundException', `Function not found: ${arn}`);
    }
    return { fn, qualifier };
  }

  /** An idle warm environment, else a new one within reservedConcurrency, else a throttle (or a wait, for Event). */
  private async acquire(fn: ResolvedFunction, wait: boolean): Promise<ExecutionEnvironment> {
    for (;;) {
      if (this.closed) throw new LambdaApiError('ServiceException', 'the Lambda emulator is closed');
      const pool = this.pools.get(fn.name)!;
      const idle = pool.filter((e) => !e.busy && e.isAlive).sort((a, b) => b.idleSince - a.idleSince)[0];
      if (idle) {
        idle.busy = true;
        return idle;
      }
      if (fn.reservedConcurrency === undefined || pool.length < fn.reservedConcurrency) return this.spawn(fn);
      if (!wait) {
        throw new LambdaApiError('TooManyRequestsException', 'Rate Exceeded.', { Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' });
      }
      await new Promise<void>((resolve) => this.waiters.get(fn.name)!.push(resolve));
    }
  }

  private spawn(fn: ResolvedFunction): ExecutionEnvironment {
    const env = new ExecutionEnvironment({
      functionName: fn.name,
      module: fn.modulePath,
      handler: fn.handler,
      env: this.childEnv(fn),
      cwd: process.cwd(),
      memoryMb: fn.heapLimitMb,
      initTimeoutMs: this.opts.initTimeoutMs ?? 30_000,
      output: this.opts.output ?? ((line) => process.stderr.write(line + '\n')),
    });
    this.pools.get(fn.name)!.push(env);
    this.logger.debug('execution environment started', { functionName: fn.name, pid: env.pid });
    void env.exited.then(({ code, signal }) => {
      this.logger.debug('execution environment ended', { functionName: fn.name, pid: env.pid, code, signal });
      this.discard(env);
    });
    return env;
  }

  /** Runs one invocation in an environment that acquire() gave it, and returns or discards the environment. */
  private async run(fn: ResolvedFunction, env: ExecutionEnvironment, inv: Invocation): Promise<InvokeResult> {
    const started = performance.now();
    const outcome = await env.invoke(
      { requestId: inv.requestId, payload: inv.event, invokedFunctionArn: inv.invokedFunctionArn, clientContext: inv.clientContext, captureLog: inv.tail },
      fn.timeoutMs,
    );
    const durationMs = performance.now() - started;
    const reusable = outcome.type === 'result' && (outcome.ok || !outcome.fatal) && env.isAlive;
    if (reusable) {
      env.busy = false;
      env.idleSince = this.clock();
      this.wake(fn.name);
    } else {
      env.kill();
      this.discard(env);
    }
    const { payload, error, log } = this.shape(fn, inv, outcome);
    if (error) this.logger.debug('function error', { functionName: fn.name, requestId: inv.requestId, errorType: error.errorType });
    const result: InvokeResult = {
      statusCode: 200,
      payload: error ? Buffer.from(JSON.stringify(error)) : payload,
      executedVersion: LATEST,
      requestId: inv.requestId,
    };
    if (error) result.functionError = 'Unhandled';
    if (inv.tail) {
      const maxRss = outcome.type === 'result' ? outcome.maxRssBytes : 0;
      result.logResult = logTail(inv.requestId, log, durationMs, fn.memoryMb, maxRss);
    }
    return result;
  }

  /** The payload or the function error Lambda reports for an outcome. */
  private shape(fn: ResolvedFunction, inv: Invocation, outcome: Outcome): { payload: Buffer; error?: FunctionErrorBody; log: string } {
    const empty = Buffer.alloc(0);
    switch (outcome.type) {
      case 'result': {
        const log = outcome.log ?? '';
        if (!outcome.ok) return { payload: empty, error: outcome.error, log };
        const payload = Buffer.from(outcome.payload);
        if (payload.length > INVOKE_LIMITS.responseBytes) {
          const error = {
            errorType: 'Function.ResponseSizeTooLarge',
            errorMessage: `Response payload size exceeded maximum allowed payload size (${INVOKE_LIMITS.responseBytes} bytes).`,
          };
          return { payload: empty, error, log };
        }
        return { payload, log };
      }
      case 'init-error':
        return { payload: empty, error: outcome.error, log: '' };
      case 'timeout': {
        const message = `Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`;
        this.logger.warn('function timed out', { functionName: fn.name, requestId: inv.requestId, timeoutMs: fn.timeoutMs });
        const error = { errorType: 'Sandbox.Timedout', errorMessage: `RequestId: ${inv.requestId} Error: ${message}` };
        return { payload: empty, error, log: `${new Date().toISOString()} ${inv.requestId} ${message}\n` };
      }
      case 'exit': {
        const exit = exitError(outcome.code, outcome.signal);
        if (!this.closed) {
          this.logger.warn('execution environment died during an invocation', { functionName: fn.name, requestId: inv.requestId, reason: exit.errorMessage });
        }
        return { payload: empty, error: { ...exit, errorMessage: `RequestId: ${inv.requestId} Error: ${exit.errorMessage}` }, log: '' };
      }
    }
  }

  /** An Event invocation: waits for capacity (never throttled away), retries function errors after a delay. */
  private async runAsync(fn: ResolvedFunction, inv: Invocation): Promise<void> {
    const attempts = 1 + (fn.maxRetryAttempts ?? 2);
    let delayMs = this.opts.asyncRetryDelayMs ?? 1_000;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      let env: ExecutionEnvironment;
      try {
        env = await this.acquire(fn, true);
      } catch {
        return; // closed
      }
      const result = await this.run(fn, env, inv);
      if (!result.functionError) return;
      if (this.closed) return;
      const error = result.payload.toString('utf8');
      if (attempt === attempts) {
        this.logger.warn('async invocation failed; no retry left, event dropped', { functionName: fn.name, requestId: inv.requestId, attempt, error });
        return;
      }
      this.logger.info('async invocation failed; retrying', { functionName: fn.name, requestId: inv.requestId, attempt, delayMs, error });
      await this.sleep(delayMs);
      delayMs *= 2;
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        wake: () => {
          this.retryTimers.delete(entry);
          resolve();
        },
        timer: setTimeout(() => entry.wake(), ms),
      };
      this.retryTimers.add(entry);
    });
  }

  private track(task: Promise<void>): void {
    const tracked = task.catch((err: unknown) => this.logger.error('async invocation crashed', { err }));
    this.backgroundTasks.add(tracked);
    void tracked.finally(() => this.backgroundTasks.delete(tracked));
  }

  private wake(functionName: string): void {
    this.waiters.get(functionName)?.shift()?.();
  }

  private discard(env: ExecutionEnvironment): void {
    const pool = this.pools.get(env.functionName);
    const i = pool?.indexOf(env) ?? -1;
    if (i < 0) return;
    pool!.splice(i, 1);
    this.wake(env.functionName);
  }

  private reapIdle(): void {
    const now = this.clock();
    for (const env of [...this.pools.values()].flat()) {
      if (!env.busy && now - env.idleSince >= this.idleTimeoutMs) {
        this.logger.debug('reaping idle execution environment', { functionName: env.functionName, pid: env.pid });
        env.kill();
        this.discard(env);
      }
    }
  }

  /** The child's environment: this process's, then the shared env, the function's, and Lambda's reserved variables. */
  private childEnv(fn: ResolvedFunction): Record<string, string> {
    const inherited = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    return {
      ...inherited,
      ...this.opts.env,
      ...fn.env,
      AWS_REGION: this.region,
      AWS_DEFAULT_REGION: this.region,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: LATEST,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(fn.memoryMb),
      AWS_LAMBDA_FUNCTION_TIMEOUT: String(Math.ceil(fn.timeoutMs / 1000)),
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${crypto.randomBytes(16).toString('hex')}`,
      LAMBDA_TASK_ROOT: path.dirname(fn.modulePath),
      _HANDLER: `${path.basename(fn.modulePath).replace(/\.[cm]?[jt]s$/, '')}.${fn.handler}`,
    };
  }

  /** Start-up checks: a bad definition throws here, not at the first invocation. */
  private validate(def: FunctionDef, baseDir: string): ResolvedFunction {
    const where = `function ${JSON.stringify(def.name)}`;
    if (!FUNCTION_NAME.test(def.name)) throw new Error(`${where}: name must be 1-64 letters, digits, '-' or '_'`);
    if (this.functions.has(def.name)) throw new Error(`${where}: defined twice`);
    const modulePath = path.resolve(baseDir, def.module);
    if (!fs.existsSync(modulePath)) throw new Error(`${where}: module not found: ${modulePath}`);
    if (!def.handler) throw new Error(`${where}: handler is empty`);
    if (!Number.isFinite(def.timeoutMs) || def.timeoutMs <= 0 || def.timeoutMs > 900_000) {
      throw new Error(`${where}: timeoutMs must be in (0, 900000], got ${def.timeoutMs}`);
    }
    if (def.memoryMb !== undefined && !(Number.isInteger(def.memoryMb) && def.memoryMb >= 128 && def.memoryMb <= 10_240)) {
      throw new Error(`${where}: memoryMb must be an integer in [128, 10240], got ${def.memoryMb}`);
    }
    if (def.maxRetryAttempts !== undefined && ![0, 1, 2].includes(def.maxRetryAttempts)) {
      throw new Error(`${where}: maxRetryAttempts must be 0, 1 or 2, got ${def.maxRetryAttempts}`);
    }
    if (def.reservedConcurrency !== undefined && !(Number.isInteger(def.reservedConcurrency) && def.reservedConcurrency >= 0)) {
      throw new Error(`${where}: reservedConcurrency must be a non-negative integer, got ${def.reservedConcurrency}`);
    }
    return {
      ...def,
      modulePath,
      memoryMb: def.memoryMb ?? 128,
      heapLimitMb: def.memoryMb,
      arn: `arn:aws:lambda:${this.region}:${ACCOUNT_ID}:function:${def.name}`,
    };
  }
}

interface Invocation {
  requestId: string;
  /** The event as JSON text (validated). */
  event: string;
  invokedFunctionArn: string;
  clientContext?: unknown;
  tail: boolean;
}

/**
 * A FunctionName as the Invoke API accepts it: `name`, `name:qualifier`,
 * `123456789012:function:name[:qualifier]` or
 * `arn:aws:lambda:region:123456789012:function:name[:qualifier]`.
 */
export function parseFunctionName(raw: string): { name?: string; qualifier?: string } {
  const m =
    /^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:\d{12}:function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9_$-]+))?$/.exec(raw) ??
    /^\d{12}:function:([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9_$-]+))?$/.exec(raw) ??
    /^([a-zA-Z0-9_-]+)(?::([a-zA-Z0-9_$-]+))?$/.exec(raw);
  return m ? { name: m[1], qualifier: m[2] } : {};
}

function decodeClientContext(b64: string): unknown {
  try {
    const value: unknown = JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
    if (typeof value === 'object' && value !== null) return value;
  } catch {
    // answered below
  }
  throw new LambdaApiError('InvalidRequestContentException', 'Client context must be a valid Base64-encoded JSON object.');
}

/** X-Amz-Log-Result: base64 of the last 4 KB of START … END, REPORT, as Lambda writes them. */
function logTail(requestId: string, log: string, durationMs: number, memoryMb: number, maxRssBytes: number): string {
  const text =
    `START RequestId: ${requestId} Version: ${LATEST}\n` +
    log +
    (log === '' || log.endsWith('\n') ? '' : '\n') +
    `END RequestId: ${requestId}\n` +
    `REPORT RequestId: ${requestId}\tDuration: ${durationMs.toFixed(2)} ms\tBilled Duration: ${Math.ceil(durationMs)} ms\t` +
    `Memory Size: ${memoryMb} MB\tMax Memory Used: ${Math.ceil(maxRssBytes / (1024 * 1024))} MB\t\n`;
  const bytes = Buffer.from(text, 'utf8');
  return bytes.subarray(Math.max(0, bytes.length - 4096)).toString('base64');
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
