// Conformance scenario 1 (metadata: kcat -L, kafkajs describeCluster) and the
// handshake quirks of shared/kafka-protocol.md: advertised versions,
// librdkafka's ApiVersions v3 probe, no ApiVersions required, pipelining,
// acks=0, auto-creation on produce only.
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { useTestBroker } from '../helpers/broker-suite.js';
import { waitFor } from '../helpers/env.js';
import { kcat, spawnKcat } from '../helpers/kcat.js';
import { createKafka, text } from '../helpers/kafkajs.js';
import {
  ApiKey,
  Enc,
  apiVersions,
  apiVersionsV3Probe,
  consumerAssignment,
  consumerSubscription,
  decodeRecordBatches,
  encodeRecordBatch,
  fetch,
  findCoordinator,
  heartbeat,
  joinGroup,
  leaveGroup,
  metadata,
  produce,
  syncGroup,
  type ApiVersionRange,
} from '../helpers/raw-kafka.js';

// The table in shared/kafka-protocol.md: every required API with exactly this range.
const REQUIRED: Record<number, [number, number]> = {
  0: [3, 7], // Produce
  1: [4, 11], // Fetch
  2: [1, 3], // ListOffsets
  3: [1, 6], // Metadata
  8: [2, 7], // OffsetCommit
  9: [1, 5], // OffsetFetch
  10: [0, 2], // FindCoordinator
  11: [0, 5], // JoinGroup
  12: [0, 3], // Heartbeat
  13: [0, 3], // LeaveGroup
  14: [0, 3], // SyncGroup
  15: [0, 2], // DescribeGroups
  16: [0, 2], // ListGroups
  18: [0, 2], // ApiVersions
  19: [0, 4], // CreateTopics
  20: [0, 1], // DeleteTopics
  22: [0, 1], // InitProducerId
};
// Optional ones: advertised or not, but if advertised then with this range.
const OPTIONAL: Record<number, [number, number]> = {
  21: [0, 1], // DeleteRecords
  32: [0, 2], // DescribeConfigs
  37: [0, 1], // CreatePartitions
  42: [0, 1], // DeleteGroups
};
// Transactions may come later; their ranges are not fixed by the doc.
const TRANSACTIONS = new Set([24, 25, 26, 28]);

const { tb, cleanup, raw } = useTestBroker();

describe('scenario 1: metadata', () => {
  it('kcat -L lists this broker as the controller and the topic with its partitions', async () => {
    const topic = uniqueName('meta');
    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true })).toBe(true);
    const { brokers, controller } = await admin.describeCluster();
    const nodeId = brokers[0]!.nodeId;

    const res = await kcat(['-b', tb.bootstrap, '-L', '-J', '-t', topic]);
    expect(res.code, res.stderr).toBe(0);
    const md = JSON.parse(res.stdout) as {
      controllerid: number;
      brokers: Array<{ id: number; name: string }>;
      topics: Array<{ topic: string; error?: string; partitions: Array<{ partition: number; leader: number; replicas: Array<{ id: number }>; isrs: Array<{ id: number }> }> }>;
    };
    expect(md.controllerid).toBe(nodeId);
    expect(md.controllerid).toBe(controller);
    expect(md.brokers).toEqual([{ id: nodeId, name: `127.0.0.1:${tb.port}` }]);
    expect(md.topics).toHaveLength(1);
    expect(md.topics[0]!.topic).toBe(topic);
    expect(md.topics[0]!.error).toBeUndefined();
    const partitions = [...md.topics[0]!.partitions].sort((a, b) => a.partition - b.partition);
    expect(partitions.map((p) => p.partition)).toEqual([0, 1]);
    for (const p of partitions) {
      expect(p.leader).toBe(nodeId);
      expect(p.replicas).toEqual([{ id: nodeId }]);
      expect(p.isrs).toEqual([{ id: nodeId }]);
    }

    // Plain -L (all topics) names the controller too.
    const plain = await kcat(['-b', tb.bootstrap, '-L']);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stdout).toContain(`broker ${nodeId} at 127.0.0.1:${tb.port} (controller)`);
    expect(plain.stdout).toContain(`topic "${topic}" with 2 partitions:`);
  });

  it('kafkajs describeCluster has one broker, and the controller is its node id', async () => {
    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    const cluster = await admin.describeCluster();
    expect(cluster.brokers).toHaveLength(1);
    expect(cluster.brokers[0]).toMatchObject({ host: '127.0.0.1', port: tb.port });
    expect(cluster.controller).toBe(cluster.brokers[0]!.nodeId);
    expect(cluster.clusterId).toEqual(expect.any(String));
    expect(cluster.clusterId.length).toBeGreaterThan(0);

    const topic = uniqueName('meta-kafkajs');
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }] });
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(topics).toHaveLength(1);
    const parts = [...topics[0]!.partitions].sort((a, b) => a.partitionId - b.partitionId);
    expect(parts.map((p) => p.partitionId)).toEqual([0, 1, 2]);
    for (const p of parts) {
      expect(p.partitionErrorCode).toBe(0);
      expect(p.leader).toBe(cluster.controller);
      expect(p.replicas).toEqual([cluster.controller]);
      expect(p.isr).toEqual([cluster.controller]);
    }
    expect(await admin.listTopics()).toContain(topic);
  });
});

