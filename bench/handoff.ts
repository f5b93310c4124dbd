// `npm run bench -- handoff [--handoffs N] [--worker-timeout-ms MS] [--safety-buffer-ms MS]`
//
// The gap between consecutive invocations of one task. A FileStreamSource
// follows a file that grows by one line every 5 ms, so the task always has work;
// with a 10 s function timeout and a 2 s safety buffer each invocation stops
// after about 8 s, commits, invokes its successor and releases its lease. Every
// invocation creates its own idempotent producer, so the records of invocation N
// are the run of one producer id in the topic; the gap is the CreateTime of the
// first record of N+1 minus that of the last record of N: stop, commit, invoke,
// (cold or warm) start, lease, task start, producer connect, first send.
// Target (issue 3): under 1 s, with no line lost. Each gap is also marked cold
// when a new execution environment started during it (the first hand-off of a
// task needs a second one: its predecessor's is still busy), warm otherwise.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { isLogLevel, type LogLevel } from '../src/logging.js';
import { percentile, printTable, seconds, verdict } from './lib/figures.js';
import { BenchStack, LineAppender } from './lib/stack.js';
import { benchKafka, deliveryCheck, invocationRuns, TopicReader, type TopicRecord } from './lib/topic.js';

const TARGET_GAP_MS = 1000;
/** The worker's name in `slipway dev`'s Lambda emulator. */
const WORKER_FUNCTION = 'slipway-worker';
const APPEND_INTERVAL_MS = 5;

const { values } = parseArgs({
  options: {
    handoffs: { type: 'string', default: '6' },
    'log-level': { type: 'string', default: 'warn' },
    'worker-timeout-ms': { type: 'string', default: '10000' },
    'safety-buffer-ms': { type: 'string', default: '2000' },
  },
  strict: true,
});
const HANDOFFS = Number(values.handoffs);
const WORKER_TIMEOUT_MS = Number(values['worker-timeout-ms']);
const SAFETY_BUFFER_MS = Number(values['safety-buffer-ms']);
const logLevelArg = values['log-level'];
if (!isLogLevel(logLevelArg) || !Number.isInteger(HANDOFFS) || HANDOFFS < 1 || !Number.isInteger(WORKER_TIMEOUT_MS) || !Number.isInteger(SAFETY_BUFFER_MS) || SAFETY_BUFFER_MS >= WORKER_TIMEOUT_MS - 2000) {
  console.error('usage: npm run bench -- handoff [--handoffs N (>= 1)] [--worker-timeout-ms MS] [--safety-buffer-ms MS (< timeout - 2 s)] [--log-level L]');
  process.exit(2);
}
const LOG_LEVEL: LogLevel = logLevelArg;

async function main(): Promise<void> {
  const stack = await BenchStack.start({
    // `slipway dev`'s default: the schedule is only the safety net here, hand-offs start the successors.
    schedulePeriodMs: 5000,
    workerTimeoutMs: WORKER_TIMEOUT_MS,
    logLevel: LOG_LEVEL,
    functionEnv: {
      SLIPWAY_SAFETY_BUFFER_MS: String(SAFETY_BUFFER_MS),
      SLIPWAY_LEASE_TTL_MS: '5000',
      SLIPWAY_LEASE_RENEW_MS: '1000',
      SLIPWAY_OFFSET_FLUSH_INTERVAL_MS: '1000',
    },
  });
  const kafka = benchKafka(stack.bootstrap);
  const file = path.join(stack.dir, 'input.txt');
  fs.writeFileSync(file, '');
  const appender = new LineAppender((text) => fs.appendFileSync(file, text), 'line-');
  let reader: TopicReader | undefined;
  let records: TopicRecord[];
  // When each worker execution environment (process) first appeared: a hand-off
  // during which a new one started was a cold start.
  const envFirstSeen = new Map<number, number>();
  const sampler = setInterval(() => {
    for (const e of stack.dev.emulator.environments()) if (e.functionName === WORKER_FUNCTION && !envFirstSeen.has(e.pid)) envFirstSeen.set(e.pid, Date.now());
  }, 25);
  const startedAt = Date.now();
  try {
    appender.start(APPEND_INTERVAL_MS);
    await stack.createFileSource('handoff', { file, topic: 'handoff' });
    reader = await TopicReader.start(kafka, 'handoff');
    const r = reader;
    // N hand-offs = N+1 invocations that produced records.
    const budgetMs = (HANDOFFS + 3) * WORKER_TIMEOUT_MS + 30_000;
    let reported = 0;
    await r.next(
      () => {
        const n = invocationRuns(r.records).length;
        if (n - 1 > reported) console.error(`hand-offs so far: ${(reported = n - 1)}`);
        return n >= HANDOFFS + 1;
      },
      { timeoutMs: budgetMs, what: `${HANDOFFS} hand-offs (within ${seconds(budgetMs, 0)})` },
    );
    appender.stop();
    const total = appender.count;
    await r.next((rec) => rec.value === appender.line(total - 1), { timeoutMs: 2 * WORKER_TIMEOUT_MS + 10_000, what: `the last line (${appender.line(total - 1)})` }).catch(() => undefined);
    records = [...r.records];
  } finally {
    clearInterval(sampler);
    appender.stop();
    await reader?.stop().catch(() => undefined);
    await stack.close();
  }
  report(records, [...envFirstSeen.values()], appender.count, (seq) => appender.line(seq), Date.now() - startedAt);
}

