// Conformance scenarios 5 (idempotent producers: a replayed batch gets its
// original offset, a gap 45, a stale epoch 47) and 12 (a broker restart keeps
// records, committed offsets, the next offset and producer state).
// The wire-level cases use the raw client: kafkajs and kcat never send a
// replay, a gap or a stale epoch on purpose.
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { useTestBroker } from '../helpers/broker-suite.js';
import { waitFor } from '../helpers/env.js';
import { collect, createKafka, text } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat.js';
import {
  RawKafkaClient,
  decodeRecordBatches,
  encodeRecordBatch,
  fetch,
  initProducerId,
  listOffsets,
  offsetCommit,
  offsetFetch,
  produce,
  type ProducePartitionResult,
} from '../helpers/raw-kafka.js';

const OUT_OF_ORDER_SEQUENCE_NUMBER = 45;
const INVALID_PRODUCER_EPOCH = 47;

/** One idempotent batch of `values`, as an idempotent producer would send it. */
function idempotentBatch(producerId: number, producerEpoch: number, baseSequence: number, values: string[]): Buffer {
  return encodeRecordBatch({ producerId, producerEpoch, baseSequence, records: values.map((v) => ({ value: v })) });
}

async function send(c: RawKafkaClient, version: number, topic: string, batch: Buffer): Promise<ProducePartitionResult> {
  const res = await produce(c, version, { topic, partition: 0, batch });
  if (!res) throw new Error('no produce response');
  return res;
}

async function highWatermark(c: RawKafkaClient, topic: string, partition = 0): Promise<number> {
  return (await listOffsets(c, 2, { topic, partition, timestamp: -1 })).offset;
}

async function allBatches(c: RawKafkaClient, topic: string, partition = 0) {
  const res = await fetch(c, { topic, partition, offset: 0 });
  expect(res.errorCode).toBe(0);
  return decodeRecordBatches(res.records);
}

