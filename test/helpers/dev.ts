// Plumbing for tests that drive `slipway dev` as a user does: the whole stack
// (broker, dynalite + Lambda emulator on the edge, coordinator schedule, REST
// API) in this process and the functions in real child processes. Connectors
// are created through the REST API, topics read with kafkajs, the store read
// with the runtime's own Store against the edge, and the functions' log lines
// (they reach this process's stderr through the emulator) kept for assertions.
import fs from 'node:fs';
import path from 'node:path';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { expect } from 'vitest';
import { startDev, type DevStack } from '../../src/local/dev.js';
import { createLogger } from '../../src/logging.js';
import { createDynamoClient, Store, tableName, type Lease, type TaskItem } from '../../src/store/index.js';
import { tempDir, waitFor } from './env.js';

/** Lease and schedule timings short enough that a failover takes seconds, not minutes. */
const FAST_FAILOVER = {
  SLIPWAY_LEASE_TTL_MS: '4000',
  SLIPWAY_LEASE_RENEW_MS: '1000',
  SLIPWAY_OFFSET_FLUSH_INTERVAL_MS: '300',
  SLIPWAY_LAUNCH_GRACE_MS: '2000',
} as const;

/** The coordinator's function name in `slipway dev`. */
const COORDINATOR_FUNCTION = 'slipway-coordinator';

// ---- function log lines ------------------------------------------------------

/** One JSON log line of a function (worker, coordinator) or of the stack, with when it arrived. */
export interface LogLine {
  ts: number;
  level: string;
  logger: string;
  msg: string;
  workerId?: string;
  epoch?: number;
  [field: string]: unknown;
}

/**
 * Keeps the JSON log lines that reach this process's stderr: the emulator
 * forwards each function's output there line by line. Errors and anything not
 * a log line are still printed; the rest only with SLIPWAY_TEST_LOGS=1 (tests
 * print() them all when they fail).
 */
export class LogTap {
  readonly lines: LogLine[] = [];
  private readonly original: typeof process.stderr.write;

  constructor() {
    this.original = process.stderr.write;
    const verbose = process.env.SLIPWAY_TEST_LOGS === '1';
    const write = this.original.bind(process.stderr) as (...args: unknown[]) => boolean;
    process.stderr.write = ((chunk: unknown, ...rest: unknown[]) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      let quiet = true;
      for (const raw of text.split('\n')) {
        if (raw === '') continue;
        const line = parseLogLine(raw);
        if (line) this.lines.push(line);
        if (!line || verbose || line.level === 'error') quiet = false;
      }
      return quiet ? true : write(chunk, ...rest);
    }) as typeof process.stderr.write;
  }

  /** Lines of `logger` with message `msg`, optionally only those whose fields match. */
  find(logger: string, msg: string, fields: Record<string, unknown> = {}): LogLine[] {
    return this.lines.filter((l) => l.logger === logger && l.msg === msg && Object.entries(fields).every(([k, v]) => l[k] === v));
  }

  print(last = 200): void {
    const text = this.lines
      .slice(-last)
      .map((l) => JSON.stringify(l))
      .join('\n');
    this.original.call(process.stderr, `---- last ${last} log lines ----\n${text}\n`);
  }

  restore(): void {
    process.stderr.write = this.original;
  }
}

function parseLogLine(raw: string): LogLine | undefined {
  if (!raw.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(raw) as Record<string, unknown>;
    if (typeof v.msg !== 'string' || typeof v.logger !== 'string' || typeof v.ts !== 'string') return undefined;
    return { ...v, ts: Date.parse(v.ts), level: String(v.level), logger: v.logger, msg: v.msg } as LogLine;
  } catch {
    return undefined;
  }
}

// ---- the stack -----------------------------------------------------------

export interface TaskStatus {
  id: number;
  state: string;
  worker_id: string;
  trace?: string;
}

export interface ConnectorStatus {
  name: string;
  connector: { state: string; worker_id: string; trace?: string };
  tasks: TaskStatus[];
}

export interface DevHarnessOptions {
  /** How often the coordinator is fired (at most one run at a time, see startStack). */
  schedulePeriodMs?: number;
  workerTimeoutMs?: number;
  functionEnv?: Record<string, string>;
}

