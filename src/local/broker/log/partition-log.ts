// The log of one partition.
//
// Storage format (changing it needs a migration of existing data dirs):
// - A partition is a folder of append-only segment files, each named by the
//   offset of its first batch, 20-digit zero-padded, with `.log`
//   (00000000000000000000.log, 00000000000000012345.log, ...).
// - A segment holds RecordBatch v2 bytes back to back, exactly as the producer
//   sent them except baseOffset (bytes 0..7), which is rewritten to the
//   assigned offset. Batches are never recompressed or re-encoded.
// - Offsets are contiguous: each batch starts where the previous one ended
//   (lastOffsetDelta + 1), and a segment's name is the offset after the end of
//   the segment before it. There is no other file: indexes and idempotent
//   producer state are rebuilt from the batch headers on open.
// - The first retained offset (log start) is the name of the first segment.
//
// Durability: append() writes the batch with a synchronous write() before it
// returns, so once a produce is acknowledged the bytes are in the OS page
// cache and survive a kill -9 of the process. fsync happens when a segment is
// rolled, on sync() and close(), and on the broker's flush timer (syncAll), so
// a power loss may lose up to one flush interval, as with Kafka's defaults,
// which rely on replication rather than fsync.
//
// Recovery: open() scans every segment's headers (only the last segment is
// CRC-checked: it is the only one a crash can tear). The first bad batch
// (short header, length past the end of the file, bad CRC, offset out of
// sequence) and everything after it is cut off and logged at warn.
//
// Reads: an in-memory index per segment (baseOffset, lastOffset, position,
// size, maxTimestamp per batch, in one growing Float64Array) makes read() a
// binary search plus one readSync.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../logging.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { ProducerStateTable } from './producer-state.js';
import { BATCH_HEADER_SIZE, batchDefect, readBatchHeader, writeInt64, type BatchHeader } from './record-batch.js';

export interface LogConfig {
  segmentBytes: number;
  /** -1: keep forever. */
  retentionMs: number;
  /** -1: unlimited. */
  retentionBytes: number;
}

export interface AppendResult {
  baseOffset: number;
  /** A retry of a batch already in the log: nothing was written. */
  duplicate: boolean;
  logStartOffset: number;
}

const SEGMENT_SUFFIX = '.log';
const SEGMENT_NAME = /^(\d{20})\.log$/;
/** Recovery reads segments in chunks of this size (grown for larger batches). */
const RECOVERY_CHUNK = 8 * 1024 * 1024;

export function segmentFileName(baseOffset: number): string {
  return String(baseOffset).padStart(20, '0') + SEGMENT_SUFFIX;
}

// Index columns, one row of STRIDE float64s per batch.
const STRIDE = 5;
const BASE = 0;
const LAST = 1;
const POS = 2;
const SIZE = 3;
const MAX_TS = 4;

class Segment {
  /** Read fd, opened on first read; the active segment's fd is opened for writing at once. */
  private fd: number | null;
  private index = new Float64Array(64 * STRIDE);
  count = 0;
  /** File length = position of the next batch. */
  bytes = 0;
  maxTimestamp = -1;
  nextOffset: number;

  constructor(
    readonly baseOffset: number,
    readonly file: string,
    fd: number | null,
  ) {
    this.fd = fd;
    this.nextOffset = baseOffset;
  }

  add(baseOffset: number, lastOffset: number, size: number, maxTimestamp: number): void {
    if ((this.count + 1) * STRIDE > this.index.length) {
      const grown = new Float64Array(this.index.length * 2);
      grown.set(this.index);
      this.index = grown;
    }
    const row = this.count * STRIDE;
    this.index[row + BASE] = baseOffset;
    this.index[row + LAST] = lastOffset;
    this.index[row + POS] = this.bytes;
    this.index[row + SIZE] = size;
    this.index[row + MAX_TS] = maxTimestamp;
    this.count++;
    this.bytes += size;
    this.nextOffset = lastOffset + 1;
    if (maxTimestamp > this.maxTimestamp) this.maxTimestamp = maxTimestamp;
  }

