// Fuzzing the broker's front door: random bytes, real requests with flipped
// bytes, truncations and lying size prefixes, oversized frames, unknown API
// keys, unsupported versions, and clients that vanish mid-request. A bad
// frame may get an error response or a closed connection; the broker must
// never crash or stop serving, and well-formed clients must keep working.
//
// Seeded: the seed is printed; replay a run with SLIPWAY_FUZZ_SEED=<seed>.
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type Broker } from '../../src/local/broker/index.js';
import { Cleanup, uniqueName } from '../helpers/broker.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { createKafka } from '../helpers/kafkajs.js';
import { prng } from '../helpers/prng.js';
import { ApiKey, Enc, RawKafkaClient, apiVersions, consumerSubscription, encodeRecordBatch, type ApiVersionRange } from '../helpers/raw-kafka.js';

const SEED = process.env.SLIPWAY_FUZZ_SEED ? Number(process.env.SLIPWAY_FUZZ_SEED) : crypto.randomInt(2 ** 31);
const BURSTS = 5;
const CASES_PER_BURST = 400;
const CONCURRENCY = 16;
const MAX_REQUEST_BYTES = 1024 * 1024;
/** How long a frame with no defined outcome is given before the client hangs up. */
const GRACE_MS = 100;
/** How long a frame that must be answered (or must close the connection) may take. */
const ANSWER_MS = 5000;
const FUZZ_TOPIC = 'fuzz-topic';
const UNKNOWN_TOPIC_OR_PARTITION = 3;
const INVALID_TOPIC_EXCEPTION = 17;
const UNSUPPORTED_VERSION = 35;

console.log(`broker-fuzz seed ${SEED} (replay: SLIPWAY_FUZZ_SEED=${SEED} npm test -- test/integration/broker-fuzz.test.ts)`);

/** The fuzz's picks, all drawn from one seeded mulberry32 (test/helpers/prng.ts). */
function fuzzRng(seed: number) {
  const next = prng(seed);
  return {
    next,
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    bytes: (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256))),
  };
}
type Rng = ReturnType<typeof fuzzRng>;

// ---------------------------------------------------------------------------
// Frames: int32 size, header v1 (api_key, api_version, correlation_id,
// client_id), body. ApiVersions v3+ uses the flexible header v2 (+ tagged fields).

function frame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer, flexibleHeader = false): Buffer {
  const header = new Enc().int16(apiKey).int16(apiVersion).int32(correlationId).string('fuzz');
  if (flexibleHeader) header.uvarint(0);
  const payload = Buffer.concat([header.build(), body]);
  return Buffer.concat([new Enc().int32(payload.length).build(), payload]);
}

const withSize = (payload: Buffer) => Buffer.concat([new Enc().int32(payload.length).build(), payload]);

interface Seed {
  name: string;
  apiKey: number;
  version: number;
  flexibleHeader?: boolean;
  /** Answered with one response (false: acks=0 produce). */
  answers: boolean;
  body: (rng: Rng) => Buffer;
}

const batch = () => encodeRecordBatch({ records: [{ key: 'k', value: 'fuzz value', headers: [['h', 'v']] }, { key: null, value: null }] });
const compact = (s: string) => new Enc().uvarint(Buffer.byteLength(s) + 1).raw(Buffer.from(s)).build();
const produceBody = (topic: string, acks: number) =>
  new Enc()
    .string(null)
    .int16(acks)
    .int32(5000)
    .array([topic], (e, t) => e.string(t).array([0], (p, i) => p.int32(i).bytes(batch())))
    .build();

/** CreateTopics v0: topics [name, num_partitions, replication_factor, assignments, configs], timeout_ms. */
const createTopicsBody = (topic: string, partitions: number) =>
  new Enc()
    .array([topic], (e, t) =>
      e
        .string(t)
        .int32(partitions)
        .int16(1)
        .array([], () => undefined)
        .array([], () => undefined),
    )
    .int32(5000)
    .build();