function report(records: TopicRecord[], envStarts: number[], appended: number, line: (seq: number) => string, elapsedMs: number): void {
  const runs = invocationRuns(records);
  const gaps = runs.slice(1).map((run, i) => {
    const from = runs[i]!;
    const cold = envStarts.some((t) => t > from.last.timestamp && t <= run.first.timestamp + 25);
    return { from, to: run, ms: run.first.timestamp - from.last.timestamp, start: cold ? 'cold' : 'warm' };
  });
  const check = deliveryCheck(records, appended, line);
  const producers = new Set(records.map((r) => r.producerId));
  const p50 = percentile(gaps.map((g) => g.ms), 0.5);
  const p99 = percentile(gaps.map((g) => g.ms), 0.99);
  const warm = gaps.filter((g) => g.start === 'warm').map((g) => g.ms);

  console.log(`\nhand-off benchmark: FileStreamSource, a line every ${APPEND_INTERVAL_MS} ms; function timeout ${seconds(WORKER_TIMEOUT_MS, 0)}, safety buffer ${seconds(SAFETY_BUFFER_MS, 0)}; ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log('gap = CreateTime of the first record of invocation N+1 - CreateTime of the last record of invocation N (one idempotent producer per invocation)\n');
  printTable([
    ['hand-off', 'records in N', 'N ran', 'N+1 start', 'gap', 'target', 'result'],
    ...gaps.map((g, i) => [
      `${i + 1} -> ${i + 2}`,
      String(g.from.count),
      seconds(g.from.last.timestamp - g.from.first.timestamp),
      g.start,
      seconds(g.ms, 3),
      `< ${seconds(TARGET_GAP_MS, 0)}`,
      verdict(g.ms < TARGET_GAP_MS),
    ]),
  ]);
  console.log(`\nhand-offs: ${gaps.length}   gap p50 ${seconds(p50, 3)}   p99 ${seconds(p99, 3)}   max ${seconds(Math.max(...gaps.map((g) => g.ms)), 3)}   target < ${seconds(TARGET_GAP_MS, 0)}: ${verdict(p99 < TARGET_GAP_MS)} (p99)`);
  if (warm.length > 0) console.log(`warm starts only (${warm.length}): p50 ${seconds(percentile(warm, 0.5), 3)}   p99 ${seconds(percentile(warm, 0.99), 3)}: ${verdict(percentile(warm, 0.99) < TARGET_GAP_MS)}`);
  if (producers.size !== runs.length) console.log(`note: ${producers.size} producers but ${runs.length} runs: two invocations' records interleaved (two live invocations of one task?)`);
  console.log(`delivery: ${appended} lines appended, ${check.missing.length} missing, ${check.duplicates} duplicates; ${seconds(elapsedMs, 0)} in all`);
  if (gaps.length < HANDOFFS) {
    console.log(`TOO FEW HAND-OFFS: ${gaps.length} of ${HANDOFFS}`);
    process.exitCode = 1;
  }
  if (check.missing.length > 0) {
    console.log(`LOST RECORDS: ${check.missing.slice(0, 10).join(', ')}${check.missing.length > 10 ? ', …' : ''}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(`bench handoff failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
