import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { crc32c } from '@node-rs/crc32';
import { describe, expect, it } from 'vitest';
import { createLogger, type Logger } from '../../src/logging.js';
import { PartitionLog, segmentFileName, type LogConfig } from '../../src/local/broker/log/partition-log.js';
import { MAX_SEQUENCE } from '../../src/local/broker/log/producer-state.js';
import { isControl, isTransactional, readBatchHeader, splitBatches, type BatchHeader } from '../../src/local/broker/log/record-batch.js';
import { KafkaProtocolError } from '../../src/local/broker/protocol/errors.js';
import { Writer } from '../../src/local/broker/protocol/codec.js';

// ---- helpers: RecordBatch v2 built by hand, as a producer would send it ----

interface BatchSpec {
  /** Values of the records (one record each). */
  values?: string[];
  /** Timestamp of every record; maxTimestamp = the largest. */
  timestamps?: number[];
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
  attributes?: number;
}

function buildBatch(spec: BatchSpec = {}): Buffer {
  const values = spec.values ?? ['v'];
  const timestamps = spec.timestamps ?? values.map(() => 1_700_000_000_000);
  const baseTimestamp = Math.min(...timestamps);
  const records = new Writer();
  values.forEach((value, i) => {
    const body = new Writer()
      .int8(0)
      .varlong(timestamps[i] - baseTimestamp)
      .varint(i)
      .varint(-1) // null key
      .varint(Buffer.byteLength(value))
      .raw(Buffer.from(value))
      .varint(0) // no headers
      .toBuffer();
    records.varint(body.length).raw(body);
  });
  const recordBytes = records.toBuffer();
  const w = new Writer()
    .int64(999) // baseOffset: whatever the producer sends, the broker overwrites it
    .int32(0) // batchLength, set below
    .int32(-1) // partitionLeaderEpoch
    .int8(2)
    .uint32(0) // crc, set below
    .int16(spec.attributes ?? 0)
    .int32(values.length - 1)
    .int64(baseTimestamp)
    .int64(Math.max(...timestamps))
    .int64(spec.producerId ?? -1)
    .int16(spec.producerEpoch ?? -1)
    .int32(spec.baseSequence ?? -1)
    .int32(values.length)
    .raw(recordBytes);
  const buf = Buffer.from(w.toBuffer());
  buf.writeInt32BE(buf.length - 12, 8);
  buf.writeUInt32BE(crc32c(buf.subarray(21)), 17);
  return buf;
}

function batch(spec: BatchSpec = {}): { bytes: Buffer; header: BatchHeader } {
  const [only] = splitBatches(buildBatch(spec));
  return only;
}

/** n records of ~size bytes each. */
function values(n: number, size = 10, tag = 'x'): string[] {
  return Array.from({ length: n }, (_, i) => `${tag}${i}`.padEnd(size, '.'));
}

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-log-'));
}

function captureLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger('test', { level: 'debug', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { logger, lines };
}

const quiet = createLogger('test', { level: 'silent' });
const FOREVER: LogConfig = { segmentBytes: 1024 * 1024, retentionMs: -1, retentionBytes: -1 };

function openLog(dir: string, config: Partial<LogConfig> = {}, logger: Logger = quiet): PartitionLog {
  return PartitionLog.open(dir, { ...FOREVER, ...config }, logger);
}

function append(log: PartitionLog, spec: BatchSpec = {}) {
  const b = batch(spec);
  return log.append(b.bytes, b.header);
}

function errorCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof KafkaProtocolError) return err.errorCode;
    throw err;
  }
  return undefined;
}

/** Base offsets of the batches in a read result. */
function baseOffsets(bytes: Buffer): number[] {
  return splitBatches(bytes).map((b) => b.header.baseOffset);
}

/** Every batch of the log, read from the start with small reads (crosses segments). */
function readAll(log: PartitionLog, maxBytes = 1): Buffer[] {
  const out: Buffer[] = [];
  let offset = log.logStartOffset;
  while (offset < log.logEndOffset) {
    for (const b of splitBatches(log.read(offset, maxBytes))) {
      out.push(Buffer.from(b.bytes));
      offset = b.header.baseOffset + b.header.lastOffsetDelta + 1;
    }
  }
  return out;
}

