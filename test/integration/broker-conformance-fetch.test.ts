// Conformance scenarios 10 (long-poll: a parked fetch wakes on produce), 11
// (out-of-range fetch → OFFSET_OUT_OF_RANGE 1, and the clients reset) and 13
// (a record larger than the fetch limits is still delivered whole; a batch over
// message.max.bytes gets MESSAGE_TOO_LARGE 10).
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { useTestBroker } from '../helpers/broker-suite.js';
import { waitFor } from '../helpers/env.js';
import { collect, createKafka, text, type KafkaLog } from '../helpers/kafkajs.js';
import { kcat, spawnKcat } from '../helpers/kcat.js';
import { decodeRecordBatches, encodeRecordBatch, fetch, listOffsets, offsetCommit, produce } from '../helpers/raw-kafka.js';

const OFFSET_OUT_OF_RANGE = 1;
const MESSAGE_TOO_LARGE = 10;
/** What a produce-to-delivery takes at most here; the broker's long-poll is what is measured, not the machine. */
const WAKE_BOUND_MS = 1000;

const { tb, cleanup, raw, newTopic } = useTestBroker();

async function produceValues(topic: string, values: string[]): Promise<void> {
  const producer = cleanup.client(createKafka(tb.bootstrap).producer());
  await producer.connect();
  await producer.send({ topic, messages: values.map((value) => ({ value, partition: 0 })) });
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

describe('scenario 10: long-poll', () => {
  it('a parked Fetch waits up to max_wait_ms when idle, and answers as soon as a record arrives', async () => {
    const topic = await newTopic('long-poll-raw', 1);
    await produceValues(topic, ['first']);
    const c = await raw();

    // Idle: nothing past offset 1, so the broker holds the request for max_wait_ms.
    const idleStart = Date.now();
    const idle = await fetch(c, { topic, partition: 0, offset: 1, maxWaitMs: 800, minBytes: 1 });
    const idleMs = Date.now() - idleStart;
    expect(idle.errorCode).toBe(0);
    expect(decodeRecordBatches(idle.records)).toEqual([]);
    expect(idleMs).toBeGreaterThanOrEqual(700);
    expect(idleMs).toBeLessThan(5000);

    // Parked with a long wait: a produce on another connection wakes it.
    const parkedAt = Date.now();
    const parked = fetch(c, { topic, partition: 0, offset: 1, maxWaitMs: 10_000, minBytes: 1 });
    const other = await raw();
    await waitFor(() => Date.now() - parkedAt >= 300, { what: 'the fetch to be parked' });
    const producedAt = Date.now();
    expect(await produce(other, 7, { topic, partition: 0, batch: encodeRecordBatch({ records: [{ value: 'wake' }] }) })).toMatchObject({ errorCode: 0, baseOffset: 1 });
    const res = await parked;
    const wokeMs = Date.now() - producedAt;
    console.log(`raw Fetch woke ${wokeMs} ms after the produce was sent (max_wait_ms 10000)`);
    expect(wokeMs).toBeLessThan(WAKE_BOUND_MS);
    expect(decodeRecordBatches(res.records).flatMap((b) => b.records!.map((r) => text(r.value)))).toEqual(['wake']);
  });

  it('an idle kafkajs consumer (maxWaitTimeInMs 5000) gets a new message well within the wait', async () => {
    const topic = await newTopic('long-poll-kafkajs', 1);
    await produceValues(topic, ['warm-up']);
    const kafka = createKafka(tb.bootstrap);
    const consumer = cleanup.client(kafka.consumer({ groupId: uniqueName('long-poll'), maxWaitTimeInMs: 5000, sessionTimeout: 10_000, heartbeatInterval: 1000 }));
    const fetchStarts: number[] = [];
    consumer.on(consumer.events.FETCH_START, () => {
      fetchStarts.push(Date.now());
    });
    await consumer.connect();
    const received = await collect(consumer, [topic]);
    await waitFor(() => received.length >= 1, { what: 'the warm-up message' });
    // Idle now: a fetch has started after the warm-up and has been parked a while.
    const warmAt = received[0]!.receivedAt;
    await waitFor(() => fetchStarts.some((t) => t > warmAt && Date.now() - t >= 300), { what: 'an idle fetch to be parked' });

    const producer = cleanup.client(kafka.producer());
    await producer.connect();
    const producedAt = Date.now();
    await producer.send({ topic, messages: [{ value: 'wake-up', partition: 0 }] });
    await waitFor(() => received.length >= 2, { what: 'the new message' });
    const latency = received[1]!.receivedAt - producedAt;
    console.log(`kafkajs consumer got a new message ${latency} ms after produce (maxWaitTimeInMs 5000)`);
    expect(text(received[1]!.value)).toBe('wake-up');
    expect(latency).toBeLessThan(WAKE_BOUND_MS);

    // kafkajs disconnect waits for its parked fetch: stop it, then wake that fetch instead of waiting 5 s.
    const stopping = consumer.disconnect();
    await producer.send({ topic, messages: [{ value: 'release', partition: 0 }] });
    await stopping;
  });

  it('an idle kcat consumer (fetch.wait.max.ms 5000) prints a new message well within the wait', async () => {
    const topic = await newTopic('long-poll-kcat', 1);
    await produceValues(topic, ['before']);
    // From the beginning: once kcat has printed 'before', its next fetch (at the end) is parked for up to 5 s.
    const k = cleanup.child(spawnKcat(['-b', tb.bootstrap, '-C', '-t', topic, '-p', '0', '-o', 'beginning', '-u', '-f', '%s\\n', '-X', 'fetch.wait.max.ms=5000']));
    await waitFor(() => k.output() === 'before\n', { what: `kcat to read the first record; stderr: ${k.errors()}` });
    const idleFrom = Date.now();
    await waitFor(() => Date.now() - idleFrom >= 500, { what: 'kcat to be parked in a fetch' });

    const producer = cleanup.client(createKafka(tb.bootstrap).producer());
    await producer.connect();
    const producedAt = Date.now();
    await producer.send({ topic, messages: [{ value: 'kcat-wake-up', partition: 0 }] });
    await waitFor(() => k.output().includes('kcat-wake-up\n'), { what: `kcat to print the new message; stdout: ${k.output()}` });
    const latency = Date.now() - producedAt;
    console.log(`kcat printed a new message ${latency} ms after produce (fetch.wait.max.ms 5000)`);
    expect(latency).toBeLessThan(WAKE_BOUND_MS);
    expect(k.output()).toBe('before\nkcat-wake-up\n');
  });
});

describe('scenario 11: out-of-range fetch', () => {
  it('Fetch past the high watermark or below the log start gets 1; at the high watermark it is empty, not an error', async () => {
    const topic = await newTopic('oor-raw', 1);
    await produceValues(topic, ['a', 'b', 'c']);
    const c = await raw();
    const atEnd = await fetch(c, { topic, partition: 0, offset: 3 });
    expect(atEnd).toMatchObject({ errorCode: 0, highWatermark: 3, lastStableOffset: 3, logStartOffset: 0, preferredReadReplica: -1 });
    expect(decodeRecordBatches(atEnd.records)).toEqual([]);
    for (const offset of [4, 1000, -5]) {
      const res = await fetch(c, { topic, partition: 0, offset });
      expect(res.errorCode, `fetch at ${offset}`).toBe(OFFSET_OUT_OF_RANGE);
      expect(res.highWatermark, `fetch at ${offset}`).toBe(3);
      expect(decodeRecordBatches(res.records)).toEqual([]);
    }
  });

  it('a kafkajs group whose committed offset is out of range resets: to the earliest with fromBeginning, else to the latest', async () => {
    const topic = await newTopic('oor-kafkajs', 1);
    await produceValues(topic, ['a', 'b', 'c']);
    const logs: KafkaLog[] = [];
    const kafka = createKafka(tb.bootstrap, { logs });
    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    const earliestGroup = uniqueName('oor-earliest');
    const latestGroup = uniqueName('oor-latest');
    // A commit far past the end, as a stale or foreign offset would be (the "simple" commit of an empty group).
    const c = await raw();
    for (const groupId of [earliestGroup, latestGroup]) expect(await offsetCommit(c, 7, { groupId, generationId: -1, memberId: '', topic, partition: 0, offset: 1000 })).toBe(0);

    const earliest = cleanup.client(kafka.consumer({ groupId: earliestGroup, maxWaitTimeInMs: 200 }));
    await earliest.connect();
    const fromStart = await collect(earliest, [topic], { fromBeginning: true });
    await waitFor(() => fromStart.length >= 3, { what: 'the reset consumer to read from offset 0' });
    expect(fromStart.map((m) => [m.offset, text(m.value)])).toEqual([
      [0, 'a'],
      [1, 'b'],
      [2, 'c'],
    ]);
    expect(logs.some((l) => /Offset out of range/.test(l.message))).toBe(true);

    logs.length = 0;
    const latest = cleanup.client(kafka.consumer({ groupId: latestGroup, maxWaitTimeInMs: 200 }));
    const fetchStarts: number[] = [];
    latest.on(latest.events.FETCH_START, () => {
      fetchStarts.push(Date.now());
    });
    await latest.connect();
    const fromEnd = await collect(latest, [topic], { fromBeginning: false });
    await waitFor(() => logs.some((l) => /Offset out of range/.test(l.message)), { what: 'kafkajs to see OFFSET_OUT_OF_RANGE' });
    const resetAt = Date.now();
    await waitFor(() => fetchStarts.some((t) => t > resetAt), { what: 'a fetch from the reset offset' });
    await produceValues(topic, ['d']);
    await waitFor(() => fromEnd.length >= 1, { what: 'the new record' });
    expect(fromEnd.map((m) => [m.offset, text(m.value)])).toEqual([[3, 'd']]);
  });

  it('kcat from an offset past the end: auto.offset.reset=smallest rereads, =largest reads nothing, =error reports the broker error', async () => {
    const topic = await newTopic('oor-kcat', 1);
    await produceValues(topic, ['a', 'b', 'c']);
    const base = ['-b', tb.bootstrap, '-C', '-t', topic, '-p', '0', '-o', '1000', '-e', '-f', '%o|%s\\n', '-X', 'fetch.wait.max.ms=100'];

    const smallest = await kcat([...base, '-X', 'auto.offset.reset=smallest']);
    expect(smallest.code, smallest.stderr).toBe(0);
    expect(smallest.stdout.split('\n').filter(Boolean)).toEqual(['0|a', '1|b', '2|c']);

    const largest = await kcat([...base, '-X', 'auto.offset.reset=largest']);
    expect(largest.code, largest.stderr).toBe(0);
    expect(largest.stdout).toBe('');

    const error = await kcat([...base, '-X', 'auto.offset.reset=error'], { timeoutMs: 15_000 });
    expect(error.stdout).toBe('');
    expect(error.stderr).toMatch(/offset out of range/i);
  });
});

describe('scenario 13: large records and MESSAGE_TOO_LARGE', () => {
  it('a 900 KB record is delivered whole despite small per-partition and total fetch limits (kafkajs, kcat, raw)', async () => {
    const topic = await newTopic('big', 1);
    // Printable and incompressible, so kcat can print it on one line.
    const big = randomBytes(675 * 1024).toString('base64'); // 921,600 chars = 900 KB
    expect(big.length).toBe(900 * 1024);
    const producer = cleanup.client(createKafka(tb.bootstrap).producer());
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'small-before', partition: 0 }] });
    await producer.send({ topic, messages: [{ value: big, partition: 0 }] });
    await producer.send({ topic, messages: [{ value: 'small-after', partition: 0 }] });

    // Raw: the limits are 1 KB, yet each fetch returns at least one whole batch.
    const c = await raw();
    const first = await fetch(c, { topic, partition: 0, offset: 0, maxBytes: 1024, partitionMaxBytes: 1024 });
    expect(first.errorCode).toBe(0);
    expect(decodeRecordBatches(first.records)[0]!.records!.map((r) => text(r.value))).toEqual(['small-before']);
    const second = await fetch(c, { topic, partition: 0, offset: 1, maxBytes: 1024, partitionMaxBytes: 1024 });
    expect(second.errorCode).toBe(0);
    const bigBatch = decodeRecordBatches(second.records)[0]!;
    expect(bigBatch.baseOffset).toBe(1);
    expect(bigBatch.crcValid).toBe(true);
    expect(sha(bigBatch.records![0]!.value!)).toBe(sha(big));

    // kafkajs with 1 KB per partition and 2 KB per fetch.
    const consumer = cleanup.client(createKafka(tb.bootstrap).consumer({ groupId: uniqueName('big'), maxBytesPerPartition: 1024, maxBytes: 2048, maxWaitTimeInMs: 200 }));
    await consumer.connect();
    const received = await collect(consumer, [topic]);
    await waitFor(() => received.length >= 3, { what: 'kafkajs to read all three records' });
    expect(received.map((m) => m.offset)).toEqual([0, 1, 2]);
    expect(received[1]!.value!.length).toBe(big.length);
    expect(sha(received[1]!.value!)).toBe(sha(big));
    expect(text(received[2]!.value)).toBe('small-after');

    // kcat with 1 KB per partition.
    const read = await kcat(['-b', tb.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o|%s\\n', '-X', 'fetch.message.max.bytes=1024', '-X', 'fetch.wait.max.ms=100']);
    expect(read.code, read.stderr).toBe(0);
    const lines = read.stdout.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('0|small-before');
    expect(lines[1]!.length).toBe(2 + big.length);
    expect(sha(lines[1]!.slice(2))).toBe(sha(big));
    expect(lines[2]).toBe('2|small-after');
  });

  it('a batch over message.max.bytes gets MESSAGE_TOO_LARGE (kafkajs, kcat, raw) and appends nothing', async () => {
    const topic = await newTopic('too-big', 1);
    const tooBig = randomBytes(900 * 1024).toString('base64'); // 1.2 MB > 1048588
    const c = await raw();

    // kafkajs: a non-retriable protocol error of type MESSAGE_TOO_LARGE.
    const producer = cleanup.client(createKafka(tb.bootstrap).producer({ retry: { retries: 0 } }));
    await producer.connect();
    const err = await producer.send({ topic, messages: [{ value: tooBig, partition: 0 }] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err, 'kafkajs send of 1.2 MB must fail').not.toBeNull();
    const chain: Array<{ name?: string; type?: string; code?: number }> = [];
    for (let e = err as { name?: string; type?: string; code?: number; cause?: unknown } | undefined; e; e = e.cause as typeof e) chain.push(e);
    expect(chain.map((e) => e.type)).toContain('MESSAGE_TOO_LARGE');
    expect(chain.find((e) => e.type === 'MESSAGE_TOO_LARGE')).toMatchObject({ name: 'KafkaJSProtocolError', code: MESSAGE_TOO_LARGE });

    // kcat: librdkafka would refuse locally at its own message.max.bytes (1000000), so raise that; the broker refuses.
    const viaKcat = await kcat(['-b', tb.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'message.max.bytes=3000000'], { input: tooBig + '\n' });
    expect(viaKcat.stderr).toMatch(/Message size too large/i);

    // Raw, both ends of the Produce range.
    const batch = encodeRecordBatch({ records: [{ value: tooBig }] });
    expect(await produce(c, 3, { topic, partition: 0, batch })).toMatchObject({ errorCode: MESSAGE_TOO_LARGE });
    expect(await produce(c, 7, { topic, partition: 0, batch })).toMatchObject({ errorCode: MESSAGE_TOO_LARGE });

    expect(await listOffsets(c, 2, { topic, partition: 0, timestamp: -1 })).toMatchObject({ offset: 0 });
    // Just under the limit is fine.
    const fits = encodeRecordBatch({ records: [{ value: 'y'.repeat(1_048_588 - 200) }] });
    expect(fits.length).toBeLessThanOrEqual(1_048_588);
    expect(await produce(c, 7, { topic, partition: 0, batch: fits })).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });
});