/** `slipway dev` on free ports with a private data dir, and ways to look at it. */
export class DevHarness {
  readonly logs = new LogTap();
  /** Private files of the test (source files, …); removed by close(). */
  readonly dir: string;
  readonly dataDir: string;
  private readonly cleanupDir: () => void;
  private current: { stack: DevStack; store: Store; kafka: Kafka; client: DynamoDBClient; schedule: NodeJS.Timeout } | undefined;
  private readonly readers: TopicReader[] = [];

  private constructor(private readonly opts: DevHarnessOptions) {
    const tmp = tempDir('slipway-dev-');
    this.dir = tmp.dir;
    this.cleanupDir = tmp.cleanup;
    this.dataDir = path.join(tmp.dir, 'state');
  }

  static async start(opts: DevHarnessOptions = {}): Promise<DevHarness> {
    const harness = new DevHarness(opts);
    try {
      await harness.startStack();
    } catch (err) {
      await harness.close();
      throw err;
    }
    return harness;
  }

  get stack(): DevStack {
    if (!this.current) throw new Error('the dev stack is not running');
    return this.current.stack;
  }
  /** The runtime's Store against the stack's DynamoDB (the edge). */
  get store(): Store {
    if (!this.current) throw new Error('the dev stack is not running');
    return this.current.store;
  }
  get kafka(): Kafka {
    if (!this.current) throw new Error('the dev stack is not running');
    return this.current.kafka;
  }