  /** Row of the last batch whose baseOffset <= offset (the one holding it, offsets being contiguous). */
  find(offset: number): number {
    let lo = 0;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.index[mid * STRIDE + BASE] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The last row from `first` whose end stays within maxBytes of first's start (at least `first`). */
  lastWithin(first: number, maxBytes: number): number {
    const limit = this.index[first * STRIDE + POS] + maxBytes;
    let lo = first;
    let hi = this.count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.index[mid * STRIDE + POS] + this.index[mid * STRIDE + SIZE] <= limit) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  column(row: number, col: number): number {
    return this.index[row * STRIDE + col];
  }

  readFd(): number {
    if (this.fd === null) this.fd = fs.openSync(this.file, 'r');
    return this.fd;
  }

  writeFd(): number {
    if (this.fd === null) this.fd = fs.openSync(this.file, 'r+');
    return this.fd;
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** Makes a directory's entries (new, renamed, deleted files) durable. */
export function fsyncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

function writeFully(fd: number, buf: Buffer, position: number): void {
  let done = 0;
  while (done < buf.length) {
    done += fs.writeSync(fd, buf, done, buf.length - done, position + done);
  }
}

/** Sequential reader of a segment file for recovery: a window over the file, refilled as needed. */
class SegmentScanner {
  private start = 0;
  private length = 0;

  constructor(
    private readonly fd: number,
    readonly fileSize: number,
    private buf: Buffer,
  ) {}

  get buffer(): Buffer {
    return this.buf;
  }

  /** Makes file bytes [pos, pos+n) available; returns their position in `buffer`. */
  load(pos: number, n: number): number {
    if (pos < this.start || pos + n > this.start + this.length) {
      const want = Math.max(n, Math.min(RECOVERY_CHUNK, this.fileSize));
      if (this.buf.length < want) this.buf = Buffer.allocUnsafe(want);
      this.start = pos;
      this.length = readFully(this.fd, this.buf, Math.min(this.buf.length, this.fileSize - pos), pos);
      if (this.length < n) throw new Error(`segment shrank while being read at ${pos}`);
    }
    return pos - this.start;
  }
}

export class PartitionLog {
  private readonly segments: Segment[] = [];
  private readonly producers = new ProducerStateTable();
  private closed = false;

  private constructor(
    readonly dir: string,
    public config: LogConfig,
    private readonly logger: Logger,
  ) {}

  /** Opens (creating if needed) the partition folder and recovers it. */
  static open(dir: string, config: LogConfig, logger: Logger): PartitionLog {
    fs.mkdirSync(dir, { recursive: true });
    const log = new PartitionLog(dir, config, logger);
    log.recover();
    return log;
  }

  get logStartOffset(): number {
    return this.segments[0].baseOffset;
  }

  get logEndOffset(): number {
    return this.active.nextOffset;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** Epoch and last sequence known for a producer (diagnostics, tests). */
  producerState(producerId: number): { epoch: number; lastSequence: number } | undefined {
    return this.producers.describe(producerId);
  }

  /** Size of all segment files in bytes. */
  get sizeBytes(): number {
    let total = 0;
    for (const s of this.segments) total += s.bytes;
    return total;
  }

  /**
   * Appends one validated batch (from splitBatches). Rewrites bytes 0..7
   * (baseOffset) of `batch` in place to the assigned offset and writes it
   * synchronously to the active segment. Idempotent retries are answered with
   * the original offset and not written.
   */
  append(batch: Buffer, header: BatchHeader): AppendResult {
    if (this.closed) throw new Error(`partition log ${this.dir} is closed`);
    const original = this.producers.check(header);
    if (original >= 0) return { baseOffset: original, duplicate: true, logStartOffset: this.logStartOffset };

    let segment = this.active;
    if (segment.bytes > 0 && segment.bytes + batch.length > this.config.segmentBytes) segment = this.roll();
    const baseOffset = segment.nextOffset;
    writeInt64(batch, baseOffset, 0);
    const fd = segment.writeFd();
    try {
      writeFully(fd, batch, segment.bytes);
    } catch (err) {
      // A partial write (ENOSPC) must not leave bytes behind that a later roll would seal in.
      fs.ftruncateSync(fd, segment.bytes);
      throw err;
    }
    segment.add(baseOffset, baseOffset + header.lastOffsetDelta, batch.length, header.maxTimestamp);
    this.producers.record(header, baseOffset);
    return { baseOffset, duplicate: false, logStartOffset: this.logStartOffset };
  }

  /**
   * Whole batches from the one holding `offset`, contiguous, up to maxBytes
   * but always at least one complete batch; may stop early at a segment end.
   * Empty at the log end; OFFSET_OUT_OF_RANGE outside [logStart, logEnd].
   */
  read(offset: number, maxBytes: number): Buffer {
    if (offset < this.logStartOffset || offset > this.logEndOffset) {
      throw new KafkaProtocolError(
        ErrorCode.OFFSET_OUT_OF_RANGE,
        `offset ${offset} is outside [${this.logStartOffset}, ${this.logEndOffset}] of ${this.dir}`,
      );
    }
    if (offset === this.logEndOffset) return Buffer.alloc(0);
    const segment = this.segments[this.segmentIndexOf(offset)];
    const first = segment.find(offset);
    const last = segment.lastWithin(first, maxBytes);
    const start = segment.column(first, POS);
    const length = segment.column(last, POS) + segment.column(last, SIZE) - start;
    const out = Buffer.allocUnsafe(length);
    const got = readFully(segment.readFd(), out, length, start);
    if (got !== length) throw new Error(`short read of ${segment.file}: ${got} of ${length} bytes at ${start}`);
    return out;
  }

  /** Base offset of the first batch whose maxTimestamp >= ts, or -1 if there is none. */
  offsetForTimestamp(ts: number): number {
    for (const segment of this.segments) {
      if (segment.maxTimestamp < ts) continue;
      for (let row = 0; row < segment.count; row++) {
        if (segment.column(row, MAX_TS) >= ts) return segment.column(row, BASE);
      }
    }
    return -1;
  }

  /**
   * Deletes whole segments from the start, never the active one: those whose
   * newest batch is older than retentionMs, then more while the log is larger
   * than retentionBytes (so the log may end up below retentionBytes; Kafka
   * instead keeps at least retentionBytes). Advances logStartOffset.
   */
  enforceRetention(now: number): void {
    const { retentionMs, retentionBytes } = this.config;
    if (retentionMs >= 0) {
      while (this.segments.length > 1 && now - this.newestTimestamp(this.segments[0]) > retentionMs) {
        this.deleteOldestSegment('retention.ms');
      }
    }
    if (retentionBytes >= 0) {
      let total = this.sizeBytes;
      while (this.segments.length > 1 && total > retentionBytes) {
        total -= this.segments[0].bytes;
        this.deleteOldestSegment('retention.bytes');
      }
    }
  }

  /** fsync the active segment. */
  sync(): void {
    if (this.closed) return;
    fs.fsyncSync(this.active.writeFd());
  }

  close(): void {
    if (this.closed) return;
    this.sync();
    this.closed = true;
    for (const s of this.segments) s.close();
  }

  /** Closes the log and removes its folder. */
  destroy(): void {
    this.close();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  /** Index of the segment holding `offset` (the last one starting at or before it). */
  private segmentIndexOf(offset: number): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.segments[mid].baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** A segment's largest batch timestamp, or its file's mtime if no batch carried one (as Kafka). */
  private newestTimestamp(segment: Segment): number {
    return segment.maxTimestamp >= 0 ? segment.maxTimestamp : fs.statSync(segment.file).mtimeMs;
  }

  private deleteOldestSegment(reason: string): void {
    const segment = this.segments.shift() as Segment;
    segment.close();
    fs.rmSync(segment.file, { force: true });
    this.logger.info('deleted log segment', {
      segment: path.basename(segment.file),
      reason,
      bytes: segment.bytes,
      logStartOffset: this.logStartOffset,
    });
  }

  private roll(): Segment {
    const old = this.active;
    fs.fsyncSync(old.writeFd());
    const segment = this.createSegment(old.nextOffset);
    fsyncDir(this.dir);
    return segment;
  }

  private createSegment(baseOffset: number): Segment {
    const file = path.join(this.dir, segmentFileName(baseOffset));
    const segment = new Segment(baseOffset, file, fs.openSync(file, 'wx+'));
    this.segments.push(segment);
    return segment;
  }

  private recover(): void {
    const names = fs
      .readdirSync(this.dir)
      .filter((n) => SEGMENT_NAME.test(n))
      .sort();
    let scratch: Buffer = Buffer.allocUnsafe(0);
    for (let i = 0; i < names.length; i++) {
      const file = path.join(this.dir, names[i]);
      const baseOffset = Number(names[i].slice(0, 20));
      const isLast = i === names.length - 1;
      const expected = i === 0 ? baseOffset : this.active.nextOffset;
      if (baseOffset !== expected) {
        this.dropSegments(names.slice(i), `segment starts at ${baseOffset}, expected ${expected}`);
        break;
      }
      const fd = fs.openSync(file, 'r+');
      const segment = new Segment(baseOffset, file, fd);
      this.segments.push(segment);
      const scanner = new SegmentScanner(fd, fs.fstatSync(fd).size, scratch);
      const defect = this.scanSegment(segment, scanner, isLast);
      scratch = scanner.buffer;
      if (defect !== null) {
        const dropped = scanner.fileSize - segment.bytes;
        fs.ftruncateSync(fd, segment.bytes);
        fs.fsyncSync(fd);
        this.logger.warn('truncated torn or corrupt log tail', {
          segment: names[i],
          offset: segment.nextOffset,
          position: segment.bytes,
          bytesDropped: dropped,
          reason: defect,
        });
        this.dropSegments(names.slice(i + 1), `follows a corrupt batch in ${names[i]}`);
        break;
      }
      if (!isLast) segment.close();
    }
    if (this.segments.length === 0) this.createSegment(0);
    this.logger.debug('opened partition log', {
      segments: this.segments.length,
      logStartOffset: this.logStartOffset,
      logEndOffset: this.logEndOffset,
    });
  }

  /** Indexes the batches of one segment; returns why it stopped early, or null if the whole file is good. */
  private scanSegment(segment: Segment, scanner: SegmentScanner, checkCrc: boolean): string | null {
    const size = scanner.fileSize;
    while (segment.bytes < size) {
      const pos = segment.bytes;
      const remaining = size - pos;
      if (remaining < BATCH_HEADER_SIZE) return `${remaining} bytes left, less than a batch header`;
      let at = scanner.load(pos, BATCH_HEADER_SIZE);
      const magic = scanner.buffer[at + 16];
      if (magic !== 2) return `magic ${magic}`;
      const h = readBatchHeader(scanner.buffer, at);
      if (h.baseOffset !== segment.nextOffset) return `batch at offset ${h.baseOffset}, expected ${segment.nextOffset}`;
      if (checkCrc && h.size >= BATCH_HEADER_SIZE && h.size <= remaining) at = scanner.load(pos, h.size);
      const defect = batchDefect(scanner.buffer, at, at + remaining, h, checkCrc);
      if (defect !== null) return defect;
      segment.add(h.baseOffset, h.baseOffset + h.lastOffsetDelta, h.size, h.maxTimestamp);
      this.producers.record(h, h.baseOffset);
    }
    return null;
  }

  private dropSegments(names: string[], reason: string): void {
    for (const name of names) {
      const file = path.join(this.dir, name);
      const bytes = fs.statSync(file).size;
      fs.rmSync(file);
      this.logger.warn('dropped log segment after corruption', { segment: name, bytesDropped: bytes, reason });
    }
  }
}
