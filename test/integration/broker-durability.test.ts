// Durability of the broker as users run it (`slipway broker` in a child
// process): what was acknowledged survives a clean restart, a kill -9 in the
// middle of a produce stream, and a torn batch at the tail of a segment.
// Every check reads the log back with kcat, an independent client.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Cleanup, uniqueName } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/cli-broker.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { createKafka } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat.js';

interface Consumed {
  partition: number;
  offset: number;
  value: string;
}

/** Everything in the topic from the beginning to the end, read by kcat. */
async function consumeAll(bootstrap: string, topic: string): Promise<Consumed[]> {
  const r = await kcat(['-C', '-b', bootstrap, '-t', topic, '-o', 'beginning', '-e', '-q', '-f', '%p %o %s\n'], { timeoutMs: 30_000 });
  expect(r.code, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [p, o, ...v] = line.split(' ');
      return { partition: Number(p), offset: Number(o), value: v.join(' ') };
    });
}

/** Each partition's offsets are 0, 1, 2, … with no gap; returns the count per partition. */
function expectContiguous(records: Consumed[]): Map<number, number> {
  const next = new Map<number, number>();
  for (const r of records) {
    expect(r.offset, `partition ${r.partition}`).toBe(next.get(r.partition) ?? 0);
    next.set(r.partition, r.offset + 1);
  }
  return next;
}

function lastSegment(dataDir: string, topic: string, partition: number): string {
  const dir = path.join(dataDir, 'topics', topic, String(partition));
  const segments = fs.readdirSync(dir).filter((f) => /^\d{20}\.log$/.test(f)).sort();
  expect(segments.length, `segments in ${dir}`).toBeGreaterThan(0);
  return path.join(dir, segments.at(-1)!);
}

/** The byte ranges of the RecordBatches in a segment file (batchLength at byte 8 = size − 12). */
function batchesIn(segment: Buffer): Array<{ start: number; end: number }> {
  const out: Array<{ start: number; end: number }> = [];
  for (let at = 0; at + 12 <= segment.length; ) {
    const end = at + 12 + segment.readInt32BE(at + 8);
    if (end > segment.length) break;
    out.push({ start: at, end });
    at = end;
  }
  return out;
}

