// One execution environment: a child process running runtime.ts for one
// function, like a Lambda sandbox. It is created busy (the invocation that
// needed it), inits once, serves one invocation at a time, and is discarded
// when it times out, crashes or is killed from outside.
import { fork, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isChildMessage, type ChildMessage, type FunctionErrorBody, type InvokeMessage, type ResultMessage } from './protocol.js';

/** How one invocation in an environment ended, seen from the parent. */
export type Outcome =
  | ResultMessage
  | { type: 'init-error'; error: FunctionErrorBody }
  | { type: 'timeout' }
  | { type: 'exit'; code: number | null; signal: NodeJS.Signals | null };

export interface EnvironmentOptions {
  functionName: string;
  /** Absolute path of the handler module. */
  module: string;
  handler: string;
  env: Record<string, string>;
  cwd: string;
  memoryMb?: number;
  /** How long init (loading the handler module) may take. */
  initTimeoutMs: number;
  /** Where the child's stdout/stderr lines go. */
  output: (line: string) => void;
}

// The runtime is a sibling of this file with the same extension: runtime.ts
// from source (through tsx), runtime.js if this file was compiled.
const RUNTIME_PATH = fileURLToPath(new URL(`./runtime${import.meta.url.slice(import.meta.url.lastIndexOf('.'))}`, import.meta.url));
// tsx's loader by absolute URL: `--import tsx` would be resolved from the
// child's cwd, which need not be this repository.
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export class ExecutionEnvironment {
  readonly functionName: string;
  readonly pid: number;
  busy = true;
  /** clock() when it last became idle. */
  idleSince = 0;
  /** Resolves with null once the handler module is loaded, or with the init error. */
  readonly ready: Promise<FunctionErrorBody | null>;
  /** Resolves when the process has exited (and been reaped). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private alive = true;
  private pending: { requestId: string; settle: (o: Outcome) => void } | null = null;

  constructor(opts: EnvironmentOptions) {
    this.functionName = opts.functionName;
    const execArgv = ['--import', TSX_LOADER];
    if (opts.memoryMb !== undefined) execArgv.push(`--max-old-space-size=${opts.memoryMb}`);
    this.child = fork(RUNTIME_PATH, [opts.module, opts.handler], {
      execArgv,
      env: opts.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      // V8's serializer: a multi-megabyte event travels as one string copy, not
      // JSON-escaped inside another JSON document and parsed twice.
      serialization: 'advanced',
      // A process group of its own: a terminal's Ctrl-C reaches `slipway dev`, which
      // then closes its environments itself, instead of killing every running task
      // mid-poll. An environment whose parent died exits on the IPC disconnect.
      detached: true,
    });
    if (this.child.pid === undefined) throw new Error(`could not start an execution environment for ${opts.functionName}`);
    this.pid = this.child.pid;
    forwardLines(this.child.stdout, opts.output);
    forwardLines(this.child.stderr, opts.output);

    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.alive = false;
        this.settle({ type: 'exit', code, signal });
        resolve({ code, signal });
      });
    });
    this.child.on('error', () => {
      // Spawn and IPC errors surface as 'exit' too; the kill below makes sure of it.
      this.kill();
    });

    this.ready = new Promise((resolve) => {
      const timer = setTimeout(() => {
        resolve({ errorType: 'Runtime.InitTimeout', errorMessage: `init did not finish within ${opts.initTimeoutMs} ms` });
        this.kill();
      }, opts.initTimeoutMs);
      const done = (v: FunctionErrorBody | null) => {
        clearTimeout(timer);
        resolve(v);
      };
      this.child.on('message', (msg: unknown) => {
        if (!isChildMessage(msg)) return;
        if (msg.type === 'ready') done(null);
        else if (msg.type === 'init-error') done(msg.error);
        else this.onResult(msg);
      });
      void this.exited.then(({ code, signal }) => done(exitError(code, signal)));
    });
  }

  get isAlive(): boolean {
    return this.alive;
  }

  /**
   * Runs one invocation. The deadline is enforced here: past timeoutMs the
   * process is killed and the outcome (after it is gone) is 'timeout'.
   */
  async invoke(msg: Omit<InvokeMessage, 'type' | 'deadlineMs'>, timeoutMs: number): Promise<Outcome> {
    const initError = await this.ready;
    if (initError) {
      this.kill();
      await this.exited;
      return { type: 'init-error', error: initError };
    }
    if (!this.alive) return { type: 'exit', code: this.child.exitCode, signal: this.child.signalCode };
    const outcome = new Promise<Outcome>((settle) => {
      this.pending = { requestId: msg.requestId, settle };
    });
    const timer = setTimeout(() => {
      const p = this.pending;
      this.pending = null;
      this.kill();
      void this.exited.then(() => p?.settle({ type: 'timeout' }));
    }, timeoutMs);
    const message: InvokeMessage = { type: 'invoke', ...msg, deadlineMs: Date.now() + timeoutMs };
    this.child.send(message, (err) => {
      if (err) this.kill();
    });
    try {
      return await outcome;
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL, as Lambda ends a sandbox. Safe to call more than once. */
  kill(): void {
    if (this.alive) this.child.kill('SIGKILL');
  }

  private onResult(msg: ChildMessage & { type: 'result' }): void {
    if (this.pending?.requestId === msg.requestId) this.settle(msg);
  }

  private settle(outcome: Outcome): void {
    const p = this.pending;
    this.pending = null;
    p?.settle(outcome);
  }
}

export function exitError(code: number | null, signal: NodeJS.Signals | null): FunctionErrorBody {
  const how = signal ? `signal: ${signalName(signal)}` : `exit status ${code ?? 'unknown'}`;
  return { errorType: 'Runtime.ExitError', errorMessage: `Runtime exited with error: ${how}` };
}

/** Go's wording, which Lambda's messages use ("signal: killed"). */
function signalName(signal: NodeJS.Signals): string {
  const names: Partial<Record<NodeJS.Signals, string>> = { SIGKILL: 'killed', SIGTERM: 'terminated', SIGABRT: 'aborted', SIGSEGV: 'segmentation fault' };
  return names[signal] ?? signal;
}

function forwardLines(stream: Readable | null, output: (line: string) => void): void {
  if (!stream) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', output);
}
