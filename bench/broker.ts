// `npm run bench -- broker [--messages N] [--size BYTES]`
//
// Throughput of the embedded broker as users run it (`slipway broker` in its
// own process, so client and broker do not share a core): kcat (librdkafka)
// produces N messages of BYTES bytes with acks=all, then consumes them to the
// end; then the same with kafkajs. Target (issue 2): the broker is never the
// bottleneck, >= 300k msgs/s each way with kcat on a 2-core machine. kafkajs,
// a single-threaded JavaScript client, is shown beside the same target for
// reference. The broker's CPU share per phase (from /proc) tells whether the
// broker or the client was the limit.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import { startBrokerProcess, type BrokerProcess } from '../test/helpers/cli-broker.js';
import { requireCommand, tempDir } from '../test/helpers/env.js';
import { printTable } from './lib/figures.js';
import { recordCount } from './lib/topic.js';

const TARGET_MSGS_PER_S = 300_000;

const { values } = parseArgs({
  options: { messages: { type: 'string', default: '1000000' }, size: { type: 'string', default: '100' } },
  strict: true,
});
const N = Number(values.messages);
const SIZE = Number(values.size);
if (!Number.isInteger(N) || N < 1 || !Number.isInteger(SIZE) || SIZE < 12) {
  console.error('usage: npm run bench -- broker [--messages N (>= 1)] [--size BYTES (>= 12)]');
  process.exit(2);
}

interface Row {
  client: string;
  direction: 'produce' | 'consume';
  seconds: number;
  /** Share of one core the broker process used during the phase, if known. */
  brokerCpu: number | null;
  reference: boolean;
  note?: string;
}

/** utime + stime of a process in seconds (Linux /proc), or null elsewhere. */
function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // clock ticks; 100 Hz on Linux
  } catch {
    return null;
  }
}

async function timed(broker: BrokerProcess, run: () => Promise<void>): Promise<{ seconds: number; brokerCpu: number | null }> {
  const cpu0 = cpuSeconds(broker.pid);
  const t0 = process.hrtime.bigint();
  await run();
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu1 = cpuSeconds(broker.pid);
  return { seconds, brokerCpu: cpu0 === null || cpu1 === null ? null : (cpu1 - cpu0) / seconds };
}