/** Real requests of most APIs, the starting points of the mutations. */
const SEEDS: Seed[] = [
  { name: 'ApiVersions v0', apiKey: ApiKey.ApiVersions, version: 0, answers: true, body: () => Buffer.alloc(0) },
  { name: 'ApiVersions v2', apiKey: ApiKey.ApiVersions, version: 2, answers: true, body: () => Buffer.alloc(0) },
  {
    name: 'ApiVersions v3 (librdkafka)',
    apiKey: ApiKey.ApiVersions,
    version: 3,
    flexibleHeader: true,
    answers: true,
    body: () => Buffer.concat([compact('librdkafka'), compact('2.0.2'), Buffer.from([0])]),
  },
  { name: 'Metadata v1', apiKey: ApiKey.Metadata, version: 1, answers: true, body: () => new Enc().array([FUZZ_TOPIC], (e, t) => e.string(t)).build() },
  { name: 'Metadata v1 all topics', apiKey: ApiKey.Metadata, version: 1, answers: true, body: () => new Enc().array(null, () => undefined).build() },
  { name: 'Metadata v4', apiKey: ApiKey.Metadata, version: 4, answers: true, body: () => new Enc().array([FUZZ_TOPIC], (e, t) => e.string(t)).int8(1).build() },
  { name: 'Produce v3', apiKey: ApiKey.Produce, version: 3, answers: true, body: () => produceBody(FUZZ_TOPIC, -1) },
  { name: 'Produce v7', apiKey: ApiKey.Produce, version: 7, answers: true, body: () => produceBody(FUZZ_TOPIC, 1) },
  { name: 'Produce v3 acks=0', apiKey: ApiKey.Produce, version: 3, answers: false, body: () => produceBody(FUZZ_TOPIC, 0) },
  {
    name: 'Fetch v4',
    apiKey: ApiKey.Fetch,
    version: 4,
    answers: true,
    body: () =>
      new Enc()
        .int32(-1)
        .int32(0) // max_wait_ms: answer at once
        .int32(1)
        .int32(1024 * 1024)
        .int8(0)
        .array([FUZZ_TOPIC], (e, t) => e.string(t).array([0], (p, i) => p.int32(i).int64(0).int32(65536)))
        .build(),
  },
  {
    name: 'Fetch v11',
    apiKey: ApiKey.Fetch,
    version: 11,
    answers: true,
    body: () =>
      new Enc()
        .int32(-1)
        .int32(0)
        .int32(1)
        .int32(1024 * 1024)
        .int8(0)
        .int32(0)
        .int32(-1)
        .array([FUZZ_TOPIC], (e, t) => e.string(t).array([0], (p, i) => p.int32(i).int32(-1).int64(0).int64(-1).int32(65536)))
        .array([], () => undefined)
        .string('')
        .build(),
  },
  {
    name: 'ListOffsets v1',
    apiKey: ApiKey.ListOffsets,
    version: 1,
    answers: true,
    body: () => new Enc().int32(-1).array([FUZZ_TOPIC], (e, t) => e.string(t).array([0], (p, i) => p.int32(i).int64(-1))).build(),
  },
  { name: 'FindCoordinator v0', apiKey: ApiKey.FindCoordinator, version: 0, answers: true, body: () => new Enc().string('fuzz-group').build() },
  {
    // A fresh group each time: a join waits for the group's other members, and mutated joins leave some behind.
    name: 'JoinGroup v0',
    apiKey: ApiKey.JoinGroup,
    version: 0,
    answers: true,
    body: (rng) =>
      new Enc()
        .string(`fuzz-join-${rng.int(0, 1e9)}`)
        .int32(6000)
        .string('')
        .string('consumer')
        .array([{ name: 'range', metadata: consumerSubscription([FUZZ_TOPIC]) }], (e, p) => e.string(p.name).bytes(p.metadata))
        .build(),
  },
  { name: 'Heartbeat v0', apiKey: ApiKey.Heartbeat, version: 0, answers: true, body: () => new Enc().string('fuzz-group').int32(1).string('nobody').build() },
  {
    name: 'OffsetCommit v2',
    apiKey: ApiKey.OffsetCommit,
    version: 2,
    answers: true,
    body: () =>
      new Enc()
        .string('fuzz-group')
        .int32(-1)
        .string('')
        .int64(-1)
        .array([FUZZ_TOPIC], (e, t) => e.string(t).array([0], (p, i) => p.int32(i).int64(1).string(null)))
        .build(),
  },
  {
    name: 'OffsetFetch v1',
    apiKey: ApiKey.OffsetFetch,
    version: 1,
    answers: true,
    body: () => new Enc().string('fuzz-group').array([FUZZ_TOPIC], (e, t) => e.string(t).array([0], (p, i) => p.int32(i))).build(),
  },
  { name: 'InitProducerId v0', apiKey: ApiKey.InitProducerId, version: 0, answers: true, body: () => new Enc().string(null).int32(60_000).build() },
  {
    name: 'CreateTopics v0',
    apiKey: 19,
    version: 0,
    answers: true,
    body: () => createTopicsBody('fuzz-created', 2),
  },
  { name: 'DeleteTopics v0', apiKey: 20, version: 0, answers: true, body: () => new Enc().array(['fuzz-created'], (e, t) => e.string(t)).int32(5000).build() },
  { name: 'DescribeGroups v0', apiKey: 15, version: 0, answers: true, body: () => new Enc().array(['fuzz-group'], (e, g) => e.string(g)).build() },
  { name: 'ListGroups v0', apiKey: 16, version: 0, answers: true, body: () => Buffer.alloc(0) },
];

