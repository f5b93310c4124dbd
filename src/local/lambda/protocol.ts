// The IPC protocol between the emulator (parent) and one execution environment
// (a child process running runtime.ts). Messages are plain objects over the fork
// channel (advanced serialization); payloads travel as strings because Lambda
// payloads are JSON.
//
//   child → parent  { type: 'ready' }                       handler module loaded (init done)
//   child → parent  { type: 'init-error', error }           loading failed; the child exits next
//   parent → child  { type: 'invoke', ... }                 one invocation; never a second before its result
//   child → parent  { type: 'result', requestId, ... }      ok → payload (JSON text), else error;
//                                                            fatal → the child exits right after

/** The body Lambda returns for a function error (X-Amz-Function-Error: Unhandled). */
export interface FunctionErrorBody {
  errorType: string;
  errorMessage: string;
  trace?: string[];
}

/** The context a handler receives, as Lambda's Node.js runtime builds it. */
export interface LambdaContext {
  awsRequestId: string;
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  /** A string, as in Lambda's Node.js runtime. */
  memoryLimitInMB: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  clientContext?: unknown;
  getRemainingTimeInMillis(): number;
}

export interface InvokeMessage {
  type: 'invoke';
  requestId: string;
  /** The event, as JSON text. */
  payload: string;
  /** Wall-clock epoch ms at which the invocation times out (getRemainingTimeInMillis counts down to it). */
  deadlineMs: number;
  invokedFunctionArn: string;
  /** Decoded X-Amz-Client-Context, if the caller sent one. */
  clientContext?: unknown;
  /** Capture the invocation's stdout/stderr for X-Amz-Log-Type: Tail. */
  captureLog: boolean;
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'init-error'; error: FunctionErrorBody }
  | {
      type: 'result';
      requestId: string;
      ok: true;
      payload: string;
      log?: string;
      maxRssBytes: number;
    }
  | {
      type: 'result';
      requestId: string;
      ok: false;
      error: FunctionErrorBody;
      /** The environment cannot be reused (uncaught exception, unhandled rejection). */
      fatal: boolean;
      log?: string;
      maxRssBytes: number;
    };

export type ResultMessage = Extract<ChildMessage, { type: 'result' }>;

export function isChildMessage(m: unknown): m is ChildMessage {
  return typeof m === 'object' && m !== null && typeof (m as { type?: unknown }).type === 'string';
}

export function isInvokeMessage(m: unknown): m is InvokeMessage {
  return typeof m === 'object' && m !== null && (m as { type?: unknown }).type === 'invoke';
}
