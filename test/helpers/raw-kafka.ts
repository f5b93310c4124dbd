// A tiny raw Kafka protocol client for the conformance tests: what kafkajs and
// kcat cannot send on purpose (replayed batches, sequence gaps, stale epochs,
// stale generations, unknown members, fetches past the end).
//
// Framing: request = int32 size, header v1 (api_key int16, api_version int16,
// correlation_id int32, client_id nullable string), body; response = int32 size,
// correlation_id int32, body. Only non-flexible versions, except the deliberate
// ApiVersions v3 probe with header v2.
//
// The encoder here is independent of the broker's own codec on purpose: a test
// client that shared the broker's encoding bugs would agree with them.
import { crc32c } from '@node-rs/crc32';
import net from 'node:net';
import { ApiKey } from '../../src/local/broker/protocol/api-keys.js';

/** Builds a request body from big-endian primitives. */
export class Enc {
  private readonly parts: Buffer[] = [];

  private fixed(n: number, write: (b: Buffer) => void): this {
    const b = Buffer.alloc(n);
    write(b);
    this.parts.push(b);
    return this;
  }
  int8(v: number): this {
    return this.fixed(1, (b) => b.writeInt8(v));
  }
  int16(v: number): this {
    return this.fixed(2, (b) => b.writeInt16BE(v));
  }
  int32(v: number): this {
    return this.fixed(4, (b) => b.writeInt32BE(v));
  }
  uint32(v: number): this {
    return this.fixed(4, (b) => b.writeUInt32BE(v));
  }
  int64(v: number | bigint): this {
    return this.fixed(8, (b) => b.writeBigInt64BE(BigInt(v)));
  }
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const b = Buffer.from(s, 'utf8');
    return this.int16(b.length).raw(b);
  }
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    return this.int32(b.length).raw(b);
  }
  array<T>(items: readonly T[] | null, each: (e: Enc, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) each(this, item);
    return this;
  }
  /** Unsigned LEB128 (flexible headers, compact lengths). */
  uvarint(v: number): this {
    const out: number[] = [];
    let u = BigInt(v);
    while (u >= 0x80n) {
      out.push(Number(u & 0x7fn) | 0x80);
      u >>= 7n;
    }
    out.push(Number(u));
    return this.raw(Buffer.from(out));
  }
  /** Zigzag varint/varlong (record fields). */
  varint(v: number): this {
    const n = BigInt(v);
    return this.uvarint(Number(n >= 0n ? n << 1n : ((-n) << 1n) - 1n));
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Reads a response body; throws on truncation so a short response fails the test. */
export class Dec {
  offset = 0;
  constructor(readonly buf: Buffer) {}

  private take(n: number): number {
    if (this.offset + n > this.buf.length) throw new Error(`response truncated: need ${n} bytes at ${this.offset} of ${this.buf.length}`);
    const at = this.offset;
    this.offset += n;
    return at;
  }
  get remaining(): number {
    return this.buf.length - this.offset;
  }
  int8(): number {
    return this.buf.readInt8(this.take(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.take(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.take(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.take(4));
  }
  int64(): number {
    return Number(this.buf.readBigInt64BE(this.take(8)));
  }
  string(): string | null {
    const n = this.int16();
    if (n === -1) return null;
    const at = this.take(n);
    return this.buf.toString('utf8', at, at + n);
  }
  bytes(): Buffer | null {
    const n = this.int32();
    if (n === -1) return null;
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
  array<T>(each: (d: Dec) => T): T[] | null {
    const n = this.int32();
    if (n === -1) return null;
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(each(this));
    return out;
  }
  uvarint(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf.readUInt8(this.take(1));
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return Number(result);
      shift += 7n;
    }
  }
  varint(): number {
    const u = BigInt(this.uvarint());
    return Number((u >> 1n) ^ -(u & 1n));
  }
  raw(n: number): Buffer {
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }
  /** The whole body must have been read: a longer response is a wrong version layout. */
  end(): void {
    if (this.remaining !== 0) throw new Error(`${this.remaining} unread bytes at the end of the response`);
  }
}

// The key numbers are Kafka's, not the broker's encoding: sharing the table shares no bugs.
export { ApiKey };

interface Pending {
  correlationId: number;
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
}

/** One TCP connection; requests may be pipelined, responses must come back in order. */
export class RawKafkaClient {
  private nextCorrelationId = 1;
  private readonly pending: Pending[] = [];
  private buffered: Buffer = Buffer.alloc(0);
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: net.Socket,
    readonly clientId: string,
  ) {
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => this.fail(err));
    socket.on('close', () => this.fail(new Error('connection closed by the broker')));
  }

  static connect(host: string, port: number, clientId = 'raw-conformance'): Promise<RawKafkaClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host, port });
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        socket.setNoDelay(true);
        resolve(new RawKafkaClient(socket, clientId));
      });
    });
  }

  get closed(): boolean {
    return this.closedError !== null;
  }

  /**
   * Send one request and resolve with the response body (after the correlation
   * id). `expectResponse: false` is for acks=0 produce, which gets no answer.
   */
  request(apiKey: number, apiVersion: number, body: Buffer, opts: { flexibleHeader?: boolean; expectResponse?: boolean } = {}): Promise<Buffer> {
    if (this.closedError) return Promise.reject(this.closedError);
    const correlationId = this.nextCorrelationId++;
    const header = new Enc().int16(apiKey).int16(apiVersion).int32(correlationId).string(this.clientId);
    if (opts.flexibleHeader) header.uvarint(0); // header v2: empty tagged fields
    const payload = Buffer.concat([header.build(), body]);
    const frame = Buffer.alloc(4 + payload.length);
    frame.writeInt32BE(payload.length, 0);
    payload.copy(frame, 4);
    const expect = opts.expectResponse ?? true;
    const done = expect
      ? new Promise<Buffer>((resolve, reject) => this.pending.push({ correlationId, resolve, reject }))
      : Promise.resolve(Buffer.alloc(0));
    this.socket.write(frame);
    return done;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.socket.end();
      setTimeout(() => this.socket.destroy(), 1000).unref();
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) return;
      const frame = this.buffered.subarray(4, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const correlationId = frame.readInt32BE(0);
      const next = this.pending.shift();
      if (!next) {
        this.fail(new Error(`unexpected response with correlation id ${correlationId}`));
        return;
      }
      if (next.correlationId !== correlationId) {
        const err = new Error(`response out of order: expected correlation id ${next.correlationId}, got ${correlationId}`);
        next.reject(err);
        this.fail(err);
        return;
      }
      next.resolve(frame.subarray(4));
    }
  }

  private fail(err: Error): void {
    if (!this.closedError) this.closedError = err;
    for (const p of this.pending.splice(0)) p.reject(err);
  }
}