const seedFrame = (seed: Seed, rng: Rng, correlationId: number) => frame(seed.apiKey, seed.version, correlationId, seed.body(rng), seed.flexibleHeader);

// ---------------------------------------------------------------------------
// One case: a connection, some bytes, and what must (or may) come back.

type Expect =
  /**
   * Responses in order with these correlation ids. With `thenGarbage`, the
   * broker may close on the garbage before answering all: the responses must
   * then be a prefix, followed by the close.
   */
  | { kind: 'answers'; correlationIds: number[]; thenGarbage?: boolean }
  /** A response (checked by `check`) or a closed connection. */
  | { kind: 'answer-or-close'; correlationId: number }
  /** The connection is closed, with no response. */
  | { kind: 'close' }
  /** Anything but a crash; at most one response, and it echoes correlationId if known. */
  | { kind: 'any'; correlationId?: number };

interface Case {
  label: string;
  chunks: Buffer[];
  /** Delay between chunks (a slow client). */
  chunkDelayMs?: number;
  expect: Expect;
  /** Extra checks on the response bodies (after the correlation id). */
  check?: (responses: Buffer[]) => string | null;
}

interface Outcome {
  responses: Array<{ correlationId: number; body: Buffer }>;
  closedByBroker: boolean;
  /** Bytes after the last complete response frame. */
  trailing: number;
}

function exchange(port: number, c: Case): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const responses: Outcome['responses'] = [];
    let buffered = Buffer.alloc(0);
    let closedByBroker = false;
    let finished = false;
    let timer: NodeJS.Timeout | undefined;
    const wanted = c.expect.kind === 'answers' ? c.expect.correlationIds.length : c.expect.kind === 'close' ? Infinity : 1;
    const waitMs = c.expect.kind === 'any' ? GRACE_MS : ANSWER_MS;

    const finish = () => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ responses, closedByBroker, trailing: buffered.length });
    };
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 4 && buffered.length >= 4 + buffered.readInt32BE(0)) {
        const size = buffered.readInt32BE(0);
        const f = buffered.subarray(4, 4 + size);
        buffered = buffered.subarray(4 + size);
        responses.push({ correlationId: f.length >= 4 ? f.readInt32BE(0) : NaN, body: f.subarray(4) });
      }
      if (responses.length >= wanted) finish();
    });
    // A reset or a closed socket both mean the broker hung up.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!finished) closedByBroker = true;
      finish();
    });
    socket.on('connect', async () => {
      for (const [i, chunk] of c.chunks.entries()) {
        if (finished) return;
        if (i > 0 && c.chunkDelayMs) await new Promise((r) => setTimeout(r, c.chunkDelayMs));
        socket.write(chunk);
      }
      timer = setTimeout(finish, waitMs);
    });
  });
}

