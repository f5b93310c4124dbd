// The stack a runtime benchmark drives: `slipway dev` (broker, dynalite, Lambda
// emulator, coordinator schedule, REST API) in a private temp dir on free ports,
// and the REST calls a user would make to run a FileStreamSource on it.
import path from 'node:path';
import { startDev, type DevStack } from '../../src/local/dev.js';
import { createLogger, type LogLevel } from '../../src/logging.js';
import { tempDir, waitFor } from '../../test/helpers/env.js';

export interface BenchStackOptions {
  schedulePeriodMs: number;
  workerTimeoutMs: number;
  /** SLIPWAY_* settings of the functions. */
  functionEnv: Record<string, string>;
  /** Of the stack and the functions (their lines go to stderr); default warn. */
  logLevel?: LogLevel;
}

export interface TaskStatus {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
}

export class BenchStack {
  private constructor(
    readonly dev: DevStack,
    /** A private temp dir for input files; removed by close(). */
    readonly dir: string,
    private readonly cleanup: () => void,
  ) {}

  static async start(opts: BenchStackOptions): Promise<BenchStack> {
    const tmp = tempDir('slipway-bench-');
    try {
      const dev = await startDev({
        dataDir: path.join(tmp.dir, 'state'),
        port: 0,
        brokerPort: 0,
        schedulePeriodMs: opts.schedulePeriodMs,
        workerTimeoutMs: opts.workerTimeoutMs,
        functionEnv: { SLIPWAY_LOG_LEVEL: opts.logLevel ?? 'warn', ...opts.functionEnv },
        logger: createLogger('bench', { level: opts.logLevel ?? 'warn' }),
      });
      return new BenchStack(dev, tmp.dir, tmp.cleanup);
    } catch (err) {
      tmp.cleanup();
      throw err;
    }
  }

  get bootstrap(): string {
    return this.dev.bootstrap;
  }

  async api(method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.dev.apiUrl + p, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  /** Kafka's FileStreamSourceConnector, values as plain strings, as a user would POST it. */
  async createFileSource(name: string, opts: { file: string; topic: string; batchSize?: number }): Promise<void> {
    const config: Record<string, string> = {
      'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector',
      'tasks.max': '1',
      file: opts.file,
      topic: opts.topic,
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    };
    if (opts.batchSize !== undefined) config['batch.size'] = String(opts.batchSize);
    const res = await this.api('POST', '/connectors', { name, config });
    if (res.status !== 201) throw new Error(`creating connector ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  async task(name: string, id = 0): Promise<TaskStatus | undefined> {
    const res = await this.api('GET', `/connectors/${name}/status`);
    return (res.body as { tasks?: TaskStatus[] } | undefined)?.tasks?.find((t) => t.id === id);
  }

  /** The task once RUNNING, optionally in an invocation other than `notWorkerId`. A FAILED task throws with its trace. */
  async runningTask(name: string, opts: { notWorkerId?: string; timeoutMs?: number } = {}): Promise<TaskStatus> {
    return waitFor(
      async () => {
        const t = await this.task(name);
        if (t?.state === 'FAILED') throw new Error(`task ${name}/0 FAILED: ${t.trace ?? '(no trace)'}`);
        return t?.state === 'RUNNING' && t.worker_id !== opts.notWorkerId ? t : undefined;
      },
      { what: `task ${name}/0 RUNNING${opts.notWorkerId ? ` in an invocation other than ${opts.notWorkerId}` : ''}`, timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 100 },
    );
  }

  async close(): Promise<void> {
    try {
      await this.dev.close();
    } finally {
      this.cleanup();
    }
  }
}

/** The OS pid in a local worker_id (`<hostname>:<pid>`). */
export function pidOf(workerId: string): number {
  const pid = Number(workerId.slice(workerId.lastIndexOf(':') + 1));
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`worker_id ${workerId} does not end in a pid`);
  return pid;
}

/**
 * Appends `<prefix><seq>` lines to a file every `intervalMs`, as a live log
 * would grow. Lines carry a sequence number so a reader can tell lost ones.
 */
export class LineAppender {
  private timer: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(
    private readonly append: (text: string) => void,
    private readonly prefix: string,
  ) {}

  /** Lines appended so far: line-0 … line-(count−1). */
  get count(): number {
    return this.next;
  }

  line(seq: number): string {
    return `${this.prefix}${seq}`;
  }

  start(intervalMs: number): void {
    // Catch up when a tick comes late, so the rate holds on a busy machine.
    const startedAt = Date.now();
    this.timer = setInterval(() => {
      const due = Math.floor((Date.now() - startedAt) / intervalMs) + 1;
      let text = '';
      while (this.next < due) text += `${this.line(this.next++)}\n`;
      if (text) this.append(text);
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