describe('handshake quirks', () => {
  it('advertises exactly the non-flexible version ranges of the protocol table', async () => {
    const c = await raw();
    for (const version of [0, 1, 2]) {
      const { errorCode, apis, throttleTimeMs } = await apiVersions(c, version);
      expect(errorCode).toBe(0);
      if (version >= 1) expect(throttleTimeMs).toBe(0);
      const byKey = new Map<number, ApiVersionRange>(apis.map((a) => [a.apiKey, a]));
      expect(byKey.size, 'no api key twice').toBe(apis.length);
      for (const [key, [min, max]] of Object.entries(REQUIRED)) {
        expect(byKey.get(Number(key)), `api ${key}`).toEqual({ apiKey: Number(key), minVersion: min, maxVersion: max });
      }
      for (const a of apis) {
        if (a.apiKey in REQUIRED) continue;
        if (TRANSACTIONS.has(a.apiKey)) continue;
        const opt = OPTIONAL[a.apiKey];
        expect(opt, `api ${a.apiKey} is not in the protocol table`).toBeDefined();
        expect([a.minVersion, a.maxVersion], `api ${a.apiKey}`).toEqual(opt);
      }
    }
  });

  it("answers librdkafka's ApiVersions v3 (header v2) with 35 and a v0 body, and keeps the connection", async () => {
    const c = await raw();
    const probe = await apiVersionsV3Probe(c);
    expect(probe.errorCode).toBe(35);
    expect(probe.apis.find((a) => a.apiKey === ApiKey.ApiVersions)).toEqual({ apiKey: 18, minVersion: 0, maxVersion: 2 });
    // The client then retries with v0 on the same connection.
    const v0 = await apiVersions(c, 0);
    expect(v0.errorCode).toBe(0);
    expect(c.closed).toBe(false);
  });

  it('serves Fetch on a fresh connection without ApiVersions first (the kafkajs fetch connection)', async () => {
    const topic = uniqueName('no-apiversions');
    const producer = cleanup.client(createKafka(tb.bootstrap).producer());
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'first' }] });
    const c = await raw();
    const res = await fetch(c, { topic, partition: 0, offset: 0 });
    expect(res.topErrorCode).toBe(0);
    expect(res.errorCode).toBe(0);
    expect(res.highWatermark).toBe(1);
    expect(res.preferredReadReplica).toBe(-1);
  });

  it('answers pipelined requests in order, and acks=0 produce with no response at all', async () => {
    const topic = uniqueName('pipeline');
    const producer = cleanup.client(createKafka(tb.bootstrap).producer());
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'creates the topic' }] });
    const c = await raw();
    const batch = (v: string) => encodeRecordBatch({ records: [{ value: v }] });
    // Sent back to back without waiting: the raw client checks correlation ids in order.
    const [a, none, b, versions] = await Promise.all([
      produce(c, 7, { topic, partition: 0, batch: batch('a') }),
      produce(c, 7, { topic, partition: 0, batch: batch('no-ack'), acks: 0 }),
      produce(c, 3, { topic, partition: 0, batch: batch('b') }),
      apiVersions(c, 2),
    ]);
    expect(a).toMatchObject({ errorCode: 0, baseOffset: 1, logAppendTime: -1, logStartOffset: 0 });
    expect(none).toBeNull();
    expect(b).toMatchObject({ errorCode: 0, baseOffset: 3, logAppendTime: -1 });
    expect(versions.errorCode).toBe(0);
    const res = await fetch(c, { topic, partition: 0, offset: 0 });
    expect(res.highWatermark).toBe(4);
  });

  it('rejects a batch with a bad CRC (2) or an unknown partition (3), appending nothing', async () => {
    const topic = uniqueName('corrupt');
    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const c = await raw();
    const good = encodeRecordBatch({ records: [{ value: 'x' }] });
    const corrupt = Buffer.from(good);
    corrupt[corrupt.length - 2] ^= 0xff; // the value byte 'x', under the CRC
    expect(await produce(c, 7, { topic, partition: 0, batch: corrupt })).toMatchObject({ errorCode: 2 });
    expect(await produce(c, 7, { topic, partition: 5, batch: good })).toMatchObject({ errorCode: 3 });
    const res = await fetch(c, { topic, partition: 0, offset: 0 });
    expect(res.highWatermark).toBe(0);
    expect(await produce(c, 7, { topic, partition: 0, batch: good })).toMatchObject({ errorCode: 0, baseOffset: 0 });
  });
});