function segmentFiles(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.endsWith('.log'))
    .sort();
}

function lastSegment(dir: string): string {
  return path.join(dir, segmentFiles(dir).at(-1) as string);
}

// ---- record-batch ----

describe('record batches', () => {
  it('reads every header field', () => {
    const buf = buildBatch({ values: ['a', 'b', 'c'], timestamps: [10, 30, 20], producerId: 7, producerEpoch: 2, baseSequence: 40, attributes: 0x10 });
    const h = readBatchHeader(buf);
    expect(h).toMatchObject({
      baseOffset: 999,
      batchLength: buf.length - 12,
      size: buf.length,
      partitionLeaderEpoch: -1,
      magic: 2,
      crc: crc32c(buf.subarray(21)),
      attributes: 0x10,
      lastOffsetDelta: 2,
      baseTimestamp: 10,
      maxTimestamp: 30,
      producerId: 7,
      producerEpoch: 2,
      baseSequence: 40,
      recordsCount: 3,
    });
    expect(isTransactional(h)).toBe(true);
    expect(isControl(h)).toBe(false);
    expect(isControl(readBatchHeader(buildBatch({ attributes: 0x20 })))).toBe(true);
    expect(readBatchHeader(buildBatch()).producerId).toBe(-1);
  });

  it('splits concatenated batches into views of the request buffer', () => {
    const a = buildBatch({ values: ['a'] });
    const b = buildBatch({ values: ['b', 'c'] });
    const records = Buffer.concat([a, b]);
    const parts = splitBatches(records);
    expect(parts.map((p) => p.header.recordsCount)).toEqual([1, 2]);
    expect(parts[1].bytes.equals(b)).toBe(true);
    parts[1].bytes[0] = 0x55; // a view, not a copy
    expect(records[a.length]).toBe(0x55);
    expect(splitBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('rejects corrupt batches with CORRUPT_MESSAGE', () => {
    const good = buildBatch({ values: ['a', 'b'] });
    const flipped = Buffer.from(good);
    flipped[flipped.length - 1] ^= 0xff;
    const oldMagic = Buffer.from(good);
    oldMagic[16] = 1;
    const tooLong = Buffer.from(good);
    tooLong.writeInt32BE(good.length, 8);
    const negativeCount = Buffer.from(good);
    negativeCount.writeInt32BE(-1, 57);
    negativeCount.writeUInt32BE(crc32c(negativeCount.subarray(21)), 17);
    for (const bad of [flipped, oldMagic, tooLong, negativeCount, good.subarray(0, 60), Buffer.concat([good, good.subarray(0, 30)])]) {
      expect(errorCode(() => splitBatches(bad))).toBe(2);
    }
    expect(errorCode(() => readBatchHeader(good.subarray(0, 60)))).toBe(2);
  });
});

// ---- partition log ----

describe('PartitionLog append and read', () => {
  it('assigns contiguous offsets and reads back the stored bytes', () => {
    const log = openLog(tempDir());
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0, 0]);
    const a = batch({ values: ['one'] });
    const b = batch({ values: values(5) });
    const c = batch({ values: values(2) });
    expect(log.append(a.bytes, a.header)).toEqual({ baseOffset: 0, duplicate: false, logStartOffset: 0 });
    expect(log.append(b.bytes, b.header).baseOffset).toBe(1);
    expect(log.append(c.bytes, c.header).baseOffset).toBe(6);
    expect(log.logEndOffset).toBe(8);
    expect(b.bytes.readBigInt64BE(0)).toBe(1n); // rewritten in place
    const all = log.read(0, 1 << 20);
    expect(all.equals(Buffer.concat([a.bytes, b.bytes, c.bytes]))).toBe(true);
    expect(baseOffsets(all)).toEqual([0, 1, 6]); // still valid CRCs: baseOffset is outside the CRC
    log.close();
  });

  it('returns the whole batch holding an offset in the middle of it', () => {
    const log = openLog(tempDir());
    append(log, { values: ['a'] });
    append(log, { values: values(5) });
    append(log, { values: ['z'] });
    expect(baseOffsets(log.read(3, 1))).toEqual([1]);
    expect(baseOffsets(log.read(5, 1 << 20))).toEqual([1, 6]);
    log.close();
  });

  it('returns at least one batch even over maxBytes, and otherwise only whole batches', () => {
    const log = openLog(tempDir());
    const sizes = [values(20, 50), values(3), values(4)].map((v) => {
      const b = batch({ values: v });
      log.append(b.bytes, b.header);
      return b.bytes.length;
    });
    expect(log.read(0, 10).length).toBe(sizes[0]);
    expect(log.read(0, 0).length).toBe(sizes[0]);
    expect(log.read(0, sizes[0] + sizes[1] - 1).length).toBe(sizes[0]);
    expect(log.read(0, sizes[0] + sizes[1]).length).toBe(sizes[0] + sizes[1]);
    expect(log.read(20, sizes[1] + sizes[2]).length).toBe(sizes[1] + sizes[2]);
    log.close();
  });

  it('answers OFFSET_OUT_OF_RANGE outside [logStart, logEnd] and nothing at logEnd', () => {
    const log = openLog(tempDir());
    expect(log.read(0, 100).length).toBe(0);
    append(log, { values: values(3) });
    expect(log.read(3, 100).length).toBe(0);
    expect(errorCode(() => log.read(4, 100))).toBe(1);
    expect(errorCode(() => log.read(-1, 100))).toBe(1);
    log.close();
  });

  it('rolls segments at segmentBytes and reads across them', () => {
    const dir = tempDir();
    const log = openLog(dir, { segmentBytes: 400 });
    const written: Buffer[] = [];
    for (let i = 0; i < 12; i++) {
      const b = batch({ values: values(2, 40, `b${i}-`) });
      log.append(b.bytes, b.header);
      written.push(b.bytes);
    }
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    expect(files[0]).toBe(segmentFileName(0));
    for (const f of files) expect(fs.statSync(path.join(dir, f)).size).toBeLessThanOrEqual(400);
    // A segment's name is the first offset in it.
    for (const f of files) {
      const first = readBatchHeader(fs.readFileSync(path.join(dir, f)));
      expect(first.baseOffset).toBe(Number(f.slice(0, 20)));
    }
    expect(readAll(log)).toEqual(written);
    expect(readAll(log, 1 << 20)).toEqual(written);
    // A big read stops at the segment end: fewer bytes, never a partial batch.
    const fromSecond = log.read(Number(files[1].slice(0, 20)), 1 << 20);
    expect(fromSecond.length).toBe(fs.statSync(path.join(dir, files[1])).size);
    log.close();
  });

  it('puts a batch larger than segmentBytes in a segment of its own', () => {
    const dir = tempDir();
    const log = openLog(dir, { segmentBytes: 100 });
    append(log, { values: ['small'] });
    append(log, { values: values(10, 50) });
    append(log, { values: ['small'] });
    expect(segmentFiles(dir)).toEqual([segmentFileName(0), segmentFileName(1), segmentFileName(11)]);
    expect(baseOffsets(log.read(5, 1))).toEqual([1]);
    log.close();
  });
});

describe('PartitionLog recovery', () => {
  it('reopens with the same offsets, index and bytes', () => {
    const dir = tempDir();
    const log = openLog(dir, { segmentBytes: 300 });
    for (let i = 0; i < 10; i++) append(log, { values: values(i + 1, 20, `r${i}-`) });
    const before = readAll(log);
    const end = log.logEndOffset;
    log.close();

    const reopened = openLog(dir, { segmentBytes: 300 });
    expect(reopened.logEndOffset).toBe(end);
    expect(reopened.logStartOffset).toBe(0);
    expect(readAll(reopened)).toEqual(before);
    expect(append(reopened, { values: ['next'] }).baseOffset).toBe(end);
    reopened.close();
  });

  it('rebuilds idempotent producer state: a replayed batch is still a duplicate', () => {
    const dir = tempDir();
    const log = openLog(dir);
    append(log, { values: values(3), producerId: 42, producerEpoch: 1, baseSequence: 0 });
    const second = { values: values(2), producerId: 42, producerEpoch: 1, baseSequence: 3 };
    expect(append(log, second).baseOffset).toBe(3);
    append(log, { values: values(4) });
    log.close();

    const reopened = openLog(dir);
    expect(reopened.producerState(42)).toEqual({ epoch: 1, lastSequence: 4 });
    expect(append(reopened, second)).toEqual({ baseOffset: 3, duplicate: true, logStartOffset: 0 });
    expect(reopened.logEndOffset).toBe(9);
    expect(errorCode(() => append(reopened, { ...second, baseSequence: 7 }))).toBe(45);
    expect(append(reopened, { ...second, baseSequence: 5 }).baseOffset).toBe(9);
    reopened.close();
  });

  /** Writes 3 batches, damages the tail, reopens; returns the reopened log and the warnings. */
  function damagedTail(damage: (file: string, lastBatchSize: number) => void) {
    const dir = tempDir();
    const log = openLog(dir);
    append(log, { values: values(2) });
    append(log, { values: values(3) });
    const last = batch({ values: values(4) });
    log.append(last.bytes, last.header);
    log.close();
    const file = lastSegment(dir);
    damage(file, last.bytes.length);
    const { logger, lines } = captureLogger();
    const reopened = openLog(dir, {}, logger);
    const warnings = lines.filter((l) => l.level === 'warn');
    return { dir, file, reopened, warnings, lastSize: last.bytes.length };
  }

  it('cuts off garbage appended after the last batch', () => {
    let sizeBefore = 0;
    const { file, reopened, warnings } = damagedTail((f) => {
      sizeBefore = fs.statSync(f).size;
      fs.appendFileSync(f, Buffer.from('garbage after the log'));
    });
    expect(reopened.logEndOffset).toBe(9);
    expect(fs.statSync(file).size).toBe(sizeBefore);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ offset: 9, bytesDropped: 21 });
    reopened.close();
  });

  it('cuts off half a batch', () => {
    const { file, reopened, warnings, lastSize } = damagedTail((f, size) => {
      fs.truncateSync(f, fs.statSync(f).size - Math.floor(size / 2));
    });
    expect(reopened.logEndOffset).toBe(5);
    expect(warnings[0]).toMatchObject({ offset: 5, bytesDropped: lastSize - Math.floor(lastSize / 2) });
    expect(baseOffsets(reopened.read(0, 1 << 20))).toEqual([0, 2]);
    expect(fs.statSync(file).size).toBe(reopened.sizeBytes);
    // The log goes on from the cut, and reopens clean.
    expect(append(reopened, { values: ['after'] }).baseOffset).toBe(5);
    reopened.close();
    const { logger, lines } = captureLogger();
    const again = openLog(path.dirname(file), {}, logger);
    expect(again.logEndOffset).toBe(6);
    expect(lines.filter((l) => l.level === 'warn')).toEqual([]);
    again.close();
  });

  it('cuts off a last batch whose CRC no longer matches', () => {
    const { reopened, warnings, lastSize } = damagedTail((f) => {
      const buf = fs.readFileSync(f);
      buf[buf.length - 3] ^= 0x01;
      fs.writeFileSync(f, buf);
    });
    expect(reopened.logEndOffset).toBe(5);
    expect(warnings[0]).toMatchObject({ offset: 5, bytesDropped: lastSize });
    expect(String(warnings[0].reason)).toMatch(/CRC/);
    reopened.close();
  });

  it('drops everything after a corrupt batch in an earlier segment', () => {
    const dir = tempDir();
    const log = openLog(dir, { segmentBytes: 200 });
    for (let i = 0; i < 8; i++) append(log, { values: values(2, 40) });
    log.close();
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(3);
    // Break the offset chain of the second segment's first batch.
    const second = path.join(dir, files[1]);
    const buf = fs.readFileSync(second);
    buf.writeBigInt64BE(12345n, 0);
    fs.writeFileSync(second, buf);
    const { logger, lines } = captureLogger();
    const reopened = openLog(dir, { segmentBytes: 200 }, logger);
    expect(reopened.logEndOffset).toBe(Number(files[1].slice(0, 20)));
    expect(segmentFiles(dir)).toEqual(files.slice(0, 2));
    expect(lines.filter((l) => l.level === 'warn').length).toBe(files.length - 1);
    expect(append(reopened, { values: ['x'] }).baseOffset).toBe(reopened.logEndOffset - 1);
    reopened.close();
  });
});

