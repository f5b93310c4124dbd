// The runtime of one execution environment: a child process forked by the
// Lambda emulator (environment.ts), like the Node.js runtime inside a Lambda
// sandbox. It loads the handler module once (init), then serves invocations
// one at a time over IPC for as long as the parent keeps it warm.
//
//   argv: <module path> <exported handler name>
//
// Handlers are called as Lambda's Node.js runtime calls them: `async (event,
// context)` returning the result, or `(event, context, callback)`. A thrown
// error or rejection becomes {errorType, errorMessage, trace}. An uncaught
// exception or unhandled rejection fails the current invocation and ends the
// process, as Lambda resets the sandbox after one.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { isInvokeMessage, type ChildMessage, type FunctionErrorBody, type InvokeMessage, type LambdaContext } from './protocol.js';

type Handler = (event: unknown, context: LambdaContext, callback: (err?: unknown, result?: unknown) => void) => unknown;

/** How many bytes of an invocation's output are kept for X-Amz-Log-Result (Lambda returns the last 4 KB). */
const LOG_TAIL_BYTES = 4096;

const [modulePath, handlerName] = process.argv.slice(2);

function send(msg: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.connected || !process.send) return resolve();
    process.send(msg, undefined, undefined, () => resolve());
  });
}

function errorBody(err: unknown, errorType?: string): FunctionErrorBody {
  if (err instanceof Error) {
    return { errorType: errorType ?? err.name, errorMessage: err.message, trace: (err.stack ?? '').split('\n') };
  }
  return { errorType: errorType ?? typeof err, errorMessage: String(err), trace: [] };
}

// The parent going away (even by SIGKILL) closes the IPC channel: a sandbox
// never outlives its emulator.
process.on('disconnect', () => process.exit(0));

/** Output capture for the current invocation (only when the caller asked for the log tail). */
let captured: string | null = null;
for (const stream of [process.stdout, process.stderr]) {
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (captured !== null) {
      captured += typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      if (captured.length > LOG_TAIL_BYTES * 2) captured = captured.slice(-LOG_TAIL_BYTES);
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

let current: InvokeMessage | null = null;
let maxRss = process.memoryUsage.rss();
function sampleRss(): number {
  maxRss = Math.max(maxRss, process.memoryUsage.rss());
  return maxRss;
}

async function fatal(error: FunctionErrorBody): Promise<never> {
  if (current) {
    const requestId = current.requestId;
    current = null;
    await send({ type: 'result', requestId, ok: false, error, fatal: true, log: takeLog(), maxRssBytes: sampleRss() });
  }
  process.exit(1);
}

process.on('uncaughtException', (err) => void fatal(errorBody(err)));
process.on('unhandledRejection', (reason) => {
  const message = reason instanceof Error ? `${reason.name}: ${reason.message}` : String(reason);
  void fatal({ ...errorBody(reason, 'Runtime.UnhandledPromiseRejection'), errorMessage: message });
});

function takeLog(): string | undefined {
  const log = captured ?? undefined;
  captured = null;
  return log;
}

function contextFor(msg: InvokeMessage): LambdaContext {
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME ?? '';
  return {
    awsRequestId: msg.requestId,
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: msg.invokedFunctionArn,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/aws/lambda/${functionName}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    callbackWaitsForEmptyEventLoop: true,
    clientContext: msg.clientContext,
    getRemainingTimeInMillis: () => Math.max(0, msg.deadlineMs - Date.now()),
  };
}

/** Runs the handler in either style: a returned promise/value, or the callback. */
function callHandler(handler: Handler, event: unknown, context: LambdaContext): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const callback = (err?: unknown, result?: unknown) => (err !== undefined && err !== null ? reject(err) : resolve(result));
    const returned = handler(event, context, callback);
    if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as PromiseLike<unknown>).then(resolve, reject);
    } else if (handler.length < 3) {
      resolve(returned);
    }
  });
}

async function invoke(handler: Handler, msg: InvokeMessage): Promise<void> {
  current = msg;
  captured = msg.captureLog ? '' : null;
  let outcome: { ok: true; payload: string } | { ok: false; error: FunctionErrorBody; fatal: false };
  try {
    const result = await callHandler(handler, JSON.parse(msg.payload), contextFor(msg));
    outcome = { ok: true, payload: JSON.stringify(result) ?? 'null' };
  } catch (err) {
    outcome = { ok: false, error: errorBody(err), fatal: false };
  }
  if (current !== msg) return; // a fatal error already answered this invocation
  current = null;
  await send({ type: 'result', requestId: msg.requestId, ...outcome, log: takeLog(), maxRssBytes: sampleRss() });
}

async function init(): Promise<void> {
  if (!modulePath || !handlerName) {
    await send({ type: 'init-error', error: { errorType: 'Runtime.HandlerNotFound', errorMessage: 'usage: runtime <module> <handler>' } });
    process.exit(1);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(path.resolve(modulePath)).href)) as Record<string, unknown>;
  } catch (err) {
    const notFound = (err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND';
    await send({ type: 'init-error', error: errorBody(err, notFound ? 'Runtime.ImportModuleError' : undefined) });
    process.exit(1);
  }
  // A CommonJS module imported from ESM exposes its exports as `default` too.
  const fromDefault = (mod.default as Record<string, unknown> | undefined)?.[handlerName];
  const handler = mod[handlerName] ?? fromDefault;
  if (typeof handler !== 'function') {
    const name = `${path.basename(modulePath).replace(/\.[cm]?[jt]s$/, '')}.${handlerName}`;
    await send({ type: 'init-error', error: { errorType: 'Runtime.HandlerNotFound', errorMessage: `${name} is undefined or not exported` } });
    process.exit(1);
  }
  process.on('message', (msg: unknown) => {
    if (isInvokeMessage(msg)) void invoke(handler as Handler, msg);
  });
  await send({ type: 'ready' });
}

void init();