describe('auto-creation: on produce, never for consumers', () => {
  it('kcat -P and kafkajs produce create the topic with the default partition count', async () => {
    const viaKcat = uniqueName('auto-kcat');
    const viaKafkajs = uniqueName('auto-kafkajs');
    const res = await kcat(['-b', tb.bootstrap, '-P', '-t', viaKcat], { input: 'hello\n' });
    expect(res.code, res.stderr).toBe(0);
    const producer = cleanup.client(createKafka(tb.bootstrap).producer());
    await producer.connect();
    const [meta] = await producer.send({ topic: viaKafkajs, messages: [{ value: 'hello' }] });
    expect(meta).toMatchObject({ topicName: viaKafkajs, partition: 0, errorCode: 0, baseOffset: '0' });

    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    const { topics } = await admin.fetchTopicMetadata({ topics: [viaKcat, viaKafkajs] });
    expect(topics.map((t) => [t.name, t.partitions.length]).sort()).toEqual([
      [viaKafkajs, 1],
      [viaKcat, 1],
    ].sort());
    const offsets = await admin.fetchTopicOffsets(viaKcat);
    expect(offsets).toMatchObject([{ partition: 0, high: '1', low: '0' }]);
  });

  it('a consumer asking for an unknown topic does not create it', async () => {
    const topic = uniqueName('never-created');
    const c = await raw();
    const res = await fetch(c, { topic, partition: 0, offset: 0 });
    expect(res.errorCode).toBe(3);

    const consumer = cleanup.child(spawnKcat(['-b', tb.bootstrap, '-C', '-t', topic, '-p', '0', '-X', 'topic.metadata.refresh.interval.ms=500']));
    await waitFor(() => /unknown topic|unknown partition/i.test(consumer.errors()), { what: `kcat reporting the unknown topic; stderr: ${consumer.errors()}` });

    // A Metadata v4+ request from a consumer (allow_auto_topic_creation=false) must not create it.
    const body = new Enc()
      .array([topic], (e, t) => e.string(t))
      .int8(0)
      .build();
    await c.request(ApiKey.Metadata, 4, body);

    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    expect(await admin.listTopics()).not.toContain(topic);
  });
});

