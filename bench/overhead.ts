// `npm run bench -- overhead [--records N] [--size BYTES] [--batch N] [--rounds R]`
//
// What Slipway's path costs over a bare Kafka client. The same N records go to
// the broker twice, each time from a process of its own:
//   slipway  a worker invocation of a FileStreamSource (batch.size = BATCH):
//            poll → SourceRecord → StringConverter → idempotent producer, acks=all
//            → offsets stored (fenced) every flush interval, lease renewed;
//   kafkajs  bench/lib/bare-producer.ts: the same lines, held in memory, sent
//            by one idempotent kafkajs producer in sendBatch calls of BATCH,
//            each awaited, as the worker sends.
// The task's records come from a file written beforehand, not generated in
// memory: the runtime's plugin registry has no test-only connector, and the file
// read is part of the measured path (a real source has its own I/O too).
// --trickle-ms N appends a short uncounted `trickle-<n>` line every N ms while the
// task runs (default 0: none), to measure a source that keeps growing.
// Rate = records / (CreateTime of the last record − CreateTime of the first):
// from the first send to the last, start-up excluded on both sides.
// Target (issue 3): slipway / kafkajs >= 0.8.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Kafka } from 'kafkajs';
import { median, perSecond, printTable, seconds, verdict } from './lib/figures.js';
import { BenchStack, LineAppender } from './lib/stack.js';
import { benchKafka, deliveryCheck, recordCount, TopicReader, type TopicRecord } from './lib/topic.js';
import { waitFor } from '../test/helpers/env.js';

const TARGET_RATIO = 0.8;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

const { values } = parseArgs({
  options: {
    records: { type: 'string', default: '300000' },
    size: { type: 'string', default: '100' },
    batch: { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
    'trickle-ms': { type: 'string', default: '0' },
  },
  strict: true,
});
const N = Number(values.records);
const SIZE = Number(values.size);
const BATCH = Number(values.batch);
const ROUNDS = Number(values.rounds);
const TRICKLE_MS = Number(values['trickle-ms']);
// A batch must stay under the broker's message.max.bytes (1 MB).
if (![N, SIZE, BATCH, ROUNDS].every((v) => Number.isInteger(v) && v >= 1) || !Number.isInteger(TRICKLE_MS) || TRICKLE_MS < 0 || SIZE < 12 || BATCH * (SIZE + 70) > 1_000_000) {
  console.error('usage: npm run bench -- overhead [--records N] [--size BYTES (>= 12)] [--batch N (batch x size under 1 MB)] [--rounds R] [--trickle-ms MS (0: none)]');
  process.exit(2);
}

/** Line `seq` of the input: the sequence number, zero-padded, then filler up to SIZE bytes. */
const line = (seq: number): string => String(seq).padStart(10, '0').padEnd(SIZE, 'x');

function writeInput(file: string): void {
  const fd = fs.openSync(file, 'w');
  try {
    for (let i = 0; i < N; i += 10_000) {
      let chunk = '';
      for (let seq = i; seq < Math.min(N, i + 10_000); seq++) chunk += `${line(seq)}\n`;
      fs.writeSync(fd, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
}

interface Leg {
  round: number;
  path: 'slipway' | 'kafkajs';
  records: TopicRecord[];
}

async function createTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  } finally {
    await admin.disconnect();
  }
}

async function waitForRecords(kafka: Kafka, topic: string, timeoutMs: number): Promise<void> {
  let count = 0;
  let last = { count: 0, at: Date.now() };
  try {
    await waitFor(
      async () => {
        count = await recordCount(kafka, topic);
        if (count !== last.count) last = { count, at: Date.now() };
        return count >= N;
      },
      { what: `${N} records in ${topic}`, timeoutMs, intervalMs: 200 },
    );
  } catch (err) {
    throw new Error(`${topic} holds ${count} of ${N} records, none added for ${seconds(Date.now() - last.at, 1)}: the task is stuck`, { cause: err });
  }
}

async function runSlipway(stack: BenchStack, kafka: Kafka, source: string, round: number): Promise<string> {
  const topic = `overhead-slipway-${round}`;
  await createTopic(kafka, topic);
  const name = `overhead-${round}`;
  // A copy per round: the trickle makes each file grow.
  const file = path.join(stack.dir, `${name}.txt`);
  fs.copyFileSync(source, file);
  const trickle = new LineAppender((text) => fs.appendFileSync(file, text), 'trickle-');
  try {
    if (TRICKLE_MS > 0) trickle.start(TRICKLE_MS);
    await stack.createFileSource(name, { file, topic, batchSize: BATCH });
    await waitForRecords(kafka, topic, TRICKLE_MS > 0 ? 150_000 : 30_000);
  } finally {
    trickle.stop();
  }
  // Stop the task, so it does not share the machine with the next leg.
  await stack.api('DELETE', `/connectors/${name}`);
  return topic;
}

async function runKafkajs(kafka: Kafka, bootstrap: string, file: string, round: number): Promise<string> {
  const topic = `overhead-kafkajs-${round}`;
  await createTopic(kafka, topic);
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'bench/lib/bare-producer.ts'), bootstrap, topic, file, String(BATCH)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`bare producer exited with ${code}`))));
  });
  await waitForRecords(kafka, topic, 10_000);
  return topic;
}