describe('PartitionLog idempotent producers', () => {
  const pid = { producerId: 5, producerEpoch: 0 };

  it('answers a retried batch with its original offset and does not append it', () => {
    const log = openLog(tempDir());
    const sent = [0, 2, 4, 6, 8, 10].map((seq) => append(log, { ...pid, baseSequence: seq, values: values(2) }).baseOffset);
    expect(sent).toEqual([0, 2, 4, 6, 8, 10]);
    // The last five are remembered.
    expect(append(log, { ...pid, baseSequence: 10, values: values(2) })).toEqual({ baseOffset: 10, duplicate: true, logStartOffset: 0 });
    expect(append(log, { ...pid, baseSequence: 2, values: values(2) })).toMatchObject({ baseOffset: 2, duplicate: true });
    expect(log.logEndOffset).toBe(12);
    // Older than the cache: out of order, as is a batch overlapping a cached one.
    expect(errorCode(() => append(log, { ...pid, baseSequence: 0, values: values(2) }))).toBe(45);
    expect(errorCode(() => append(log, { ...pid, baseSequence: 10, values: values(1) }))).toBe(45);
    log.close();
  });

  it('rejects a sequence gap with OUT_OF_ORDER_SEQUENCE_NUMBER', () => {
    const log = openLog(tempDir());
    append(log, { ...pid, baseSequence: 0, values: values(3) });
    expect(errorCode(() => append(log, { ...pid, baseSequence: 4 }))).toBe(45);
    expect(append(log, { ...pid, baseSequence: 3 }).baseOffset).toBe(3);
    log.close();
  });

  it('fences a stale epoch and starts a new epoch at sequence 0', () => {
    const log = openLog(tempDir());
    append(log, { producerId: 5, producerEpoch: 3, baseSequence: 0, values: values(2) });
    expect(errorCode(() => append(log, { producerId: 5, producerEpoch: 2, baseSequence: 2 }))).toBe(47);
    expect(errorCode(() => append(log, { producerId: 5, producerEpoch: 4, baseSequence: 2 }))).toBe(45);
    expect(append(log, { producerId: 5, producerEpoch: 4, baseSequence: 0 }).baseOffset).toBe(2);
    expect(log.producerState(5)).toEqual({ epoch: 4, lastSequence: 0 });
    expect(errorCode(() => append(log, { producerId: 5, producerEpoch: 3, baseSequence: 2 }))).toBe(47);
    log.close();
  });

  it('accepts an unknown producer at any sequence, and wraps sequences after 2^31-1', () => {
    const log = openLog(tempDir());
    append(log, { ...pid, baseSequence: MAX_SEQUENCE - 1, values: values(3) });
    expect(log.producerState(5)).toEqual({ epoch: 0, lastSequence: 0 }); // MAX-1, MAX, 0
    expect(errorCode(() => append(log, { ...pid, baseSequence: MAX_SEQUENCE }))).toBe(45);
    expect(append(log, { ...pid, baseSequence: 1 }).baseOffset).toBe(3);
    log.close();
  });

  it('checks nothing for non-idempotent producers', () => {
    const log = openLog(tempDir());
    const b = { values: ['same'] };
    expect([append(log, b), append(log, b)].map((r) => r.duplicate)).toEqual([false, false]);
    expect(append(log, { producerId: -1, producerEpoch: 0, baseSequence: 0 }).baseOffset).toBe(2); // kafkajs's non-idempotent -1/0/0
    expect(append(log, { producerId: -1, producerEpoch: 0, baseSequence: 0 }).baseOffset).toBe(3);
    log.close();
  });
});

