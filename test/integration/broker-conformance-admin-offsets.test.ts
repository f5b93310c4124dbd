// Conformance scenarios 4 (CreateTopics, ListOffsets −1/−2/timestamp agree
// between kafkajs and kcat -Q) and 6 (committed offsets: a group restarts
// where it left off, across kafkajs and kcat).
import { CompressionTypes } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { useTestBroker } from '../helpers/broker-suite.js';
import { waitFor } from '../helpers/env.js';
import { collect, createKafka, text } from '../helpers/kafkajs.js';
import { kcat } from '../helpers/kcat.js';
import { listOffsets, offsetCommit, offsetFetch } from '../helpers/raw-kafka.js';

const { tb, cleanup, raw } = useTestBroker();

/** kcat -Q answers, one "topic [p] offset N" line per partition asked. */
async function kcatQuery(topic: string, queries: Array<[partition: number, timestamp: number]>): Promise<Map<number, number>> {
  const args = ['-b', tb.bootstrap, '-Q'];
  for (const [p, ts] of queries) args.push('-t', `${topic}:${p}:${ts}`);
  const res = await kcat(args);
  expect(res.code, res.stderr).toBe(0);
  const out = new Map<number, number>();
  for (const m of res.stdout.matchAll(/ \[(\d+)\] offset (-?\d+)/g)) out.set(Number(m[1]), Number(m[2]));
  expect(out.size, res.stdout).toBe(queries.length);
  return out;
}