/** What went wrong with a case, or null. */
function judge(c: Case, o: Outcome): string | null {
  const ids = o.responses.map((r) => r.correlationId);
  if (o.closedByBroker && o.trailing > 0) return `the broker closed after a partial response (${o.trailing} bytes)`;
  switch (c.expect.kind) {
    case 'answers': {
      const want = c.expect.correlationIds;
      if (c.expect.thenGarbage && ids.length < want.length && o.closedByBroker) {
        return ids.some((id, i) => id !== want[i]) ? `responses out of order: expected a prefix of ${want.join(',')}, got ${ids.join(',')}` : null;
      }
      if (ids.length < want.length) return `expected ${want.length} response(s) within ${ANSWER_MS} ms, got ${ids.length}${o.closedByBroker ? ' and a closed connection' : ''}`;
      if (ids.some((id, i) => id !== want[i])) return `responses out of order: expected correlation ids ${want.join(',')}, got ${ids.join(',')}`;
      break;
    }
    case 'answer-or-close':
      if (ids.length === 0 && !o.closedByBroker) return `neither a response nor a close within ${ANSWER_MS} ms`;
      if (ids.length > 1) return `expected at most one response, got ${ids.length}`;
      if (ids.length === 1 && ids[0] !== c.expect.correlationId) return `response echoes correlation id ${ids[0]}, sent ${c.expect.correlationId}`;
      break;
    case 'close':
      if (ids.length > 0) return `expected the connection closed without a response, got ${ids.length} response(s)`;
      if (!o.closedByBroker) return `connection still open after ${ANSWER_MS} ms`;
      break;
    case 'any':
      if (ids.length > 1) return `one frame got ${ids.length} responses`;
      if (ids.length === 1 && c.expect.correlationId !== undefined && ids[0] !== c.expect.correlationId) {
        return `response echoes correlation id ${ids[0]}, sent ${c.expect.correlationId}`;
      }
      break;
  }
  return c.check ? c.check(o.responses.map((r) => r.body)) : null;
}

// ---------------------------------------------------------------------------
// The generator.

const UNKNOWN_API_KEYS = [-32768, -1, 4, 5, 6, 7, 17, 24, 36, 50, 57, 67, 1000, 32767];
const HOSTILE_TOPICS = ['../fuzz-escape', '../../fuzz-escape', '/tmp/fuzz-escape', 'fuzz/escape', '..', '.', '', 'x'.repeat(250), 'fuzz\u0000escape', 'fuzz escape'];

function correlationIdOf(f: Buffer): number | undefined {
  // size(4) api_key(2) api_version(2) correlation_id(4)
  return f.length >= 12 && f.readInt32BE(0) === f.length - 4 ? f.readInt32BE(8) : undefined;
}