// ---------------------------------------------------------------------------
// RecordBatch v2

export interface RawRecord {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: Array<[string, Buffer | string | null]>;
  timestampDelta?: number;
}

export interface BatchOptions {
  records: RawRecord[];
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  baseTimestamp?: number;
  attributes?: number;
}

const asBuf = (v: Buffer | string | null | undefined): Buffer | null => (v == null ? null : Buffer.isBuffer(v) ? v : Buffer.from(v, 'utf8'));

/** An uncompressed RecordBatch v2 with a correct CRC-32C (bytes 21..end). */
export function encodeRecordBatch(opts: BatchOptions): Buffer {
  const baseTimestamp = opts.baseTimestamp ?? Date.now();
  const records = opts.records.map((r, i) => {
    const body = new Enc().int8(0).varint(r.timestampDelta ?? 0).varint(i);
    const key = asBuf(r.key);
    if (key === null) body.varint(-1);
    else body.varint(key.length).raw(key);
    const value = asBuf(r.value);
    if (value === null) body.varint(-1);
    else body.varint(value.length).raw(value);
    const headers = r.headers ?? [];
    body.varint(headers.length);
    for (const [hk, hv] of headers) {
      const k = Buffer.from(hk, 'utf8');
      body.varint(k.length).raw(k);
      const v = asBuf(hv);
      if (v === null) body.varint(-1);
      else body.varint(v.length).raw(v);
    }
    const b = body.build();
    return new Enc().varint(b.length).raw(b).build();
  });
  const maxDelta = Math.max(0, ...opts.records.map((r) => r.timestampDelta ?? 0));
  const afterCrc = new Enc()
    .int16(opts.attributes ?? 0)
    .int32(opts.records.length - 1)
    .int64(baseTimestamp)
    .int64(baseTimestamp + maxDelta)
    .int64(opts.producerId ?? -1)
    .int16(opts.producerEpoch ?? -1)
    .int32(opts.baseSequence ?? -1)
    .int32(opts.records.length)
    .raw(Buffer.concat(records))
    .build();
  const crc = crc32c(afterCrc);
  const batchLength = 4 + 1 + 4 + afterCrc.length; // partitionLeaderEpoch + magic + crc + rest
  return new Enc().int64(0).int32(batchLength).int32(-1).int8(2).uint32(crc).raw(afterCrc).build();
}