/** Runs a command; resolves with the number of newline-terminated lines it printed (not kept in memory). */
function runCounting(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(lines) : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${stderr}`))));
  });
}

/** N lines of exactly SIZE bytes (plus the newline): a sequence number, then filler. */
function writeInput(file: string): void {
  const line = Buffer.alloc(SIZE + 1, 'x');
  line[SIZE] = 10;
  const perChunk = 10_000;
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < N; i += perChunk) {
      const n = Math.min(perChunk, N - i);
      const chunk = Buffer.alloc(n * (SIZE + 1));
      for (let j = 0; j < n; j++) {
        line.write(String(i + j).padStart(10, '0'), 0, 'latin1');
        line.copy(chunk, j * (SIZE + 1));
      }
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
}

async function main(): Promise<void> {
  const kcatBin = requireCommand('kcat', 'kcat');
  const tmp = tempDir('slipway-bench-');
  const rows: Row[] = [];
  let broker: BrokerProcess | undefined;
  try {
    const input = path.join(tmp.dir, 'messages.txt');
    writeInput(input);
    broker = await startBrokerProcess({ dataDir: path.join(tmp.dir, 'data') });
    const b = broker;
    const kafka = new Kafka({ clientId: 'bench', brokers: [b.bootstrap], logLevel: logLevel.NOTHING });

    // kcat: produce from the file (one message per line), acks=all; then consume to the end.
    const kcatTopic = 'bench-kcat';
    const kcatProduce = await timed(b, async () => {
      await runCounting(kcatBin, ['-P', '-b', b.bootstrap, '-t', kcatTopic, '-X', 'acks=all', '-l', input]);
    });
    const kcatStored = await recordCount(kafka, kcatTopic);
    if (kcatStored !== N) throw new Error(`kcat produced ${N} messages but the topic holds ${kcatStored}`);
    rows.push({ client: 'kcat', direction: 'produce', ...kcatProduce, reference: false });

    let kcatConsumed = 0;
    const kcatConsume = await timed(b, async () => {
      kcatConsumed = await runCounting(kcatBin, ['-C', '-b', b.bootstrap, '-t', kcatTopic, '-o', 'beginning', '-e', '-q']);
    });
    if (kcatConsumed !== N) throw new Error(`kcat consumed ${kcatConsumed} messages, expected ${N}`);
    rows.push({ client: 'kcat', direction: 'consume', ...kcatConsume, reference: false });

    // kafkajs: sequential sends of 5,000 messages with acks=-1; then a group consumer counting in eachBatch.
    const jsTopic = 'bench-kafkajs';
    const value = Buffer.alloc(SIZE, 'x');
    const producer = kafka.producer();
    await producer.connect();
    const jsProduce = await timed(b, async () => {
      const BATCH = 5_000; // one RecordBatch per send: stays under message.max.bytes (1 MB)
      for (let i = 0; i < N; i += BATCH) {
        const messages = Array.from({ length: Math.min(BATCH, N - i) }, () => ({ value }));
        await producer.send({ topic: jsTopic, acks: -1, messages });
      }
    });
    await producer.disconnect();
    const jsStored = await recordCount(kafka, jsTopic);
    if (jsStored !== N) throw new Error(`kafkajs produced ${N} messages but the topic holds ${jsStored}`);
    rows.push({ client: 'kafkajs', direction: 'produce', ...jsProduce, reference: true });

    const consumer = kafka.consumer({ groupId: 'bench-kafkajs', maxBytesPerPartition: 10 * 1024 * 1024, maxBytes: 50 * 1024 * 1024 });
    await consumer.connect();
    await consumer.subscribe({ topic: jsTopic, fromBeginning: true });
    let jsConsumed = 0;
    let joinedAt: bigint | undefined;
    let cpuAtJoin: number | null = null;
    // Timed from the group join: the join waits out the broker's initial rebalance delay, which is not throughput.
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joinedAt = process.hrtime.bigint();
      cpuAtJoin = cpuSeconds(b.pid);
    });
    let done: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        jsConsumed += batch.messages.length;
        if (jsConsumed >= N) done();
      },
    });
    await finished;
    const seconds = Number(process.hrtime.bigint() - joinedAt!) / 1e9;
    const cpuEnd = cpuSeconds(b.pid);
    await consumer.disconnect();
    if (jsConsumed !== N) throw new Error(`kafkajs consumed ${jsConsumed} messages, expected ${N}`);
    rows.push({
      client: 'kafkajs',
      direction: 'consume',
      seconds,
      brokerCpu: cpuAtJoin === null || cpuEnd === null ? null : (cpuEnd - cpuAtJoin) / seconds,
      reference: true,
      note: 'from the group join',
    });
  } finally {
    await broker?.stop().catch(() => broker?.kill9());
    tmp.cleanup();
  }
  print(rows);
}

function print(rows: Row[]): void {
  const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
  const table = [
    ['client', 'direction', 'msgs/s', 'MB/s', 'target msgs/s', 'result', 'broker CPU', 'seconds'],
    ...rows.map((r) => {
      const rate = N / r.seconds;
      return [
        r.client,
        r.direction,
        fmt(rate),
        ((N * SIZE) / r.seconds / 1e6).toFixed(1),
        `>= ${fmt(TARGET_MSGS_PER_S)}${r.reference ? ' (for reference)' : ''}`,
        rate >= TARGET_MSGS_PER_S ? 'PASS' : 'BELOW',
        r.brokerCpu === null ? '-' : `${Math.round(r.brokerCpu * 100)}%`,
        `${r.seconds.toFixed(2)}${r.note ? ` (${r.note})` : ''}`,
      ];
    }),
  ];
  console.log(`\nbroker benchmark: ${fmt(N)} messages of ${SIZE} bytes each way, acks=all; ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log('MB/s counts message payload (10^6 bytes); broker CPU is the share of one core the broker process used.\n');
  printTable(table);
}

main().catch((err: unknown) => {
  console.error(`bench broker failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