function makeCase(rng: Rng, advertised: ApiVersionRange[]): Case {
  const corr = rng.int(0, 2 ** 31 - 1);
  const seed = rng.pick(SEEDS);
  const answering = SEEDS.filter((s) => s.answers);
  const roll = rng.int(0, 99);

  if (roll < 12) {
    // random bytes in a well-formed frame
    const body = rng.bytes(rng.int(0, 300));
    const f = withSize(body);
    return { label: `random frame (${body.length} bytes)`, chunks: [f], expect: { kind: 'any', correlationId: correlationIdOf(f) } };
  }
  if (roll < 17) {
    // random bytes, no framing at all
    return { label: 'random bytes', chunks: [rng.bytes(rng.int(1, 64))], expect: { kind: 'any' } };
  }
  if (roll < 42) {
    // a real request with a few bytes flipped after the size prefix
    const f = Buffer.from(seedFrame(seed, rng, corr));
    const flips = rng.int(1, 6);
    const at: number[] = [];
    for (let i = 0; i < flips; i++) {
      const pos = rng.int(4, f.length - 1);
      f[pos] ^= rng.int(1, 255);
      at.push(pos);
    }
    return { label: `${seed.name} with bytes flipped at ${at.join(',')}`, chunks: [f], expect: { kind: 'any', correlationId: correlationIdOf(f) } };
  }
  if (roll < 52) {
    // truncated body, size prefix fixed up: the request ends early
    const full = seedFrame(seed, rng, corr);
    const cut = rng.int(0, full.length - 5);
    const f = withSize(full.subarray(4, 4 + cut));
    return { label: `${seed.name} truncated to ${cut} bytes`, chunks: [f], expect: { kind: 'any', correlationId: correlationIdOf(f) } };
  }
  if (roll < 58) {
    // a client that vanishes mid-request: the size promises more than is sent
    const full = seedFrame(seed, rng, corr);
    const cut = rng.int(0, full.length - 1);
    return { label: `${seed.name}, first ${cut} of ${full.length} bytes, then gone`, chunks: [full.subarray(0, cut)], expect: { kind: 'any' } };
  }
  if (roll < 64) {
    // the size prefix lies (too big or too small)
    const full = Buffer.from(seedFrame(seed, rng, corr));
    const real = full.length - 4;
    const lie = rng.next() < 0.5 ? rng.int(0, Math.max(0, real - 1)) : real + rng.int(1, 1000);
    full.writeInt32BE(lie, 0);
    return { label: `${seed.name} with size ${lie} instead of ${real}`, chunks: [full], expect: { kind: 'any' } };
  }
  if (roll < 68) {
    // oversized or negative size prefix: closed without reading the body
    const size = rng.next() < 0.8 ? rng.int(MAX_REQUEST_BYTES + 1, 2 ** 31 - 1) : rng.int(-(2 ** 31), -1);
    return { label: `size prefix ${size}`, chunks: [Buffer.concat([new Enc().int32(size).build(), rng.bytes(rng.int(0, 64))])], expect: { kind: 'close' } };
  }
  if (roll < 74) {
    // unknown API key
    const key = rng.pick(UNKNOWN_API_KEYS);
    return {
      label: `unknown api key ${key}`,
      chunks: [frame(key, rng.int(0, 3), corr, rng.bytes(rng.int(0, 40)))],
      expect: { kind: 'answer-or-close', correlationId: corr },
    };
  }
  if (roll < 80) {
    // a version outside the advertised range
    const api = rng.pick(advertised);
    const version = rng.pick([api.maxVersion + 1, api.maxVersion + rng.int(2, 50), api.minVersion - 1, -1, 32767].filter((v) => v < api.minVersion || v > api.maxVersion));
    const body = SEEDS.find((s) => s.apiKey === api.apiKey)?.body(rng) ?? Buffer.alloc(0);
    if (api.apiKey === ApiKey.ApiVersions && version > api.maxVersion) {
      // What librdkafka relies on: UNSUPPORTED_VERSION with the v0 body, connection kept.
      return {
        label: `ApiVersions v${version}`,
        chunks: [frame(api.apiKey, version, corr, Buffer.concat([compact('fuzz'), compact('1'), Buffer.from([0])]), true)],
        expect: { kind: 'answers', correlationIds: [corr] },
        check: ([body0]) => {
          const code = body0!.readInt16BE(0);
          return code === UNSUPPORTED_VERSION ? null : `ApiVersions v${version} answered error ${code}, expected ${UNSUPPORTED_VERSION}`;
        },
      };
    }
    return { label: `api ${api.apiKey} v${version}`, chunks: [frame(api.apiKey, version, corr, body)], expect: { kind: 'answer-or-close', correlationId: corr } };
  }
  if (roll < 86) {
    // a real request delivered in small pieces, slowly: framing across reads
    const s = rng.pick(answering);
    const f = seedFrame(s, rng, corr);
    const chunks: Buffer[] = [];
    for (let at = 0; at < f.length; ) {
      const n = rng.int(1, 7);
      chunks.push(f.subarray(at, at + n));
      at += n;
    }
    return { label: `${s.name} in ${chunks.length} pieces`, chunks, chunkDelayMs: 1, expect: { kind: 'answers', correlationIds: [corr] } };
  }
  if (roll < 93) {
    // pipelined real requests in one write, answered in order; garbage after them is the broker's to refuse
    const n = rng.int(2, 5);
    const ids = Array.from({ length: n }, (_, i) => corr + i);
    const picks = ids.map(() => rng.pick(answering));
    const frames = ids.map((id, i) => seedFrame(picks[i]!, rng, id));
    const garbage = rng.next() < 0.5;
    if (garbage) frames.push(rng.bytes(rng.int(1, 100)));
    return { label: `pipelined ${picks.map((p) => p.name).join(' + ')}${garbage ? ' + garbage' : ''}`, chunks: [Buffer.concat(frames)], expect: { kind: 'answers', correlationIds: ids, thenGarbage: garbage } };
  }
  if (roll < 96) {
    // a produce to a topic name that must be refused (and must never become a path)
    const topic = rng.pick(HOSTILE_TOPICS);
    return {
      label: `Produce v3 to topic ${JSON.stringify(topic.slice(0, 40))}`,
      chunks: [frame(ApiKey.Produce, 3, corr, produceBody(topic, -1))],
      expect: { kind: 'answers', correlationIds: [corr] },
      check: ([body0]) => {
        // topics[1]: name, partitions[1]: index int32, error_code int16
        const nameLen = body0!.readInt16BE(4);
        const code = body0!.readInt16BE(4 + 2 + Math.max(0, nameLen) + 4 + 4);
        // Kafka answers UNKNOWN_TOPIC_OR_PARTITION (produce never creates topics there) or INVALID_TOPIC_EXCEPTION.
        return code === INVALID_TOPIC_EXCEPTION || code === UNKNOWN_TOPIC_OR_PARTITION
          ? null
          : `produce to ${JSON.stringify(topic.slice(0, 40))} answered error ${code}, expected ${INVALID_TOPIC_EXCEPTION} or ${UNKNOWN_TOPIC_OR_PARTITION}`;
      },
    };
  }
  // a well-formed request, unmutated: answered
  const s = rng.pick(answering);
  return { label: s.name, chunks: [seedFrame(s, rng, corr)], expect: { kind: 'answers', correlationIds: [corr] } };
}