describe('scenario 4: CreateTopics and ListOffsets', () => {
  it('creates a 3-partition topic once; a second create returns false', async () => {
    const topic = uniqueName('create');
    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(true);
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] })).toBe(false);
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2]);

    // kafkajs sends −1 partitions / −1 replication for "broker default" (1 here).
    const byDefault = uniqueName('create-default');
    expect(await admin.createTopics({ topics: [{ topic: byDefault }] })).toBe(true);
    const meta = await admin.fetchTopicMetadata({ topics: [byDefault] });
    expect(meta.topics[0]!.partitions).toHaveLength(1);

    // kcat sees the created topic and partition count too.
    const res = await kcat(['-b', tb.bootstrap, '-L', '-t', topic]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain(`topic "${topic}" with 3 partitions:`);
  });

  it('ListOffsets log end (−1), log start (−2) and by timestamp agree between kafkajs, kcat -Q and every version', async () => {
    const topic = uniqueName('list-offsets');
    const kafka = createKafka(tb.bootstrap);
    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const producer = cleanup.client(kafka.producer());
    await producer.connect();
    const t0 = Date.now() - 60_000;
    // p0: 3 records 1 s apart, p1: 5 records 1 s apart, in separate batches; p2: empty.
    for (const [partition, n] of [
      [0, 3],
      [1, 5],
    ] as const) {
      for (let i = 0; i < n; i++) await producer.send({ topic, messages: [{ value: `p${partition}-${i}`, partition, timestamp: String(t0 + i * 1000) }] });
    }

    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.map((p) => [p.partition, p.low, p.high, p.offset]).sort()).toEqual([
      [0, '0', '3', '3'],
      [1, '0', '5', '5'],
      [2, '0', '0', '0'],
    ]);
    const kcatEnd = await kcatQuery(topic, [
      [0, -1],
      [1, -1],
      [2, -1],
    ]);
    expect([...kcatEnd.entries()].sort()).toEqual([
      [0, 3],
      [1, 5],
      [2, 0],
    ]);
    const kcatStart = await kcatQuery(topic, [
      [0, -2],
      [1, -2],
      [2, -2],
    ]);
    expect([...kcatStart.entries()].sort()).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);

    // Between the 2nd and 3rd record: the first offset with timestamp ≥ it is 2.
    const mid = t0 + 1500;
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, mid);
    // kafkajs turns "none" (−1) into the high watermark: p2 is empty, so 0.
    expect(byTime.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '2'],
      [1, '2'],
      [2, '0'],
    ]);
    const kcatMid = await kcatQuery(topic, [
      [0, mid],
      [1, mid],
      [2, mid],
    ]);
    expect([...kcatMid.entries()].sort()).toEqual([
      [0, 2],
      [1, 2],
      [2, -1],
    ]);
    // Exactly on a record's timestamp: that record.
    expect([...(await kcatQuery(topic, [[1, t0 + 3000]])).entries()]).toEqual([[1, 3]]);
    // After every record: −1 from kcat (kafkajs would show the high watermark).
    const late = t0 + 10 * 60_000;
    expect([...(await kcatQuery(topic, [[0, late]])).entries()]).toEqual([[0, -1]]);
    const lateKafkajs = await admin.fetchTopicOffsetsByTimestamp(topic, late);
    expect(lateKafkajs.find((p) => p.partition === 0)!.offset).toBe('3');

    // Every advertised ListOffsets version finds the same offsets.
    const c = await raw();
    const answers: Array<{ version: number; query: string; errorCode: number; offset: number; timestamp: number }> = [];
    for (const version of [1, 2, 3]) {
      for (const [query, partition, timestamp] of [
        ['end', 1, -1],
        ['start', 1, -2],
        ['mid', 1, mid],
        ['late', 1, late],
        ['unknown partition', 7, -1],
      ] as const) {
        answers.push({ version, query, ...(await listOffsets(c, version, { topic, partition, timestamp })) });
      }
    }
    for (const version of [1, 2, 3]) {
      const got = Object.fromEntries(answers.filter((a) => a.version === version).map((a) => [a.query, [a.errorCode, a.offset]]));
      expect(got, `ListOffsets v${version}`).toEqual({ end: [0, 5], start: [0, 0], mid: [0, 2], late: [0, -1], 'unknown partition': [3, -1] });
    }
    // The timestamp returned with a by-time answer is that record's timestamp; none found is −1/−1.
    for (const a of answers.filter((x) => x.query === 'mid')) expect(a.timestamp, `v${a.version} timestamp of offset 2`).toBe(t0 + 2000);
    for (const a of answers.filter((x) => x.query === 'late')) expect(a.timestamp, `v${a.version} timestamp when none found`).toBe(-1);
  });
  it('by timestamp inside one batch: the exact record, not the batch start (plain and gzip)', async () => {
    const topic = uniqueName('list-offsets-in-batch');
    const kafka = createKafka(tb.bootstrap);
    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = cleanup.client(kafka.producer());
    await producer.connect();
    const t0 = Date.now() - 60_000;
    // One batch per partition, four records 100 ms apart: p0 plain, p1 gzip.
    for (const [partition, compression] of [
      [0, CompressionTypes.None],
      [1, CompressionTypes.GZIP],
    ] as const) {
      await producer.send({ topic, compression, messages: [0, 1, 2, 3].map((i) => ({ value: `r${i}`, partition, timestamp: String(t0 + i * 100) })) });
    }
    const c = await raw();
    for (const partition of [0, 1]) {
      for (const version of [1, 2, 3]) {
        expect(await listOffsets(c, version, { topic, partition, timestamp: t0 + 150 }), `p${partition} v${version}`).toEqual({ errorCode: 0, offset: 2, timestamp: t0 + 200 });
        expect(await listOffsets(c, version, { topic, partition, timestamp: t0 + 300 }), `p${partition} v${version}`).toEqual({ errorCode: 0, offset: 3, timestamp: t0 + 300 });
      }
    }
    const q = await kcatQuery(topic, [
      [0, t0 + 150],
      [1, t0 + 250],
    ]);
    expect([...q.entries()].sort()).toEqual([
      [0, 2],
      [1, 3],
    ]);
    const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, t0 + 50);
    expect(byTime.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '1'],
      [1, '1'],
    ]);
  });
});