describe('PartitionLog timestamps and retention', () => {
  it('finds the first batch whose max timestamp reaches a time', () => {
    const log = openLog(tempDir(), { segmentBytes: 200 });
    append(log, { values: values(2, 40), timestamps: [100, 110] });
    append(log, { values: values(2, 40), timestamps: [250, 200] });
    append(log, { values: values(2, 40), timestamps: [300, 310] });
    append(log, { values: values(2, 40), timestamps: [150, 160] }); // out of order: not first
    expect(log.offsetForTimestamp(0)).toBe(0);
    expect(log.offsetForTimestamp(110)).toBe(0);
    expect(log.offsetForTimestamp(111)).toBe(2);
    expect(log.offsetForTimestamp(250)).toBe(2);
    expect(log.offsetForTimestamp(260)).toBe(4);
    expect(log.offsetForTimestamp(311)).toBe(-1);
    log.close();
  });

  it('deletes the oldest segments beyond retention.bytes, never the active one', () => {
    const dir = tempDir();
    const log = openLog(dir, { segmentBytes: 200 });
    for (let i = 0; i < 10; i++) append(log, { values: values(2, 40) });
    const files = segmentFiles(dir);
    const sizes = files.map((f) => fs.statSync(path.join(dir, f)).size);
    const total = sizes.reduce((a, b) => a + b, 0);
    log.enforceRetention(Date.now()); // unlimited: nothing happens
    expect(segmentFiles(dir)).toEqual(files);

    log.config.retentionBytes = total - sizes[0] - 1; // one segment is not enough
    log.enforceRetention(Date.now());
    expect(segmentFiles(dir)).toEqual(files.slice(2));
    expect(log.logStartOffset).toBe(Number(files[2].slice(0, 20)));
    expect(errorCode(() => log.read(0, 100))).toBe(1);
    expect(baseOffsets(log.read(log.logStartOffset, 1))).toEqual([log.logStartOffset]);

    log.config.retentionBytes = 0;
    log.enforceRetention(Date.now());
    expect(segmentFiles(dir)).toEqual([files.at(-1)]);
    expect(log.logEndOffset).toBe(20);
    expect(append(log, { values: ['x'] })).toMatchObject({ baseOffset: 20, logStartOffset: log.logStartOffset });
    log.close();
    const reopened = openLog(dir);
    expect([reopened.logStartOffset, reopened.logEndOffset]).toEqual([Number(files.at(-1)?.slice(0, 20)), 21]);
    reopened.close();
  });

  it('deletes segments whose newest batch is older than retention.ms', () => {
    const dir = tempDir();
    const log = openLog(dir, { segmentBytes: 350, retentionMs: 1000 }); // batches of 155 bytes
    const t0 = 1_000_000;
    for (let i = 0; i < 6; i++) append(log, { values: values(2, 40), timestamps: [t0 + i * 100, t0 + i * 100] });
    const files = segmentFiles(dir);
    expect(files.length).toBe(3); // two batches per segment: newest at t0+100, t0+300, t0+500
    log.enforceRetention(t0 + 1100);
    expect(segmentFiles(dir)).toEqual(files);
    log.enforceRetention(t0 + 1101);
    expect(segmentFiles(dir)).toEqual(files.slice(1));
    expect(log.logStartOffset).toBe(4);
    log.enforceRetention(t0 + 100_000); // the active segment stays
    expect(segmentFiles(dir)).toEqual(files.slice(2));
    expect(log.logStartOffset).toBe(8);
    expect(log.offsetForTimestamp(0)).toBe(8);
    log.close();
  });

  it('destroy removes the folder', () => {
    const dir = path.join(tempDir(), 'p0');
    const log = openLog(dir);
    append(log);
    log.destroy();
    expect(fs.existsSync(dir)).toBe(false);
  });
});
