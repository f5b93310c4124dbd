// Conformance scenarios 7 (two members split four partitions; one leaves, the
// other takes all), 8 (a kcat member killed with SIGKILL is evicted after its
// session timeout; the survivor takes all and reads new data) and the
// protocol vote: kafkajs and kcat in one group get INCONSISTENT_GROUP_PROTOCOL
// (23) unless their protocol names match.
import type { Consumer, KafkaJSProtocolError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../helpers/broker.js';
import { useTestBroker } from '../helpers/broker-suite.js';
import { waitFor } from '../helpers/env.js';
import { collect, createKafka, librdkafkaRoundRobin, text, type Received } from '../helpers/kafkajs.js';
import { kcatAssignment, kcatRecords, spawnKcatMember, type KcatMember } from '../helpers/kcat-group.js';

const { tb, cleanup, newTopic } = useTestBroker();

const ALL = [0, 1, 2, 3];

/** One record per partition, tagged, so a test can tell which reader got what. */
async function onePerPartition(topic: string, tag: string): Promise<string[]> {
  const producer = cleanup.client(createKafka(tb.bootstrap).producer());
  await producer.connect();
  const values = ALL.map((p) => `${tag}-p${p}`);
  await producer.send({ topic, messages: ALL.map((p) => ({ value: values[p]!, partition: p })) });
  await producer.disconnect();
  return values;
}

/** A kafkajs group member that records its current assignment after every join. */
interface Member {
  consumer: Consumer;
  assignment: () => number[] | undefined;
  received: Received[];
}

async function kafkajsMember(topic: string, groupId: string, opts: { sessionTimeout?: number; roundrobinName?: boolean } = {}): Promise<Member> {
  const consumer = cleanup.client(
    createKafka(tb.bootstrap).consumer({
      groupId,
      sessionTimeout: opts.sessionTimeout ?? 6000,
      heartbeatInterval: 500,
      rebalanceTimeout: 10_000,
      maxWaitTimeInMs: 200,
      ...(opts.roundrobinName ? { partitionAssigners: [librdkafkaRoundRobin] } : {}),
    }),
  );
  let current: number[] | undefined;
  consumer.on(consumer.events.GROUP_JOIN, (e) => {
    current = [...(e.payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b);
  });
  await consumer.connect();
  const received = await collect(consumer, [topic], { fromBeginning: true });
  return { consumer, assignment: () => current, received };
}

const sameSet = (a: number[] | undefined, b: number[]) => a !== undefined && JSON.stringify([...a].sort()) === JSON.stringify([...b].sort());

function kcatMember(topic: string, groupId: string, extra: string[] = []): KcatMember {
  return cleanup.child(spawnKcatMember(tb.bootstrap, groupId, [topic], extra));
}

const describeKcat = (m: KcatMember) => `assignment ${JSON.stringify(kcatAssignment(m.errors()))}; stderr:\n${m.errors().slice(-2000)}`;

describe('scenario 7: two members share four partitions; one leaves', () => {
  it('kafkajs: 2/2, then the one left gets all 4 (LeaveGroup, well before the session timeout)', async () => {
    const topic = await newTopic('split-kafkajs', ALL.length);
    const groupId = uniqueName('split-kafkajs');
    // A long session timeout: only LeaveGroup can move the partitions within the wait below.
    const a = await kafkajsMember(topic, groupId, { sessionTimeout: 30_000 });
    await waitFor(() => sameSet(a.assignment(), ALL), { what: 'the first member to get all 4' });
    const b = await kafkajsMember(topic, groupId, { sessionTimeout: 30_000 });
    await waitFor(() => a.assignment()?.length === 2 && b.assignment()?.length === 2, { what: `a 2/2 split (a=${a.assignment()}, b=${b.assignment()})` });
    expect([...a.assignment()!, ...b.assignment()!].sort()).toEqual(ALL);

    // Each reads only its own partitions.
    await onePerPartition(topic, 'split');
    await waitFor(() => a.received.length + b.received.length >= 4, { what: 'both to read the 4 records' });
    expect(a.received.map((m) => m.partition).sort()).toEqual(a.assignment());
    expect(b.received.map((m) => m.partition).sort()).toEqual(b.assignment());

    const left = Date.now();
    await b.consumer.disconnect();
    await waitFor(() => sameSet(a.assignment(), ALL), { timeoutMs: 20_000, what: `the remaining member to get all 4 (has ${a.assignment()})` });
    expect(Date.now() - left).toBeLessThan(20_000);

    const values = await onePerPartition(topic, 'after-leave');
    await waitFor(() => values.every((v) => a.received.some((m) => text(m.value) === v)), { what: 'the remaining member to read all 4 new records' });
  });

  it('kcat -G: 2/2, then after one exits (SIGTERM) the other gets all 4', async () => {
    const topic = await newTopic('split-kcat', ALL.length);
    const groupId = uniqueName('split-kcat');
    const longSession = ['-X', 'session.timeout.ms=30000'];
    const a = kcatMember(topic, groupId, longSession);
    await waitFor(() => sameSet(kcatAssignment(a.errors()), ALL), { what: `kcat a to get all 4: ${describeKcat(a)}` });
    const b = kcatMember(topic, groupId, longSession);
    await waitFor(() => kcatAssignment(a.errors())?.length === 2 && kcatAssignment(b.errors())?.length === 2, {
      what: `a 2/2 split: a ${describeKcat(a)}\nb ${describeKcat(b)}`,
    });
    expect([...kcatAssignment(a.errors())!, ...kcatAssignment(b.errors())!].sort()).toEqual(ALL);

    b.kill('SIGTERM'); // kcat closes the consumer: LeaveGroup
    await waitFor(() => sameSet(kcatAssignment(a.errors()), ALL), { timeoutMs: 20_000, what: `kcat a to get all 4 after b left: ${describeKcat(a)}` });
    const values = await onePerPartition(topic, 'kcat-after-leave');
    await waitFor(() => values.every((v) => kcatRecords(a.output()).some((r) => r.value === v)), { what: `kcat a to read the new records; stdout:\n${a.output()}` });
  });
});

describe('scenario 8: a member killed with SIGKILL is evicted; the survivor takes all', () => {
  it('kcat survivor: after kill -9 of the other kcat member, it gets all 4 and reads new data', async () => {
    const topic = await newTopic('kill-kcat', ALL.length);
    const groupId = uniqueName('kill-kcat');
    const a = kcatMember(topic, groupId);
    await waitFor(() => sameSet(kcatAssignment(a.errors()), ALL), { what: `kcat a to get all 4: ${describeKcat(a)}` });
    const b = kcatMember(topic, groupId);
    await waitFor(() => kcatAssignment(a.errors())?.length === 2 && kcatAssignment(b.errors())?.length === 2, {
      what: `a 2/2 split: a ${describeKcat(a)}\nb ${describeKcat(b)}`,
    });

    b.kill('SIGKILL'); // no LeaveGroup: only the session timeout (6 s) can free its partitions
    await waitFor(() => sameSet(kcatAssignment(a.errors()), ALL), { what: `the survivor to get all 4: ${describeKcat(a)}` });
    const values = await onePerPartition(topic, 'after-kill');
    await waitFor(() => values.every((v) => kcatRecords(a.output()).some((r) => r.value === v)), { what: `the survivor to read the new records; stdout:\n${a.output()}` });
  });

  it('kafkajs survivor: kafkajs and kcat share a group under the "roundrobin" name; after kill -9 of kcat, kafkajs gets all 4', async () => {
    const topic = await newTopic('kill-mixed', ALL.length);
    const groupId = uniqueName('kill-mixed');
    const k = kcatMember(topic, groupId, ['-X', 'partition.assignment.strategy=roundrobin']);
    await waitFor(() => sameSet(kcatAssignment(k.errors()), ALL), { what: `kcat to get all 4: ${describeKcat(k)}` });
    const j = await kafkajsMember(topic, groupId, { roundrobinName: true });
    await waitFor(() => kcatAssignment(k.errors())?.length === 2 && j.assignment()?.length === 2, {
      what: `a 2/2 split: kafkajs ${j.assignment()}; kcat ${describeKcat(k)}`,
    });
    expect([...kcatAssignment(k.errors())!, ...j.assignment()!].sort()).toEqual(ALL);

    k.kill('SIGKILL');
    await waitFor(() => sameSet(j.assignment(), ALL), { what: `kafkajs to get all 4 (has ${j.assignment()})` });
    const values = await onePerPartition(topic, 'mixed-after-kill');
    await waitFor(() => values.every((v) => j.received.some((m) => text(m.value) === v)), { what: 'kafkajs to read the new records' });
  });
});

describe('protocol vote: no common protocol → INCONSISTENT_GROUP_PROTOCOL (23)', () => {
  it('kcat (range,roundrobin) joining a kafkajs (RoundRobinAssigner) group gets 23; kafkajs keeps all partitions', async () => {
    const topic = await newTopic('vote-kcat-late', ALL.length);
    const groupId = uniqueName('vote-kcat-late');
    const j = await kafkajsMember(topic, groupId);
    await waitFor(() => sameSet(j.assignment(), ALL), { what: 'kafkajs to get all 4' });

    const k = kcatMember(topic, groupId, ['-d', 'cgrp']);
    await waitFor(() => /Inconsistent group protocol|INCONSISTENT_GROUP_PROTOCOL/i.test(k.errors()), { what: `kcat to report error 23; stderr:\n${k.errors().slice(-3000)}` });
    expect(kcatAssignment(k.errors()) ?? []).toEqual([]);

    // The kafkajs member is still the whole group and still consuming.
    const values = await onePerPartition(topic, 'vote');
    await waitFor(() => values.every((v) => j.received.some((m) => text(m.value) === v)), { what: 'kafkajs to read all 4 records' });
    expect(j.assignment()).toEqual(ALL);
  });

  it('kafkajs joining a kcat group crashes with INCONSISTENT_GROUP_PROTOCOL; kcat keeps all partitions', async () => {
    const topic = await newTopic('vote-kafkajs-late', ALL.length);
    const groupId = uniqueName('vote-kafkajs-late');
    const k = kcatMember(topic, groupId);
    await waitFor(() => sameSet(kcatAssignment(k.errors()), ALL), { what: `kcat to get all 4: ${describeKcat(k)}` });

    const consumer = cleanup.client(
      createKafka(tb.bootstrap).consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500, maxWaitTimeInMs: 200, retry: { retries: 0, restartOnFailure: async () => false } }),
    );
    const crashes: Error[] = [];
    consumer.on(consumer.events.CRASH, (e) => {
      crashes.push(e.payload.error);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined }).catch((err: Error) => crashes.push(err));
    await waitFor(() => crashes.length > 0, { what: 'the kafkajs consumer to crash' });
    const err = crashes[0] as KafkaJSProtocolError;
    expect(err.type ?? err.name).toBe('INCONSISTENT_GROUP_PROTOCOL');
    expect(err.code).toBe(23);

    const values = await onePerPartition(topic, 'vote2');
    await waitFor(() => values.every((v) => kcatRecords(k.output()).some((r) => r.value === v)), { what: `kcat to read all 4 records; stdout:\n${k.output()}` });
    expect(kcatAssignment(k.errors())).toEqual(ALL);
  });
});
