// The broker as users run it: `node bin/slipway.js broker` in a child process,
// so a test (or a benchmark) can SIGTERM it, kill -9 it and start it again on
// the same data dir. Readiness is the "broker listening" log line on stderr.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const SLIPWAY_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'slipway.js');

/** A port that was free a moment ago: bind port 0, note the port, close. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** One JSON log line of the broker (src/logging.ts). */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface BrokerProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly host: string;
  readonly port: number;
  readonly bootstrap: string;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** The JSON log lines so far. */
  logs(): LogLine[];
  /** Everything written to stderr so far. */
  stderr(): string;
  /** SIGTERM and wait for the exit; after timeoutMs it is killed and this throws. */
  stop(timeoutMs?: number): Promise<Exit>;
  /** SIGKILL (kill -9) and wait for the exit. */
  kill9(): Promise<Exit>;
}

export interface BrokerProcessOptions {
  dataDir: string;
  /** Default: a free port (retried if another process takes it first). */
  port?: number;
  partitions?: number;
  /** Readiness is an info line, so only levels that show it. */
  logLevel?: 'debug' | 'info';
  /** How long to wait for "broker listening". */
  timeoutMs?: number;
}

const running = new Set<ChildProcess>();
// A test runner that exits (or a crashed bench) must not leave brokers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startBrokerProcess(opts: BrokerProcessOptions): Promise<BrokerProcess> {
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      return await startOnce({ ...opts, port });
    } catch (err) {
      // Only a port picked here may be retried: someone else took it in between.
      if (opts.port !== undefined || attempt >= 3 || !/EADDRINUSE/.test(String(err))) throw err;
    }
  }
}

function startOnce(opts: BrokerProcessOptions & { port: number }): Promise<BrokerProcess> {
  const args = [SLIPWAY_BIN, 'broker', '--port', String(opts.port), '--data-dir', opts.dataDir, '--log-level', opts.logLevel ?? 'info'];
  if (opts.partitions !== undefined) args.push('--partitions', String(opts.partitions));
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);

  let stderr = '';
  let pending = '';
  const logs: LogLine[] = [];
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });

  return new Promise<BrokerProcess>((resolve, reject) => {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`slipway broker did not log "broker listening" within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`slipway broker exited (code ${code}, signal ${signal}) before listening; stderr:\n${stderr}`));
    });

    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (chunk: string) => {
      stderr += chunk;
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        const parsed = parseLogLine(line);
        if (!parsed) continue;
        logs.push(parsed);
        if (parsed.msg === 'broker listening') {
          clearTimeout(timer);
          const port = Number(parsed.port);
          const host = typeof parsed.host === 'string' ? parsed.host : '127.0.0.1';
          resolve(handle(child, host, port, exited, logs, () => stderr));
        }
      }
    });
  });
}

function parseLogLine(line: string): LogLine | null {
  if (!line.startsWith('{')) return null;
  try {
    const v = JSON.parse(line) as LogLine;
    return typeof v.msg === 'string' ? v : null;
  } catch {
    return null;
  }
}

function handle(child: ChildProcess, host: string, port: number, exited: Promise<Exit>, logs: LogLine[], stderr: () => string): BrokerProcess {
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    child,
    pid: child.pid!,
    host,
    port,
    bootstrap: `${host}:${port}`,
    exited,
    logs: () => [...logs],
    stderr,
    async stop(timeoutMs = 20_000) {
      if (!gone()) child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const timedOut = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
      const result = await Promise.race([exited, timedOut]);
      clearTimeout(timer);
      if (result === 'timeout') {
        child.kill('SIGKILL');
        await exited;
        throw new Error(`slipway broker did not exit within ${timeoutMs} ms of SIGTERM; stderr:\n${stderr()}`);
      }
      return result;
    },
    async kill9() {
      if (!gone()) child.kill('SIGKILL');
      return exited;
    },
  };
}