  /** Starts the stack on the data dir (again, after stopStack(): a restart of `slipway dev`). */
  async startStack(): Promise<void> {
    if (this.current) throw new Error('the dev stack is already running');
    const stack = await startDev({
      dataDir: this.dataDir,
      port: 0,
      brokerPort: 0,
      // The stack's own schedule fires the coordinator every period even while the last
      // run is still starting: on a busy 2-core machine coordinator environments then pile
      // up faster than they start (dozens of processes, init timeouts). Until it skips a
      // tick while a run is under way, the harness schedules instead, one run at a time.
      schedulePeriodMs: 3_600_000,
      workerTimeoutMs: this.opts.workerTimeoutMs ?? 120_000,
      // NODE_NO_WARNINGS: the AWS SDK's Node-version notice in every child is noise.
      functionEnv: { NODE_NO_WARNINGS: '1', ...FAST_FAILOVER, ...this.opts.functionEnv },
      logger: createLogger('dev', { level: 'warn' }),
    });
    const client = createDynamoClient({ AWS_ENDPOINT_URL: stack.edgeEndpoint, AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x', AWS_REGION: 'us-east-1' });
    const store = new Store({ client, table: tableName() });
    const kafka = new Kafka({ clientId: 'slipway-test', brokers: [stack.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 10, initialRetryTime: 100 } });
    const schedule = setInterval(() => {
      const running = stack.emulator.environments().some((e) => e.functionName === COORDINATOR_FUNCTION && e.busy);
      if (!running) stack.kick().catch(() => undefined);
    }, this.opts.schedulePeriodMs ?? 500);
    this.current = { stack, store, kafka, client, schedule };
  }

  /** Stops the stack as Ctrl-C does, keeping the data dir; readers are disconnected. */
  async stopStack(): Promise<void> {
    await Promise.all(this.readers.splice(0).map((r) => r.close()));
    const current = this.current;
    this.current = undefined;
    if (!current) return;
    clearInterval(current.schedule);
    current.client.destroy();
    await current.stack.close();
  }

  async close(): Promise<void> {
    try {
      await this.stopStack();
    } finally {
      this.logs.restore();
      this.cleanupDir();
    }
  }

  // ---- REST API ----

  async api(method: string, p: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const res = await fetch(this.stack.apiUrl + p, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  }

  async status(name: string): Promise<ConnectorStatus | undefined> {
    const res = await this.api('GET', `/connectors/${name}/status`);
    return res.status === 200 ? (res.body as ConnectorStatus) : undefined;
  }

  async taskStatus(name: string, task = 0): Promise<TaskStatus | undefined> {
    return (await this.status(name))?.tasks.find((t) => t.id === task);
  }

  /** A FileStreamSource with string values, created through the REST API. */
  async createFileSource(name: string, file: string, topic: string, extra: Record<string, string> = {}): Promise<void> {
    const res = await this.api('POST', '/connectors', {
      name,
      config: { 'connector.class': 'FileStreamSource', file, topic, 'value.converter': 'org.apache.kafka.connect.storage.StringConverter', ...extra },
    });
    if (res.status !== 201) throw new Error(`creating ${name} answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  /** A FileStreamSource `name` (file `<name>.txt` in the test's dir, topic `name`) that has streamed `lines` first lines. */
  async streamingFileSource(name: string, lines = 10): Promise<{ writer: LineWriter; topic: TopicReader }> {
    const writer = new LineWriter(path.join(this.dir, `${name}.txt`));
    writer.append('first', lines);
    await this.createFileSource(name, writer.file, name);
    const topic = await this.reader(name);
    await topic.waitForAll(writer.texts(), { what: `the first lines of ${name}` });
    return { writer, topic };
  }

  /** Waits until the task is RUNNING in a worker other than `not` (a worker_id); returns its status. */
  async runningTask(name: string, opts: { not?: string; timeoutMs?: number } = {}): Promise<TaskStatus & { pid: number }> {
    const t = await waitFor(
      async () => {
        const s = await this.taskStatus(name);
        return s?.state === 'RUNNING' && s.worker_id !== opts.not ? s : undefined;
      },
      { what: `task ${name}/0 RUNNING${opts.not ? ` in a worker other than ${opts.not}` : ''}`, timeoutMs: opts.timeoutMs ?? 60_000 },
    );
    return { ...t, pid: pidOf(t.worker_id) };
  }

  /** Waits for a live lease on the task (newer than epoch `after`, when given): who holds it, and its pid. */
  async liveLease(name: string, opts: { after?: number; timeoutMs?: number } = {}): Promise<Lease & { pid: number }> {
    const lease = await waitFor(
      async () => {
        const lease = (await this.task(name))?.lease;
        return lease && lease.expiresAt > Date.now() && lease.epoch > (opts.after ?? 0) ? lease : undefined;
      },
      { what: `a live lease on ${name}/0${opts.after ? ` newer than epoch ${opts.after}` : ''}`, timeoutMs: opts.timeoutMs ?? 60_000 },
    );
    return { ...lease, pid: pidOf(lease.owner) };
  }

  async task(name: string, task = 0): Promise<TaskItem | undefined> {
    return this.store.getTask(name, task);
  }

  /** The stored offset of a FileStreamSource: its byte position and the epoch of the invocation that wrote it. */
  async fileOffset(name: string): Promise<{ position: number; epoch: number } | undefined> {
    const [offset] = await this.store.readOffsets(name);
    if (!offset) return undefined;
    return { position: Number((offset.offset as { position?: number } | null)?.position ?? 0), epoch: offset.epoch };
  }

  // ---- topics ----

  /** Reads `topic` from the beginning into memory, from now on (a new consumer group each time). */
  async reader(topic: string): Promise<TopicReader> {
    const kafka = this.kafka;
    await waitFor(async () => (await kafka.admin().listTopics()).includes(topic), { what: `topic ${topic}`, timeoutMs: 60_000 });
    const reader = await TopicReader.start(kafka, topic);
    this.readers.push(reader);
    return reader;
  }
}

export function pidOf(workerId: string): number {
  const pid = Number(workerId.slice(workerId.lastIndexOf(':') + 1));
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`worker_id ${workerId} does not end in a pid`);
  return pid;
}

/** The one-letter state in /proc/<pid>/stat ('T' = stopped), undefined when the process is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return processState(pid) !== 'Z';
  } catch {
    return false;
  }
}

// ---- records -------------------------------------------------------------

export interface Received {
  value: string;
  offset: number;
  /** The record's timestamp (the producer's clock when the worker sent it). */
  timestamp: number;
  receivedAt: number;
}

/** One consumer reading a topic from the beginning; `records` grows as they arrive. */
export class TopicReader {
  readonly records: Received[] = [];

  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topic: string): Promise<TopicReader> {
    const consumer = kafka.consumer({ groupId: `test-reader-${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`, maxWaitTimeInMs: 100 });
    const reader = new TopicReader(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        reader.records.push({ value: message.value?.toString('utf8') ?? '', offset: Number(message.offset), timestamp: Number(message.timestamp), receivedAt: Date.now() });
      },
    });
    return reader;
  }

  values(): string[] {
    return this.records.map((r) => r.value);
  }

  has(value: string): boolean {
    return this.records.some((r) => r.value === value);
  }

  /** Waits until every one of `values` has arrived. */
  async waitForAll(values: readonly string[], opts: { timeoutMs?: number; what?: string } = {}): Promise<void> {
    await waitFor(
      () => {
        const seen = new Set(this.values());
        return values.every((v) => seen.has(v));
      },
      { what: opts.what ?? `${values.length} records`, timeoutMs: opts.timeoutMs ?? 60_000, intervalMs: 100 },
    ).catch((err: Error) => {
      const seen = new Set(this.values());
      const missing = values.filter((v) => !seen.has(v));
      throw new Error(`${err.message}; ${missing.length} missing, first: ${missing.slice(0, 5).join(', ')}`);
    });
  }

  async close(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

// ---- source files -----------------------------------------------------------

export interface AppendedLine {
  text: string;
  /** Byte position just past the line's newline: the FileStreamSource offset that covers it. */
  end: number;
  appendedAt: number;
}

/** Appends uniquely named lines to a source file and remembers where each one ends. */
export class LineWriter {
  readonly lines: AppendedLine[] = [];
  private size: number;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;

  constructor(readonly file: string) {
    this.size = fs.existsSync(file) ? fs.statSync(file).size : 0;
  }

  append(prefix: string, count: number): string[] {
    const texts = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
    const chunk = texts.map((t) => t + '\n').join('');
    const at = Date.now();
    let end = this.size;
    for (const text of texts) {
      end += Buffer.byteLength(text) + 1;
      this.lines.push({ text, end, appendedAt: at });
    }
    fs.appendFileSync(this.file, chunk);
    this.size = end;
    return texts;
  }

  /** One line every `intervalMs` until stopAppending(); line texts are `${prefix}-<n>`. */
  startAppending(prefix: string, intervalMs: number): void {
    this.stopAppending();
    this.timer = setInterval(() => {
      const text = `${prefix}-${this.next++}`;
      const end = this.size + Buffer.byteLength(text) + 1;
      fs.appendFileSync(this.file, text + '\n');
      this.lines.push({ text, end, appendedAt: Date.now() });
      this.size = end;
    }, intervalMs);
  }

  stopAppending(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  get bytes(): number {
    return this.size;
  }

  texts(): string[] {
    return this.lines.map((l) => l.text);
  }
}

/** What a topic holds compared with the lines written: lost, duplicated and foreign values. */
export interface Delivery {
  missing: string[];
  /** value → how many times it arrived, for values that arrived more than once. */
  duplicates: Map<string, number>;
  unexpected: string[];
  /** Total surplus records: sum of (count − 1) over duplicates. */
  surplus: number;
}

export function delivery(expected: readonly string[], received: readonly string[]): Delivery {
  const counts = new Map<string, number>();
  for (const v of received) counts.set(v, (counts.get(v) ?? 0) + 1);
  const want = new Set(expected);
  const duplicates = new Map([...counts].filter(([, c]) => c > 1));
  return {
    missing: expected.filter((v) => !counts.has(v)),
    duplicates,
    unexpected: [...counts.keys()].filter((v) => !want.has(v)),
    surplus: [...duplicates.values()].reduce((sum, c) => sum + c - 1, 0),
  };
}

/**
 * Asserts what a topic holds against the lines written: every line, nothing
 * foreign, and duplicates (each at most twice) only of lines `mayRepeat`
 * allows, e.g. those a killed worker had sent but not committed.
 */
export function expectDelivered(lines: readonly AppendedLine[], received: readonly string[], mayRepeat: (line: AppendedLine) => boolean = () => false): Delivery {
  const d = delivery(
    lines.map((l) => l.text),
    received,
  );
  expect(d.missing, 'lines that never arrived').toEqual([]);
  expect(d.unexpected, 'records that match no line').toEqual([]);
  const byText = new Map(lines.map((l) => [l.text, l]));
  const wrong = [...d.duplicates].filter(([text, count]) => count > 2 || !mayRepeat(byText.get(text)!)).map(([text, count]) => `${text} x${count}`);
  expect(wrong, 'duplicates that no replay explains').toEqual([]);
  return d;
}

/** Lines whose end lies in (from, to]: what a worker that resumes at `from` replays of what was sent up to `to`. */
export function between(from: number, to: number): (line: AppendedLine) => boolean {
  return (line) => line.end > from && line.end <= to;
}