describe('scenario 5: idempotent producers', () => {
  const { tb, cleanup, raw, newTopic } = useTestBroker();

  it('InitProducerId (v0 and v1, no transactional id) hands out a new producer id each time with epoch 0', async () => {
    const c = await raw();
    const ids = new Set<number>();
    for (const version of [0, 1, 1, 0]) {
      const res = await initProducerId(c, version);
      expect(res).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      expect(res.producerId).toBeGreaterThanOrEqual(0);
      ids.add(res.producerId);
    }
    expect(ids.size).toBe(4);
  });

  it('a replayed batch returns its original offset and appends nothing (Produce v3 and v7)', async () => {
    const topic = await newTopic('replay', 1);
    const c = await raw();
    const { producerId } = await initProducerId(c);
    const b0 = idempotentBatch(producerId, 0, 0, ['a', 'b', 'c']);
    const b1 = idempotentBatch(producerId, 0, 3, ['d', 'e']);

    expect(await send(c, 7, topic, b0)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await send(c, 3, topic, b1)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    // The response to both was "lost": the producer sends the same batches again.
    expect(await send(c, 7, topic, b0)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await send(c, 3, topic, b1)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await send(c, 5, topic, b1)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await highWatermark(c, topic)).toBe(5);

    // The next sequence goes on normally.
    expect(await send(c, 7, topic, idempotentBatch(producerId, 0, 5, ['f']))).toMatchObject({ errorCode: 0, baseOffset: 5 });
    const batches = await allBatches(c, topic);
    expect(batches.map((b) => [b.baseOffset, b.producerId, b.producerEpoch, b.baseSequence, b.recordsCount])).toEqual([
      [0, producerId, 0, 0, 3],
      [3, producerId, 0, 3, 2],
      [5, producerId, 0, 5, 1],
    ]);
    expect(batches.flatMap((b) => b.records!.map((r) => text(r.value)))).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
  });

  it('a sequence gap gives OUT_OF_ORDER_SEQUENCE_NUMBER (45) and appends nothing', async () => {
    const topic = await newTopic('gap', 1);
    const c = await raw();
    const { producerId } = await initProducerId(c);
    expect(await send(c, 7, topic, idempotentBatch(producerId, 0, 0, ['a', 'b']))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await send(c, 7, topic, idempotentBatch(producerId, 0, 3, ['skipped-one']))).toMatchObject({ errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await send(c, 3, topic, idempotentBatch(producerId, 0, 10, ['far']))).toMatchObject({ errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await highWatermark(c, topic)).toBe(2);
    // The right next sequence is still accepted.
    expect(await send(c, 7, topic, idempotentBatch(producerId, 0, 2, ['c']))).toMatchObject({ errorCode: 0, baseOffset: 2 });
  });

  it('a duplicate older than the last five batches gives 45; one within them its original offset', async () => {
    const topic = await newTopic('old-dup', 1);
    const c = await raw();
    const { producerId } = await initProducerId(c);
    const batches = Array.from({ length: 7 }, (_, seq) => idempotentBatch(producerId, 0, seq, [`r${seq}`]));
    for (const [seq, b] of batches.entries()) expect(await send(c, 7, topic, b)).toMatchObject({ errorCode: 0, baseOffset: seq });
    expect(await send(c, 7, topic, batches[0]!)).toMatchObject({ errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await send(c, 7, topic, batches[1]!)).toMatchObject({ errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await send(c, 7, topic, batches[2]!)).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(await send(c, 7, topic, batches[6]!)).toMatchObject({ errorCode: 0, baseOffset: 6 });
    expect(await highWatermark(c, topic)).toBe(7);
  });

  it('a stale epoch gives INVALID_PRODUCER_EPOCH (47); a new epoch must start at sequence 0', async () => {
    const topic = await newTopic('epoch', 1);
    const c = await raw();
    const { producerId } = await initProducerId(c);
    expect(await send(c, 7, topic, idempotentBatch(producerId, 0, 0, ['e0-0', 'e0-1']))).toMatchObject({ errorCode: 0, baseOffset: 0 });
    // A bumped epoch that does not start at 0 is out of order.
    expect(await send(c, 7, topic, idempotentBatch(producerId, 1, 2, ['e1-bad']))).toMatchObject({ errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await send(c, 7, topic, idempotentBatch(producerId, 1, 0, ['e1-0']))).toMatchObject({ errorCode: 0, baseOffset: 2 });
    // The old epoch is fenced now, whatever its sequence.
    expect(await send(c, 7, topic, idempotentBatch(producerId, 0, 2, ['e0-2']))).toMatchObject({ errorCode: INVALID_PRODUCER_EPOCH });
    expect(await send(c, 3, topic, idempotentBatch(producerId, 0, 0, ['e0-0', 'e0-1']))).toMatchObject({ errorCode: INVALID_PRODUCER_EPOCH });
    expect(await highWatermark(c, topic)).toBe(3);
    expect(await send(c, 7, topic, idempotentBatch(producerId, 1, 1, ['e1-1']))).toMatchObject({ errorCode: 0, baseOffset: 3 });
  });

  it('batches without a producer id (librdkafka −1/−1/−1, kafkajs −1/0/0) are never deduplicated', async () => {
    const topic = await newTopic('not-idempotent', 1);
    const c = await raw();
    const librdkafkaStyle = encodeRecordBatch({ producerId: -1, producerEpoch: -1, baseSequence: -1, records: [{ value: 'l' }] });
    const kafkajsStyle = encodeRecordBatch({ producerId: -1, producerEpoch: 0, baseSequence: 0, records: [{ value: 'k' }] });
    expect(await send(c, 7, topic, librdkafkaStyle)).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await send(c, 7, topic, librdkafkaStyle)).toMatchObject({ errorCode: 0, baseOffset: 1 });
    expect(await send(c, 7, topic, kafkajsStyle)).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(await send(c, 7, topic, kafkajsStyle)).toMatchObject({ errorCode: 0, baseOffset: 3 });
    expect(await highWatermark(c, topic)).toBe(4);
  });

  it('the kafkajs idempotent producer and kcat with enable.idempotence write sequenced batches', async () => {
    const topic = uniqueName('idempotent-clients');
    const producer = cleanup.client(createKafka(tb.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 }));
    await producer.connect();
    for (let i = 0; i < 3; i++) {
      const [res] = await producer.send({ topic, messages: [{ value: `kafkajs-${i}-a` }, { value: `kafkajs-${i}-b` }] });
      expect(res).toMatchObject({ errorCode: 0, baseOffset: String(i * 2) });
    }
    const viaKcat = await kcat(['-b', tb.bootstrap, '-P', '-t', topic, '-p', '0', '-X', 'enable.idempotence=true', '-X', 'linger.ms=5'], { input: 'kcat-0\nkcat-1\nkcat-2\n' });
    expect(viaKcat.code, viaKcat.stderr).toBe(0);

    const c = await raw();
    const batches = await allBatches(c, topic);
    const kafkajsBatches = batches.filter((b) => text(b.records![0]!.value)!.startsWith('kafkajs'));
    const kcatBatches = batches.filter((b) => text(b.records![0]!.value)!.startsWith('kcat'));
    expect(kafkajsBatches.map((b) => b.baseSequence)).toEqual([0, 2, 4]);
    expect(new Set(kafkajsBatches.map((b) => b.producerId)).size).toBe(1);
    expect(kafkajsBatches[0]!.producerId).toBeGreaterThanOrEqual(0);
    expect(kcatBatches[0]!.producerId).toBeGreaterThanOrEqual(0);
    expect(kcatBatches[0]!.producerId).not.toBe(kafkajsBatches[0]!.producerId);
    expect(kcatBatches[0]!.baseSequence).toBe(0);
    expect(kcatBatches.reduce((n, b) => n + b.recordsCount, 0)).toBe(3);

    const read = await kcat(['-b', tb.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%o|%s\\n']);
    expect(read.code, read.stderr).toBe(0);
    expect(read.stdout.split('\n').filter(Boolean)).toEqual([
      '0|kafkajs-0-a',
      '1|kafkajs-0-b',
      '2|kafkajs-1-a',
      '3|kafkajs-1-b',
      '4|kafkajs-2-a',
      '5|kafkajs-2-b',
      '6|kcat-0',
      '7|kcat-1',
      '8|kcat-2',
    ]);
  });
});

describe('scenario 12: broker restart', () => {
  // Small segments, so recovery has to read more than one.
  const { tb, cleanup, raw } = useTestBroker({ segmentBytes: 4096, partitions: 2 });

  it('records, committed offsets, the next offset and producer state survive; a replayed batch is still deduplicated', async () => {
    const topic = uniqueName('restart');
    const idemTopic = uniqueName('restart-idem');
    const groupId = uniqueName('restart-group');
    const rawGroup = uniqueName('restart-raw-group');

    // --- before the restart
    let kafka = createKafka(tb.bootstrap);
    const producer = cleanup.client(kafka.producer());
    await producer.connect();
    const expected: string[] = [];
    for (let i = 0; i < 40; i++) {
      const partition = i % 2;
      await producer.send({ topic, messages: [{ key: `k${i}`, value: `value-${i}-${'x'.repeat(200)}`, partition }] });
    }
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: [{ key: 'gz', value: 'gzipped', partition: 0 }] });
    for (let i = 0; i < 40; i++) expected.push(`k${i}|value-${i}-${'x'.repeat(200)}`);
    expected.push('gz|gzipped');

    const consumer = cleanup.client(kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 6000, heartbeatInterval: 500 }));
    await consumer.connect();
    const before = await collect(consumer, [topic]);
    await waitFor(() => before.length >= 41, { what: 'the group to read 41 records' });
    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    const committed = async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, p.offset]).sort();
    await waitFor(async () => JSON.stringify(await committed()) === JSON.stringify([[0, '21'], [1, '20']]), { what: 'offsets 21/20 committed' });
    await consumer.disconnect();

    await admin.createTopics({ topics: [{ topic: idemTopic, numPartitions: 1 }] });
    const c = await raw();
    expect(await offsetCommit(c, 7, { groupId: rawGroup, generationId: -1, memberId: '', topic, partition: 1, offset: 7, metadata: 'kept' })).toBe(0);
    const a = await initProducerId(c);
    const b = await initProducerId(c);
    const a0 = idempotentBatch(a.producerId, 0, 0, ['a0', 'a1']);
    const a2 = idempotentBatch(a.producerId, 0, 2, ['a2', 'a3']);
    expect(await produce(c, 7, { topic: idemTopic, partition: 0, batch: a0 })).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await produce(c, 7, { topic: idemTopic, partition: 0, batch: a2 })).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(await produce(c, 7, { topic: idemTopic, partition: 0, batch: idempotentBatch(b.producerId, 0, 0, ['b0']) })).toMatchObject({ errorCode: 0, baseOffset: 4 });
    expect(await produce(c, 7, { topic: idemTopic, partition: 0, batch: idempotentBatch(b.producerId, 1, 0, ['b1']) })).toMatchObject({ errorCode: 0, baseOffset: 5 });

    await cleanup.run();
    await tb.restart();

    // --- after the restart
    kafka = createKafka(tb.bootstrap);
    const c2 = await raw();

    // Records: every one, in order per partition, read by kcat.
    const read = await kcat(['-b', tb.bootstrap, '-C', '-t', topic, '-o', 'beginning', '-e', '-f', '%p|%o|%k|%s\\n', '-X', 'fetch.wait.max.ms=100']);
    expect(read.code, read.stderr).toBe(0);
    const rows = read.stdout.split('\n').filter(Boolean).map((l) => l.split('|'));
    for (const p of ['0', '1']) {
      const offsets = rows.filter((r) => r[0] === p).map((r) => Number(r[1]));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    expect(rows.map((r) => `${r[2]}|${r[3]}`).sort()).toEqual([...expected].sort());

    // The next offset: the log ends where it ended.
    expect(await listOffsets(c2, 2, { topic, partition: 0, timestamp: -1 })).toMatchObject({ offset: 21 });
    expect(await listOffsets(c2, 2, { topic, partition: 1, timestamp: -1 })).toMatchObject({ offset: 20 });
    expect(await listOffsets(c2, 2, { topic: idemTopic, partition: 0, timestamp: -1 })).toMatchObject({ offset: 6 });

    // Committed offsets, for both groups.
    const admin2 = cleanup.client(kafka.admin());
    await admin2.connect();
    expect((await admin2.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '21'],
      [1, '20'],
    ]);
    expect(await offsetFetch(c2, 5, { groupId: rawGroup, topic, partition: 1 })).toMatchObject({ offset: 7, metadata: 'kept' });

    // The group resumes with no redelivery; a new record gets the next offset.
    const producer2 = cleanup.client(kafka.producer());
    await producer2.connect();
    const [sent] = await producer2.send({ topic, messages: [{ key: 'after', value: 'after-restart', partition: 0 }] });
    expect(sent).toMatchObject({ errorCode: 0, baseOffset: '21' });
    const consumer2 = cleanup.client(kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 6000, heartbeatInterval: 500 }));
    await consumer2.connect();
    const after = await collect(consumer2, [topic]);
    await waitFor(() => after.length >= 1, { what: 'the group to read the new record' });
    expect(after.map((m) => [m.partition, m.offset, text(m.value)])).toEqual([[0, 21, 'after-restart']]);

    // Producer state: replays still deduplicated, the sequence goes on, gaps and stale epochs rejected.
    expect(await produce(c2, 7, { topic: idemTopic, partition: 0, batch: a2 })).toMatchObject({ errorCode: 0, baseOffset: 2 });
    expect(await produce(c2, 3, { topic: idemTopic, partition: 0, batch: a0 })).toMatchObject({ errorCode: 0, baseOffset: 0 });
    expect(await listOffsets(c2, 2, { topic: idemTopic, partition: 0, timestamp: -1 })).toMatchObject({ offset: 6 });
    expect(await produce(c2, 7, { topic: idemTopic, partition: 0, batch: idempotentBatch(a.producerId, 0, 9, ['gap']) })).toMatchObject({ errorCode: OUT_OF_ORDER_SEQUENCE_NUMBER });
    expect(await produce(c2, 7, { topic: idemTopic, partition: 0, batch: idempotentBatch(a.producerId, 0, 4, ['a4']) })).toMatchObject({ errorCode: 0, baseOffset: 6 });
    expect(await produce(c2, 7, { topic: idemTopic, partition: 0, batch: idempotentBatch(b.producerId, 0, 1, ['stale']) })).toMatchObject({ errorCode: INVALID_PRODUCER_EPOCH });
    expect(await produce(c2, 7, { topic: idemTopic, partition: 0, batch: idempotentBatch(b.producerId, 1, 1, ['b2']) })).toMatchObject({ errorCode: 0, baseOffset: 7 });

    // Producer ids are never reused.
    const fresh = await initProducerId(c2);
    expect(fresh.errorCode).toBe(0);
    expect([a.producerId, b.producerId]).not.toContain(fresh.producerId);
  });
});