async function runBurst(port: number, cases: Case[]): Promise<{ failures: string[]; stats: Record<string, number> }> {
  const failures: string[] = [];
  const stats = { answered: 0, closed: 0, silent: 0 };
  let next = 0;
  const worker = async () => {
    while (next < cases.length) {
      const c = cases[next++]!;
      const o = await exchange(port, c);
      if (o.responses.length > 0) stats.answered++;
      else if (o.closedByBroker) stats.closed++;
      else stats.silent++;
      const problem = judge(c, o);
      if (problem) failures.push(`${c.label}: ${problem}`);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { failures, stats };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

describe(`broker fuzz (seed ${SEED})`, () => {
  let tmp: ReturnType<typeof tempDir>;
  let dataDir: string;
  let broker: Broker;
  let advertised: ApiVersionRange[];
  const cleanup = new Cleanup();
  const healthTopic = uniqueName('fuzz-health');
  const seen: string[] = [];
  let producer: Producer;

  /** A fresh connection is answered, and the clients connected before the storm still produce and consume. */
  async function expectServing(after: string): Promise<void> {
    const fresh = await withTimeout(RawKafkaClient.connect(broker.host, broker.port), 5000, `connecting after ${after}`);
    const answer = await withTimeout(apiVersions(fresh, 2), 5000, `ApiVersions after ${after}`);
    await fresh.close();
    expect(answer.errorCode).toBe(0);
    await withTimeout(producer.send({ topic: healthTopic, messages: [{ value: `after ${after}` }] }), 15_000, `producing after ${after}`);
    await waitFor(() => seen.includes(`after ${after}`), { timeoutMs: 15_000, what: `the health consumer to read "after ${after}" (seed ${SEED})` });
  }

  beforeAll(async () => {
    tmp = tempDir('slipway-fuzz-');
    dataDir = path.join(tmp.dir, 'data');
    broker = await startBroker({ dataDir, port: 0, logLevel: 'error', initialRebalanceDelayMs: 100, maxRequestBytes: MAX_REQUEST_BYTES });

    const probe = await RawKafkaClient.connect(broker.host, broker.port);
    advertised = (await apiVersions(probe, 2)).apis;
    await probe.close();

    // Well-behaved clients connected before the storm stay connected through it.
    const kafka = createKafka(broker.bootstrap);
    producer = cleanup.client(kafka.producer());
    await producer.connect();
    await producer.send({ topic: healthTopic, messages: [{ value: 'before' }] });
    const consumer = cleanup.client(kafka.consumer({ groupId: uniqueName('fuzz-health-group') }));
    await consumer.connect();
    await consumer.subscribe({ topic: healthTopic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message.value!.toString()) });
    await waitFor(() => seen.includes('before'), { timeoutMs: 20_000, what: 'the health consumer to start' });
  });

  afterAll(async () => {
    await cleanup.run();
    await broker?.close();
    tmp?.cleanup();
  });

  it('keeps serving well-behaved clients while bad frames rain on it', async () => {
    const rng = fuzzRng(SEED);
    const totals = { answered: 0, closed: 0, silent: 0 };
    for (let burst = 0; burst < BURSTS; burst++) {
      const cases = Array.from({ length: CASES_PER_BURST }, () => makeCase(rng, advertised));
      const { failures, stats } = await runBurst(broker.port, cases);
      for (const k of Object.keys(totals) as Array<keyof typeof totals>) totals[k] += stats[k];
      expect(failures, `burst ${burst} (seed ${SEED})`).toEqual([]);
      await expectServing(`burst ${burst}`);
    }
    console.log(`broker-fuzz seed ${SEED}: ${BURSTS * CASES_PER_BURST} cases; answered ${totals.answered}, closed ${totals.closed}, left unanswered ${totals.silent}`);

    // Nothing escaped the data dir, and every topic folder is a legal topic name.
    expect(fs.readdirSync(tmp.dir)).toEqual(['data']);
    const topics = fs.readdirSync(path.join(dataDir, 'topics'));
    const illegal = topics.filter((t) => !/^[a-zA-Z0-9._-]{1,249}$/.test(t) && !t.startsWith('~deleted-'));
    expect(illegal).toEqual([]);
    expect(topics.filter((t) => t === '.' || t === '..' || t.includes('escape'))).toEqual([]);
  });

  // One flipped byte in num_partitions asks for millions of partitions. The
  // broker may refuse (INVALID_PARTITIONS) or accept; it must not go down.
  it.each([
    [
      'CreateTopics v0',
      19,
      () => createTopicsBody('fuzz-huge', 1_000_000),
    ],
    [
      'CreatePartitions v0',
      37,
      () =>
        new Enc()
          .array([healthTopic], (e, t) => e.string(t).int32(1_000_000).array(null, () => undefined))
          .int32(5000)
          .int8(0)
          .build(),
    ],
  ])('stays up when %s asks for a million partitions', async (name, apiKey, body) => {
    const bystander = await RawKafkaClient.connect(broker.host, broker.port);
    const c = await RawKafkaClient.connect(broker.host, broker.port);
    // An error response or a closed connection are both fine; stalling the broker is not.
    const huge = withTimeout(
      c.request(apiKey, 0, body()).catch(() => undefined),
      2000,
      `${name} with 1,000,000 partitions`,
    );
    const started = Date.now();
    const other = await withTimeout(apiVersions(bystander, 2), 2000, `another client's ApiVersions during ${name}`);
    expect(other.errorCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(2000);
    await huge;
    await c.close();
    await bystander.close();
    await expectServing(`${name} with 1,000,000 partitions`);

    // No half-made topic: it has all its partitions or none of the new ones.
    const admin = cleanup.client(createKafka(broker.bootstrap).admin());
    await admin.connect();
    const topic = apiKey === 19 ? 'fuzz-huge' : healthTopic;
    const exists = (await admin.listTopics()).includes(topic);
    const count = exists ? (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]!.partitions.length : 0;
    expect([apiKey === 19 ? 0 : 1, 1_000_000]).toContain(count);
  });
});