// "Every version inside an advertised min–max range must really be implemented":
// each response is decoded strictly (no bytes left over, none missing).
describe('every advertised version answers with its own layout', () => {
  it('Metadata v1–6: this broker as controller, null = all topics, [] = none, no auto-creation when not allowed', async () => {
    const topic = uniqueName('md-versions');
    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const c = await raw();
    for (const v of [1, 2, 3, 4, 5, 6]) {
      const all = await metadata(c, v, null);
      expect(all.brokers, `v${v} brokers`).toEqual([{ nodeId: all.controllerId, host: '127.0.0.1', port: tb.port, rack: null }]);
      if (v >= 2) expect(all.clusterId, `v${v} cluster id`).toBeTruthy();
      const mine = all.topics.find((t) => t.name === topic);
      expect(mine, `v${v} lists the topic`).toMatchObject({ errorCode: 0, isInternal: false });
      expect(mine!.partitions.map((p) => [p.partition, p.errorCode, p.leader, p.replicas, p.isr]).sort(), `v${v} partitions`).toEqual([
        [0, 0, all.controllerId, [all.controllerId], [all.controllerId]],
        [1, 0, all.controllerId, [all.controllerId], [all.controllerId]],
      ]);
      expect((await metadata(c, v, [])).topics, `v${v} empty list = no topics`).toEqual([]);
      expect((await metadata(c, v, [topic])).topics.map((t) => t.name), `v${v} one topic`).toEqual([topic]);
      if (v >= 4) {
        const unknown = uniqueName('md-unknown');
        const res = await metadata(c, v, [unknown], false);
        expect(res.topics.map((t) => [t.name, t.errorCode]), `v${v} unknown topic`).toEqual([[unknown, 3]]);
        expect((await metadata(c, v, [unknown], false)).topics[0]!.errorCode, `v${v} still unknown`).toBe(3);
      }
    }
  });

  it('Produce v3–7 append and Fetch v4–11 read back the same log', async () => {
    const topic = uniqueName('fetch-versions');
    const admin = cleanup.client(createKafka(tb.bootstrap).admin());
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const c = await raw();
    for (const v of [3, 4, 5, 6, 7]) {
      const res = await produce(c, v, { topic, partition: 0, batch: encodeRecordBatch({ records: [{ key: `k${v}`, value: `produce-v${v}` }] }) });
      expect(res, `Produce v${v}`).toMatchObject({ errorCode: 0, baseOffset: v - 3 });
      if (v >= 5) expect(res!.logStartOffset, `Produce v${v} log_start_offset`).toBe(0);
    }
    for (const v of [4, 5, 6, 7, 8, 9, 10, 11]) {
      const res = await fetch(c, { version: v, topic, partition: 0, offset: 0 });
      expect(res, `Fetch v${v}`).toMatchObject({ topErrorCode: 0, errorCode: 0, highWatermark: 5, lastStableOffset: 5 });
      if (v >= 5) expect(res.logStartOffset, `Fetch v${v} log_start_offset`).toBe(0);
      if (v >= 7) expect(res.sessionId, `Fetch v${v} session_id`).toBe(0);
      if (v >= 11) expect(res.preferredReadReplica, `Fetch v${v} preferred_read_replica`).toBe(-1);
      expect(res.abortedTransactions ?? [], `Fetch v${v} aborted_transactions`).toEqual([]);
      expect(decodeRecordBatches(res.records).flatMap((b) => b.records!.map((r) => text(r.value))), `Fetch v${v} records`).toEqual([3, 4, 5, 6, 7].map((p) => `produce-v${p}`));
    }
  });

  it('FindCoordinator v0–2 names this broker; JoinGroup v0–5, SyncGroup v0–3 and LeaveGroup v0–3 form and dissolve a group', async () => {
    const topic = uniqueName('group-versions');
    const c = await raw();
    const nodeId = (await metadata(c, 6, [])).controllerId;
    for (const v of [0, 1, 2]) {
      expect(await findCoordinator(c, v, uniqueName('coordinator')), `FindCoordinator v${v}`).toEqual({ errorCode: 0, nodeId, host: '127.0.0.1', port: tb.port });
    }
    const protocols = [{ name: 'range', metadata: consumerSubscription([topic]) }];
    for (const jv of [0, 1, 2, 3, 4, 5]) {
      const groupId = uniqueName(`join-v${jv}`);
      let memberId = '';
      if (jv >= 4) {
        const first = await joinGroup(c, jv, { groupId, memberId: '', protocols });
        expect(first.errorCode, `JoinGroup v${jv} without a member id`).toBe(79);
        memberId = first.memberId!;
      }
      const j = await joinGroup(c, jv, { groupId, memberId, protocols });
      expect(j.errorCode, `JoinGroup v${jv}`).toBe(0);
      expect(j.memberId, `JoinGroup v${jv} member id`).toBeTruthy();
      expect(j.leader, `JoinGroup v${jv} leader`).toBe(j.memberId);
      expect(j.protocolName).toBe('range');
      expect(j.members.map((m) => [m.memberId, m.metadata?.equals(protocols[0]!.metadata)])).toEqual([[j.memberId, true]]);
      const sv = Math.min(jv, 3);
      const assignment = consumerAssignment({ [topic]: [0] });
      expect(await syncGroup(c, sv, { groupId, generationId: j.generationId, memberId: j.memberId!, assignments: [{ memberId: j.memberId!, assignment }] }), `SyncGroup v${sv}`).toEqual({
        errorCode: 0,
        assignment,
      });
      const lv = jv % 4;
      expect((await leaveGroup(c, lv, { groupId, memberId: j.memberId! })).errorCode, `LeaveGroup v${lv}`).toBe(0);
      expect(await heartbeat(c, 0, { groupId, generationId: j.generationId, memberId: j.memberId! }), `Heartbeat after LeaveGroup v${lv}`).toBe(25);
    }
  });
});