async function readAll(kafka: Kafka, topic: string): Promise<TopicRecord[]> {
  const reader = await TopicReader.start(kafka, topic);
  try {
    await reader.next(() => reader.records.length >= N, { timeoutMs: 120_000, what: `reading ${N} records of ${topic}` });
    return reader.records.filter((r) => !r.value.startsWith('trickle-'));
  } finally {
    await reader.stop();
  }
}

async function main(): Promise<void> {
  const stack = await BenchStack.start({ schedulePeriodMs: 5000, workerTimeoutMs: 300_000, functionEnv: {} });
  const legs: Leg[] = [];
  try {
    const kafka = benchKafka(stack.bootstrap);
    const file = path.join(stack.dir, 'lines.txt');
    writeInput(file);
    const topics: Array<{ round: number; path: Leg['path']; topic: string }> = [];
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate which goes first, so neither always meets a colder broker.
      const order: Leg['path'][] = round % 2 ? ['slipway', 'kafkajs'] : ['kafkajs', 'slipway'];
      for (const p of order) {
        const topic = p === 'slipway' ? await runSlipway(stack, kafka, file, round) : await runKafkajs(kafka, stack.bootstrap, file, round);
        topics.push({ round, path: p, topic });
        console.error(`round ${round}: ${p} done`);
      }
    }
    for (const t of topics) legs.push({ round: t.round, path: t.path, records: await readAll(kafka, t.topic) });
  } finally {
    await stack.close();
  }
  report(legs);
}

function rateOf(leg: Leg): { rate: number; spanMs: number } {
  const spanMs = leg.records.at(-1)!.timestamp - leg.records[0]!.timestamp;
  return { rate: leg.records.length / (Math.max(spanMs, 1) / 1000), spanMs };
}

function report(legs: Leg[]): void {
  console.log(`\noverhead benchmark: ${N.toLocaleString('en-US')} records of ${SIZE} bytes, batches of ${BATCH}, ${ROUNDS} round(s); ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log('slipway: FileStreamSource worker invocation (records from a file written beforehand: no in-memory test connector in the runtime registry)');
  if (TRICKLE_MS > 0) console.log(`         the file also grows by a short line every ${TRICKLE_MS} ms, not counted (a source that keeps growing while it is read)`);
  console.log('kafkajs: the same lines from memory, one idempotent producer, sendBatch per batch, acks=all; both in a process of their own');
  console.log('rate = records / (last CreateTime - first CreateTime)\n');
  let lost = false;
  const rows = legs.map((leg) => {
    const { rate, spanMs } = rateOf(leg);
    const check = deliveryCheck(leg.records, N, line);
    if (check.missing.length > 0 || leg.records.length !== N) lost = true;
    return [String(leg.round), leg.path, perSecond(rate), seconds(spanMs), `${leg.records.length}`, `${check.missing.length} / ${check.duplicates}`];
  });
  printTable([['round', 'path', 'records/s', 'first→last', 'records', 'missing / dup'], ...rows]);

  const ratios = [...new Set(legs.map((l) => l.round))].map((round) => {
    const slipway = legs.find((l) => l.round === round && l.path === 'slipway')!;
    const bare = legs.find((l) => l.round === round && l.path === 'kafkajs')!;
    return rateOf(slipway).rate / rateOf(bare).rate;
  });
  const ratio = median(ratios);
  console.log(`\nratio slipway / kafkajs per round: ${ratios.map((r) => r.toFixed(2)).join(', ')}; median ${ratio.toFixed(2)}   target >= ${TARGET_RATIO}: ${verdict(ratio >= TARGET_RATIO)}`);
  if (lost) {
    console.log('LOST OR EXTRA RECORDS: a leg did not deliver exactly the input lines');
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(`bench overhead failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