describe('scenario 6: committed offsets', () => {
  it('a group commits, restarts and continues with no redelivery, across kafkajs and kcat -G', async () => {
    const topic = uniqueName('commit');
    const groupId = uniqueName('commit-group');
    const kafka = createKafka(tb.bootstrap);
    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = cleanup.client(kafka.producer());
    await producer.connect();
    const send = (from: number, to: number) =>
      producer.send({ topic, messages: Array.from({ length: to - from }, (_, i) => ({ value: `m${from + i}`, partition: 0 })) });

    // Nothing committed yet: −1, and an unknown group is not an error.
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toMatchObject([{ topic, partitions: [{ partition: 0, offset: '-1' }] }]);

    // 1. kafkajs reads m0..m4 and commits.
    await send(0, 5);
    const first = cleanup.client(kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 6000, heartbeatInterval: 500 }));
    await first.connect();
    const got1 = await collect(first, [topic]);
    await waitFor(() => got1.length >= 5, { what: 'first consumer to read 5' });
    await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset === '5', { what: 'offset 5 committed' });
    await first.disconnect();
    expect(got1.map((m) => text(m.value))).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);

    // 2. kcat -G in the same group continues at m5 and exits at the end (committing on close).
    await send(5, 8);
    const kc = await kcat(
      ['-b', tb.bootstrap, '-G', groupId, '-e', '-f', '%o|%s\\n', '-X', 'session.timeout.ms=6000', '-X', 'heartbeat.interval.ms=500', '-X', 'fetch.wait.max.ms=100', '-X', 'auto.offset.reset=earliest', topic],
      { timeoutMs: 30_000 },
    );
    expect(kc.code, kc.stderr).toBe(0);
    expect(kc.stdout.split('\n').filter(Boolean)).toEqual(['5|m5', '6|m6', '7|m7']);
    await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset === '8', { what: 'kcat to commit offset 8' });

    // 3. kafkajs again: only what came after.
    await send(8, 10);
    const second = cleanup.client(kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 6000, heartbeatInterval: 500 }));
    await second.connect();
    const got2 = await collect(second, [topic]);
    await waitFor(() => got2.length >= 2, { what: 'second consumer to read 2' });
    expect(got2.map((m) => [m.offset, text(m.value)])).toEqual([
      [8, 'm8'],
      [9, 'm9'],
    ]);
    await waitFor(async () => (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]!.partitions[0]!.offset === '10', { what: 'offset 10 committed' });
  });

  it('commits for an empty group (generation −1, no member) with metadata, readable by every OffsetFetch version', async () => {
    const topic = uniqueName('commit-raw');
    const groupId = uniqueName('commit-raw-group');
    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const c = await raw();

    for (const version of [2, 3, 4, 5, 6, 7]) {
      const offset = 100 + version;
      const code = await offsetCommit(c, version, { groupId, generationId: -1, memberId: '', topic, partition: 0, offset, metadata: `v${version}` });
      expect(code, `OffsetCommit v${version}`).toBe(0);
      for (const fetchVersion of [1, 2, 3, 4, 5]) {
        const got = await offsetFetch(c, fetchVersion, { groupId, topic, partition: 0 });
        expect(got, `OffsetFetch v${fetchVersion} after commit v${version}`).toMatchObject({ errorCode: 0, partitionErrorCode: 0, offset, metadata: `v${version}` });
        if (fetchVersion >= 5) expect(got.leaderEpoch).toBe(-1);
      }
    }
    // kafkajs fetchOffsets reads the same.
    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toMatchObject([{ topic, partitions: [{ partition: 0, offset: '107', metadata: 'v7' }] }]);
    // An unknown group: −1, no error.
    expect(await offsetFetch(c, 5, { groupId: uniqueName('nobody'), topic, partition: 0 })).toMatchObject({ errorCode: 0, partitionErrorCode: 0, offset: -1 });
  });
});

describe('admin: ListGroups, DescribeGroups, DeleteTopics (kafkajs)', () => {
  it('lists and describes a running group, then deletes its topic; producing again starts a fresh log', async () => {
    const topic = uniqueName('admin');
    const groupId = uniqueName('admin-group');
    const kafka = createKafka(tb.bootstrap);
    const admin = cleanup.client(kafka.admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const consumer = cleanup.client(kafka.consumer({ groupId, maxWaitTimeInMs: 200, sessionTimeout: 6000, heartbeatInterval: 500 }));
    await consumer.connect();
    await collect(consumer, [topic]);

    const { groups } = await admin.listGroups();
    expect(groups).toContainEqual({ groupId, protocolType: 'consumer' });
    const described = await waitFor(
      async () => {
        const d = (await admin.describeGroups([groupId])).groups[0]!;
        return d.state === 'Stable' ? d : undefined;
      },
      { what: 'the group to be Stable' },
    );
    expect(described).toMatchObject({ groupId, errorCode: 0, protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
    expect(described.members).toHaveLength(1);
    expect(described.members[0]!.clientId).toBe('conformance');
    expect(described.members[0]!.memberAssignment.length).toBeGreaterThan(0);
    await consumer.disconnect();
    await waitFor(async () => (await admin.describeGroups([groupId])).groups[0]!.state === 'Empty', { what: 'the group to be Empty after leaving' });

    const producer = cleanup.client(kafka.producer());
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'old', partition: 1 }] });
    await admin.deleteTopics({ topics: [topic] });
    await waitFor(async () => !(await admin.listTopics()).includes(topic), { what: 'the topic to be gone' });
    const c = await raw();
    expect(await listOffsets(c, 2, { topic, partition: 1, timestamp: -1 })).toMatchObject({ errorCode: 3 });
    // Producing again auto-creates it, empty: offsets start over.
    const [again] = await producer.send({ topic, messages: [{ value: 'new', partition: 0 }] });
    expect(again).toMatchObject({ errorCode: 0, baseOffset: '0' });
  });
});