describe('broker durability (slipway broker child process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let dataDir: string;
  let cleanup: Cleanup;
  const brokers: BrokerProcess[] = [];

  const start = async (opts: { port?: number; partitions?: number } = {}) => {
    const b = await startBrokerProcess({ dataDir, ...opts });
    brokers.push(b);
    return b;
  };

  beforeEach(() => {
    tmp = tempDir('slipway-durability-');
    dataDir = path.join(tmp.dir, 'data');
    cleanup = new Cleanup();
  });

  afterEach(async () => {
    await cleanup.run();
    for (const b of brokers.splice(0)) await b.kill9();
    tmp.cleanup();
  });

  it('keeps every acknowledged record across a SIGTERM restart', async () => {
    const topic = uniqueName('restart');
    const N = 3000;
    let broker = await start({ partitions: 3 });
    const producer = cleanup.client(createKafka(broker.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 }));
    await producer.connect();
    for (let i = 0; i < N; i += 100) {
      const messages = Array.from({ length: 100 }, (_, j) => ({ key: `k${i + j}`, value: `m${i + j}` }));
      await producer.send({ topic, acks: -1, messages });
    }
    await producer.disconnect();

    expect(await broker.stop()).toEqual({ code: 0, signal: null });
    broker = await start({ port: broker.port, partitions: 3 });

    // A kafkajs group consumer reads it all back...
    const kafka = createKafka(broker.bootstrap);
    const consumer = cleanup.client(kafka.consumer({ groupId: uniqueName('restart-group') }));
    const seen: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.length >= N, { timeoutMs: 40_000, what: `${N} records` });
    expect(new Set(seen).size).toBe(N);
    expect([...seen].sort()).toEqual(Array.from({ length: N }, (_, i) => `m${i}`).sort());

    // ...and kcat sees exactly N records at contiguous offsets, nothing more.
    const records = await consumeAll(broker.bootstrap, topic);
    expect(records).toHaveLength(N);
    const perPartition = expectContiguous(records);
    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.map((p) => [p.partition, Number(p.high)]).sort()).toEqual([...perPartition.entries()].sort());
  });

  it('loses no acknowledged record when killed -9 in the middle of a produce stream', async () => {
    const topic = uniqueName('kill9');
    const BATCH = 20;
    let broker = await start({ partitions: 3 });
    const producer: Producer = cleanup.client(
      createKafka(broker.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1, retry: { retries: 2, initialRetryTime: 50, maxRetryTime: 200 } }),
    );
    await producer.connect();

    // Each value is a unique sequence number; a send that resolved is acknowledged (acks=all).
    const acked = new Set<number>();
    let sent = 0;
    let killed = false;
    const stream = (async () => {
      while (!killed) {
        const values = Array.from({ length: BATCH }, () => sent++);
        try {
          await producer.send({ topic, acks: -1, messages: values.map((v) => ({ key: `k${v % 11}`, value: String(v) })) });
          for (const v of values) acked.add(v);
        } catch (err) {
          if (!killed) throw err;
        }
      }
    })();

    await waitFor(() => acked.size >= 3000, { timeoutMs: 30_000, what: 'the produce stream to get going' });
    // The loop sends the next batch as soon as one is acknowledged: a send is in flight now.
    await broker.kill9();
    killed = true;
    await stream;
    await producer.disconnect().catch(() => undefined);

    broker = await start({ port: broker.port, partitions: 3 });
    const records = await consumeAll(broker.bootstrap, topic);
    expectContiguous(records);

    const counts = new Map<number, number>();
    for (const r of records) counts.set(Number(r.value), (counts.get(Number(r.value)) ?? 0) + 1);
    const missing = [...acked].filter((v) => !counts.has(v));
    const duplicated = [...acked].filter((v) => (counts.get(v) ?? 0) > 1);
    expect(missing, `acknowledged but lost (of ${acked.size})`).toEqual([]);
    expect(duplicated, 'acknowledged and duplicated').toEqual([]);
    // Beyond the acknowledged ones only the batch in flight at the kill may have landed.
    const unacked = [...counts.keys()].filter((v) => !acked.has(v));
    expect(unacked.length).toBeLessThanOrEqual(BATCH);
    expect(unacked.every((v) => v < sent)).toBe(true);
    expect(records.length).toBe(acked.size + unacked.length);
  });

  describe.each([
    ['half a batch', (segment: Buffer) => segment.subarray(0, Math.floor(batchesIn(segment)[0]!.end / 2))],
    ['garbage bytes', () => crypto.randomBytes(97)],
    [
      'a whole batch with a bad CRC',
      (segment: Buffer) => {
        const last = batchesIn(segment).at(-1)!;
        const copy = Buffer.from(segment.subarray(last.start, last.end));
        copy[copy.length - 1] ^= 0xff; // inside the records, under the CRC
        return copy;
      },
    ],
  ])('a torn tail (%s) after a clean stop', (_name, tail) => {
    it('is cut off with a warning; old records are served and new ones follow contiguously', async () => {
      const topic = uniqueName('torn');
      const N = 500;
      let broker = await start();
      const kafka = createKafka(broker.bootstrap);
      const producer = cleanup.client(kafka.producer({ idempotent: true }));
      await producer.connect();
      for (let i = 0; i < N; i += 50) {
        await producer.send({ topic, acks: -1, messages: Array.from({ length: 50 }, (_, j) => ({ value: `m${i + j}` })) });
      }
      await producer.disconnect();
      expect((await broker.stop()).code).toBe(0);

      const segment = lastSegment(dataDir, topic, 0);
      const before = fs.readFileSync(segment);
      fs.appendFileSync(segment, tail(before));

      broker = await start({ port: broker.port });
      const warnings = broker.logs().filter((l) => l.level === 'warn' && JSON.stringify(l).includes(topic));
      expect(warnings, `a warn line about the torn tail of ${topic}`).not.toEqual([]);

      const old = await consumeAll(broker.bootstrap, topic);
      expect(old.map((r) => r.value)).toEqual(Array.from({ length: N }, (_, i) => `m${i}`));
      expectContiguous(old);

      const again = cleanup.client(createKafka(broker.bootstrap).producer({ idempotent: true }));
      await again.connect();
      const [meta] = await again.send({ topic, acks: -1, messages: Array.from({ length: 10 }, (_, j) => ({ value: `n${j}` })) });
      expect(Number(meta!.baseOffset)).toBe(N);

      const all = await consumeAll(broker.bootstrap, topic);
      expect(all).toHaveLength(N + 10);
      expectContiguous(all);
      expect(all.slice(N).map((r) => r.value)).toEqual(Array.from({ length: 10 }, (_, j) => `n${j}`));
    });
  });
});
