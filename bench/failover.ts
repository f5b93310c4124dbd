// `npm run bench -- failover [--repeats N] [--lease-ttl-ms MS] [--schedule-ms MS]`
//
// Seconds from kill -9 of a task's worker to the next record in the topic. A
// FileStreamSource follows a file that grows by one line every ~20 ms; the
// process running its invocation (the pid in the status's worker_id) is killed,
// and the clock stops at the CreateTime of the first record sent by a new
// invocation (a new idempotent producer id). Repeated N times (default 3).
//
// Expected bound: the lease TTL (the dead invocation's lease must expire) plus
// one coordinator period plus a cold start. Kafka Connect, for comparison, waits
// scheduled.rebalance.max.delay.ms (default 300 s) before it reassigns the tasks
// of a worker that left the group.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { median, printTable, seconds, verdict } from './lib/figures.js';
import { BenchStack, LineAppender, pidOf } from './lib/stack.js';
import { benchKafka, deliveryCheck, TopicReader } from './lib/topic.js';

const KAFKA_CONNECT_DEFAULT_MS = 300_000; // scheduled.rebalance.max.delay.ms
const APPEND_INTERVAL_MS = 20;

const { values } = parseArgs({
  options: {
    repeats: { type: 'string', default: '3' },
    'lease-ttl-ms': { type: 'string', default: '5000' },
    'schedule-ms': { type: 'string', default: '1000' },
  },
  strict: true,
});
const REPEATS = Number(values.repeats);
const LEASE_TTL_MS = Number(values['lease-ttl-ms']);
const SCHEDULE_MS = Number(values['schedule-ms']);
if (![REPEATS, LEASE_TTL_MS, SCHEDULE_MS].every((n) => Number.isInteger(n) && n > 0) || LEASE_TTL_MS < 1000) {
  console.error('usage: npm run bench -- failover [--repeats N (>= 1)] [--lease-ttl-ms MS (>= 1000)] [--schedule-ms MS]');
  process.exit(2);
}

interface Failover {
  killedPid: number;
  /** kill -9 → CreateTime of the first record from the next invocation. */
  ms: number;
  /** kill -9 → the status showing a new invocation RUNNING. */
  statusMs: number;
}

async function main(): Promise<void> {
  const stack = await BenchStack.start({
    schedulePeriodMs: SCHEDULE_MS,
    // No hand-off during the run: every new invocation is a failover.
    workerTimeoutMs: 600_000,
    functionEnv: {
      SLIPWAY_LEASE_TTL_MS: String(LEASE_TTL_MS),
      SLIPWAY_LEASE_RENEW_MS: String(Math.max(200, Math.floor(LEASE_TTL_MS / 5))),
      SLIPWAY_OFFSET_FLUSH_INTERVAL_MS: '500',
      // A launch claim blocks relaunching a task for this long; the repeats come faster than the 10 s default.
      SLIPWAY_LAUNCH_GRACE_MS: '2000',
    },
  });
  const kafka = benchKafka(stack.bootstrap);
  const file = path.join(stack.dir, 'input.txt');
  fs.writeFileSync(file, '');
  const appender = new LineAppender((text) => fs.appendFileSync(file, text), 'line-');
  let reader: TopicReader | undefined;
  const failovers: Failover[] = [];
  let check: ReturnType<typeof deliveryCheck> | undefined;
  try {
    appender.start(APPEND_INTERVAL_MS);
    await stack.createFileSource('failover', { file, topic: 'failover' });
    reader = await TopicReader.start(kafka, 'failover');
    const r = reader;
    await r.next(() => true, { timeoutMs: 60_000, what: 'the first record' });

    for (let i = 0; i < REPEATS; i++) {
      const running = await stack.runningTask('failover');
      // Streaming steadily in this invocation: a record sent after it reported RUNNING.
      const since = Date.now();
      await r.next((rec) => rec.timestamp > since, { from: r.records.length, timeoutMs: 30_000, what: 'records from the running invocation' });
      await new Promise((res) => setTimeout(res, 1000));
      const before = new Set(r.records.map((rec) => rec.producerId));
      const from = r.records.length;

      const pid = pidOf(running.worker_id);
      const killedAt = Date.now();
      process.kill(pid, 'SIGKILL');
      const [next, status] = await Promise.all([
        r.next((rec) => !before.has(rec.producerId), { from, timeoutMs: 120_000, what: `a record from a new invocation after kill -9 of ${pid}` }),
        stack.runningTask('failover', { notWorkerId: running.worker_id, timeoutMs: 120_000 }).then(() => Date.now()),
      ]);
      failovers.push({ killedPid: pid, ms: next.timestamp - killedAt, statusMs: status - killedAt });
      console.error(`failover ${i + 1}/${REPEATS}: kill -9 ${pid} → next record after ${seconds(next.timestamp - killedAt)}`);
    }

    // Every line appended must be in the topic, the ones written during the outages too.
    appender.stop();
    const total = appender.count;
    await r.next((rec) => rec.value === appender.line(total - 1), { timeoutMs: 60_000, what: `the last line (${appender.line(total - 1)})` }).catch(() => undefined);
    check = deliveryCheck(r.records, total, (seq) => appender.line(seq));
  } finally {
    appender.stop();
    await reader?.stop().catch(() => undefined);
    await stack.close();
  }
  report(failovers, appender.count, check!);
}

function report(failovers: Failover[], appended: number, check: ReturnType<typeof deliveryCheck>): void {
  const bound = LEASE_TTL_MS + SCHEDULE_MS;
  const mid = median(failovers.map((f) => f.ms));
  console.log(`\nfailover benchmark: FileStreamSource, a line every ${APPEND_INTERVAL_MS} ms, kill -9 of the worker ${failovers.length} times; ${os.cpus().length} CPUs, Node ${process.version}`);
  console.log(`lease TTL ${seconds(LEASE_TTL_MS, 1)}, coordinator schedule ${seconds(SCHEDULE_MS, 1)}; measured: kill -9 → CreateTime of the first record sent by the next invocation\n`);
  printTable([
    ['run', 'killed pid', 'kill → next record', 'kill → status RUNNING', 'lease TTL', 'Kafka Connect default'],
    ...failovers.map((f, i) => [String(i + 1), String(f.killedPid), seconds(f.ms), seconds(f.statusMs), seconds(LEASE_TTL_MS, 1), seconds(KAFKA_CONNECT_DEFAULT_MS, 0)]),
    ['median', '', seconds(mid), seconds(median(failovers.map((f) => f.statusMs))), seconds(LEASE_TTL_MS, 1), seconds(KAFKA_CONNECT_DEFAULT_MS, 0)],
  ]);
  console.log(`\nmedian ${seconds(mid)}: ${verdict(mid <= bound + 3000)} against lease TTL + schedule + 3 s start-up (${seconds(bound + 3000, 1)}); ${(KAFKA_CONNECT_DEFAULT_MS / mid).toFixed(0)}x faster than Kafka Connect's 300 s`);
  console.log(`delivery: ${appended} lines appended, ${check.missing.length} missing, ${check.duplicates} duplicates (replayed from the last offset commit before each kill)`);
  if (check.missing.length > 0) {
    console.log(`LOST RECORDS: ${check.missing.slice(0, 10).join(', ')}${check.missing.length > 10 ? ', …' : ''}`);
    process.exitCode = 1;
  }
}

main().catch((err: unknown) => {
  console.error(`bench failover failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  process.exit(1);
});