export interface DecodedRecord {
  offset: number;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
}

export interface DecodedBatch {
  baseOffset: number;
  lastOffsetDelta: number;
  magic: number;
  crcValid: boolean;
  attributes: number;
  baseTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
  /** Decoded only for uncompressed batches. */
  records: DecodedRecord[] | null;
  /** The batch exactly as the broker returned it. */
  bytes: Buffer;
}

/** Every complete batch in a fetch response's records; a trailing partial batch is ignored, as clients do. */
export function decodeRecordBatches(buf: Buffer | null): DecodedBatch[] {
  const out: DecodedBatch[] = [];
  if (!buf) return out;
  let at = 0;
  while (buf.length - at >= 12) {
    const batchLength = buf.readInt32BE(at + 8);
    if (buf.length - at < 12 + batchLength) break;
    const bytes = buf.subarray(at, at + 12 + batchLength);
    const d = new Dec(bytes);
    const baseOffset = d.int64();
    d.int32(); // batchLength
    d.int32(); // partitionLeaderEpoch
    const magic = d.int8();
    const crc = d.uint32();
    const crcValid = crc32c(bytes.subarray(21)) === crc;
    const attributes = d.int16();
    const lastOffsetDelta = d.int32();
    const baseTimestamp = d.int64();
    d.int64(); // maxTimestamp
    const producerId = d.int64();
    const producerEpoch = d.int16();
    const baseSequence = d.int32();
    const recordsCount = d.int32();
    let records: DecodedRecord[] | null = null;
    if ((attributes & 0x07) === 0) {
      records = [];
      for (let i = 0; i < recordsCount; i++) {
        d.varint(); // length
        d.int8(); // attributes
        const timestampDelta = d.varint();
        const offsetDelta = d.varint();
        const keyLen = d.varint();
        const key = keyLen < 0 ? null : Buffer.from(d.raw(keyLen));
        const valueLen = d.varint();
        const value = valueLen < 0 ? null : Buffer.from(d.raw(valueLen));
        const headers: Array<[string, Buffer | null]> = [];
        const headerCount = d.varint();
        for (let h = 0; h < headerCount; h++) {
          const hk = d.raw(d.varint()).toString('utf8');
          const hvLen = d.varint();
          headers.push([hk, hvLen < 0 ? null : Buffer.from(d.raw(hvLen))]);
        }
        records.push({ offset: baseOffset + offsetDelta, timestamp: baseTimestamp + timestampDelta, key, value, headers });
      }
    }
    out.push({ baseOffset, lastOffsetDelta, magic, crcValid, attributes, baseTimestamp, producerId, producerEpoch, baseSequence, recordsCount, records, bytes: Buffer.from(bytes) });
    at += 12 + batchLength;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Requests (non-flexible versions only)

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** ApiVersions v0–2: the advertised ranges, by api key. */
export async function apiVersions(c: RawKafkaClient, version = 2): Promise<{ errorCode: number; apis: ApiVersionRange[]; throttleTimeMs?: number }> {
  const d = new Dec(await c.request(ApiKey.ApiVersions, version, Buffer.alloc(0)));
  const errorCode = d.int16();
  const apis = d.array((a) => ({ apiKey: a.int16(), minVersion: a.int16(), maxVersion: a.int16() })) ?? [];
  const throttleTimeMs = version >= 1 ? d.int32() : undefined;
  d.end();
  return { errorCode, apis, throttleTimeMs };
}

/**
 * ApiVersions v3 with the flexible header v2, as librdkafka sends first. The
 * broker answers UNSUPPORTED_VERSION with a v0 body (error_code, api_keys).
 */
export async function apiVersionsV3Probe(c: RawKafkaClient): Promise<{ errorCode: number; apis: ApiVersionRange[] }> {
  // client_software_name, client_software_version as compact strings (length+1), then empty tagged fields
  const name = Buffer.from('raw-conformance');
  const ver = Buffer.from('1.0');
  const body = new Enc().uvarint(name.length + 1).raw(name).uvarint(ver.length + 1).raw(ver).uvarint(0).build();
  const d = new Dec(await c.request(ApiKey.ApiVersions, 3, body, { flexibleHeader: true }));
  const errorCode = d.int16();
  const apis = d.array((a) => ({ apiKey: a.int16(), minVersion: a.int16(), maxVersion: a.int16() })) ?? [];
  return { errorCode, apis };
}

export async function initProducerId(c: RawKafkaClient, version = 1): Promise<{ errorCode: number; producerId: number; producerEpoch: number }> {
  const body = new Enc().string(null).int32(60_000).build();
  const d = new Dec(await c.request(ApiKey.InitProducerId, version, body));
  d.int32(); // throttle_time_ms
  const errorCode = d.int16();
  const producerId = d.int64();
  const producerEpoch = d.int16();
  d.end();
  return { errorCode, producerId, producerEpoch };
}

export interface ProducePartitionResult {
  topic: string;
  partition: number;
  errorCode: number;
  baseOffset: number;
  logAppendTime?: number;
  logStartOffset?: number;
}

/** Produce v3–7 of one batch to one partition; acks 0 resolves with null (no response). */
export async function produce(
  c: RawKafkaClient,
  version: number,
  req: { topic: string; partition: number; batch: Buffer; acks?: number; timeoutMs?: number },
): Promise<ProducePartitionResult | null> {
  const acks = req.acks ?? -1;
  const body = new Enc()
    .string(null)
    .int16(acks)
    .int32(req.timeoutMs ?? 10_000)
    .array([req.topic], (e, t) => e.string(t).array([req.partition], (p, idx) => p.int32(idx).bytes(req.batch)))
    .build();
  const raw = await c.request(ApiKey.Produce, version, body, { expectResponse: acks !== 0 });
  if (acks === 0) return null;
  const d = new Dec(raw);
  const results =
    d.array((t) => {
      const topic = t.string() ?? '';
      return (
        t.array((p) => {
          const r: ProducePartitionResult = { topic, partition: p.int32(), errorCode: p.int16(), baseOffset: p.int64() };
          if (version >= 2) r.logAppendTime = p.int64();
          if (version >= 5) r.logStartOffset = p.int64();
          return r;
        }) ?? []
      );
    }) ?? [];
  d.int32(); // throttle_time_ms comes last in Produce
  d.end();
  const flat = results.flat();
  if (flat.length !== 1) throw new Error(`expected one partition result, got ${flat.length}`);
  return flat[0]!;
}

export interface FetchPartitionResult {
  topErrorCode: number;
  sessionId: number;
  partition: number;
  errorCode: number;
  highWatermark: number;
  lastStableOffset: number;
  logStartOffset: number;
  abortedTransactions: Array<{ producerId: number; firstOffset: number }> | null;
  preferredReadReplica: number;
  records: Buffer | null;
}

/** Fetch v4–11 of one partition (v11 unless `version` says otherwise); fields a version lacks read as their defaults. */
export async function fetch(
  c: RawKafkaClient,
  req: { topic: string; partition: number; offset: number; maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number; version?: number },
): Promise<FetchPartitionResult> {
  const v = req.version ?? 11;
  const e = new Enc()
    .int32(-1) // replica_id
    .int32(req.maxWaitMs ?? 0)
    .int32(req.minBytes ?? 1)
    .int32(req.maxBytes ?? 50 * 1024 * 1024)
    .int8(0); // isolation_level READ_UNCOMMITTED
  if (v >= 7) e.int32(0).int32(-1); // session_id, session_epoch: a full fetch, no session
  e.array([req.topic], (t, name) =>
    t.string(name).array([req.partition], (p, idx) => {
      p.int32(idx);
      if (v >= 9) p.int32(-1); // current_leader_epoch
      p.int64(req.offset);
      if (v >= 5) p.int64(-1); // log_start_offset (followers only)
      p.int32(req.partitionMaxBytes ?? 1024 * 1024);
    }),
  );
  if (v >= 7) e.array([], () => undefined); // forgotten_topics_data
  if (v >= 11) e.string(''); // rack_id
  const d = new Dec(await c.request(ApiKey.Fetch, v, e.build()));
  d.int32(); // throttle_time_ms
  const topErrorCode = v >= 7 ? d.int16() : 0;
  const sessionId = v >= 7 ? d.int32() : 0;
  const partitions =
    d.array((t) => {
      t.string();
      return (
        t.array((p) => ({
          partition: p.int32(),
          errorCode: p.int16(),
          highWatermark: p.int64(),
          lastStableOffset: p.int64(),
          logStartOffset: v >= 5 ? p.int64() : -1,
          abortedTransactions: p.array((a) => ({ producerId: a.int64(), firstOffset: a.int64() })),
          preferredReadReplica: v >= 11 ? p.int32() : -1,
          records: p.bytes(),
        })) ?? []
      );
    }) ?? [];
  d.end();
  const flat = partitions.flat();
  if (flat.length !== 1) throw new Error(`expected one partition in the fetch response, got ${flat.length}`);
  return { topErrorCode, sessionId, ...flat[0]! };
}

export interface MetadataResult {
  brokers: Array<{ nodeId: number; host: string | null; port: number; rack: string | null }>;
  clusterId: string | null;
  controllerId: number;
  topics: Array<{ errorCode: number; name: string | null; isInternal: boolean; partitions: Array<{ errorCode: number; partition: number; leader: number; replicas: number[]; isr: number[]; offline: number[] }> }>;
}

/** Metadata v1–6; `topics` null asks for all topics. */
export async function metadata(c: RawKafkaClient, version: number, topics: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResult> {
  const e = new Enc().array(topics, (t, name) => t.string(name));
  if (version >= 4) e.int8(allowAutoTopicCreation ? 1 : 0);
  const d = new Dec(await c.request(ApiKey.Metadata, version, e.build()));
  if (version >= 3) d.int32();
  const brokers = d.array((b) => ({ nodeId: b.int32(), host: b.string(), port: b.int32(), rack: b.string() })) ?? [];
  const clusterId = version >= 2 ? d.string() : null;
  const controllerId = d.int32();
  const ints = (x: Dec) => x.array((i) => i.int32()) ?? [];
  const result =
    d.array((t) => ({
      errorCode: t.int16(),
      name: t.string(),
      isInternal: t.int8() !== 0,
      partitions:
        t.array((p) => ({
          errorCode: p.int16(),
          partition: p.int32(),
          leader: p.int32(),
          replicas: ints(p),
          isr: ints(p),
          offline: version >= 5 ? ints(p) : [],
        })) ?? [],
    })) ?? [];
  d.end();
  return { brokers, clusterId, controllerId, topics: result };
}

/** FindCoordinator v0–2 for a group. */
export async function findCoordinator(c: RawKafkaClient, version: number, groupId: string): Promise<{ errorCode: number; nodeId: number; host: string | null; port: number }> {
  const e = new Enc().string(groupId);
  if (version >= 1) e.int8(0); // key_type: group
  const d = new Dec(await c.request(ApiKey.FindCoordinator, version, e.build()));
  if (version >= 1) d.int32();
  const errorCode = d.int16();
  if (version >= 1) d.string(); // error_message
  const out = { errorCode, nodeId: d.int32(), host: d.string(), port: d.int32() };
  d.end();
  return out;
}

export interface JoinGroupResult {
  errorCode: number;
  generationId: number;
  protocolName: string | null;
  leader: string | null;
  memberId: string | null;
  members: Array<{ memberId: string | null; metadata: Buffer | null }>;
}

/** JoinGroup v0–5 with one protocol. */
export async function joinGroup(
  c: RawKafkaClient,
  version: number,
  req: { groupId: string; memberId: string; sessionTimeoutMs?: number; rebalanceTimeoutMs?: number; protocolType?: string; protocols: Array<{ name: string; metadata: Buffer }> },
): Promise<JoinGroupResult> {
  const e = new Enc().string(req.groupId).int32(req.sessionTimeoutMs ?? 10_000);
  if (version >= 1) e.int32(req.rebalanceTimeoutMs ?? 10_000);
  e.string(req.memberId);
  if (version >= 5) e.string(null); // group_instance_id: dynamic membership
  e.string(req.protocolType ?? 'consumer').array(req.protocols, (p, proto) => p.string(proto.name).bytes(proto.metadata));
  const d = new Dec(await c.request(ApiKey.JoinGroup, version, e.build()));
  if (version >= 2) d.int32();
  const errorCode = d.int16();
  const generationId = d.int32();
  const protocolName = d.string();
  const leader = d.string();
  const memberId = d.string();
  const members =
    d.array((m) => {
      const id = m.string();
      if (version >= 5) m.string();
      return { memberId: id, metadata: m.bytes() };
    }) ?? [];
  d.end();
  return { errorCode, generationId, protocolName, leader, memberId, members };
}

/** SyncGroup v0–3. */
export async function syncGroup(
  c: RawKafkaClient,
  version: number,
  req: { groupId: string; generationId: number; memberId: string; assignments?: Array<{ memberId: string; assignment: Buffer }> },
): Promise<{ errorCode: number; assignment: Buffer | null }> {
  const e = new Enc().string(req.groupId).int32(req.generationId).string(req.memberId);
  if (version >= 3) e.string(null);
  e.array(req.assignments ?? [], (a, x) => a.string(x.memberId).bytes(x.assignment));
  const d = new Dec(await c.request(ApiKey.SyncGroup, version, e.build()));
  if (version >= 1) d.int32();
  const errorCode = d.int16();
  const assignment = d.bytes();
  d.end();
  return { errorCode, assignment };
}

/** Heartbeat v0–3: the error code. */
export async function heartbeat(c: RawKafkaClient, version: number, req: { groupId: string; generationId: number; memberId: string }): Promise<number> {
  const e = new Enc().string(req.groupId).int32(req.generationId).string(req.memberId);
  if (version >= 3) e.string(null);
  const d = new Dec(await c.request(ApiKey.Heartbeat, version, e.build()));
  if (version >= 1) d.int32();
  const errorCode = d.int16();
  d.end();
  return errorCode;
}

/** LeaveGroup v0–3: the top-level error code (v3: and each member's). */
export async function leaveGroup(c: RawKafkaClient, version: number, req: { groupId: string; memberId: string }): Promise<{ errorCode: number; memberErrorCodes: number[] }> {
  const e = new Enc().string(req.groupId);
  if (version >= 3) e.array([req.memberId], (m, id) => m.string(id).string(null));
  else e.string(req.memberId);
  const d = new Dec(await c.request(ApiKey.LeaveGroup, version, e.build()));
  if (version >= 1) d.int32();
  const errorCode = d.int16();
  const memberErrorCodes: number[] = [];
  if (version >= 3) {
    d.array((m) => {
      m.string();
      m.string();
      memberErrorCodes.push(m.int16());
    });
  }
  d.end();
  return { errorCode, memberErrorCodes };
}

/** OffsetCommit v2–7 of one partition: that partition's error code. */
export async function offsetCommit(
  c: RawKafkaClient,
  version: number,
  req: { groupId: string; generationId: number; memberId: string; topic: string; partition: number; offset: number; metadata?: string | null },
): Promise<number> {
  const e = new Enc().string(req.groupId).int32(req.generationId).string(req.memberId);
  if (version >= 7) e.string(null);
  if (version >= 2 && version <= 4) e.int64(-1); // retention_time_ms: broker default
  e.array([req.topic], (t, name) =>
    t.string(name).array([req.partition], (p, idx) => {
      p.int32(idx).int64(req.offset);
      if (version >= 6) p.int32(-1);
      p.string(req.metadata ?? null);
    }),
  );
  const d = new Dec(await c.request(ApiKey.OffsetCommit, version, e.build()));
  if (version >= 3) d.int32();
  const codes: number[] = [];
  d.array((t) => {
    t.string(); // name
    t.array((p) => {
      p.int32(); // partition_index
      codes.push(p.int16());
    });
  });
  d.end();
  if (codes.length !== 1) throw new Error(`expected one partition result, got ${codes.length}`);
  return codes[0]!;
}

/** OffsetFetch v1–5 of one partition. */
export async function offsetFetch(
  c: RawKafkaClient,
  version: number,
  req: { groupId: string; topic: string; partition: number },
): Promise<{ errorCode: number; partitionErrorCode: number; offset: number; leaderEpoch?: number; metadata: string | null }> {
  const body = new Enc().string(req.groupId).array([req.topic], (t, name) => t.string(name).array([req.partition], (p, idx) => p.int32(idx))).build();
  const d = new Dec(await c.request(ApiKey.OffsetFetch, version, body));
  if (version >= 3) d.int32();
  const parts = (
    d.array((t) => {
      t.string();
      return (
        t.array((p) => {
          p.int32();
          const offset = p.int64();
          const leaderEpoch = version >= 5 ? p.int32() : undefined;
          const metadata = p.string();
          return { offset, leaderEpoch, metadata, partitionErrorCode: p.int16() };
        }) ?? []
      );
    }) ?? []
  ).flat();
  const errorCode = version >= 2 ? d.int16() : 0;
  d.end();
  if (parts.length !== 1) throw new Error(`expected one partition result, got ${parts.length}`);
  return { errorCode, ...parts[0]! };
}

/** The consumer protocol's subscription metadata (version 0): what a JoinGroup member sends. */
export function consumerSubscription(topics: string[]): Buffer {
  return new Enc()
    .int16(0)
    .array(topics, (e, t) => e.string(t))
    .bytes(null)
    .build();
}

/** The consumer protocol's assignment (version 0): what SyncGroup hands out. */
export function consumerAssignment(assignment: Record<string, number[]>): Buffer {
  return new Enc()
    .int16(0)
    .array(Object.entries(assignment), (e, [topic, partitions]) => e.string(topic).array(partitions, (p, n) => p.int32(n)))
    .bytes(null)
    .build();
}

/** ListOffsets v1–3 of one partition: timestamp −1 = log end, −2 = log start, else the first offset with timestamp ≥ it. */
export async function listOffsets(
  c: RawKafkaClient,
  version: number,
  req: { topic: string; partition: number; timestamp: number },
): Promise<{ errorCode: number; timestamp: number; offset: number }> {
  const e = new Enc().int32(-1);
  if (version >= 2) e.int8(0); // isolation_level
  e.array([req.topic], (t, name) => t.string(name).array([req.partition], (p, idx) => p.int32(idx).int64(req.timestamp)));
  const d = new Dec(await c.request(ApiKey.ListOffsets, version, e.build()));
  if (version >= 2) d.int32();
  const parts = (
    d.array((t) => {
      t.string();
      return t.array((p) => ({ partition: p.int32(), errorCode: p.int16(), timestamp: p.int64(), offset: p.int64() })) ?? [];
    }) ?? []
  ).flat();
  d.end();
  if (parts.length !== 1) throw new Error(`expected one partition result, got ${parts.length}`);
  const { errorCode, timestamp, offset } = parts[0]!;
  return { errorCode, timestamp, offset };
}
