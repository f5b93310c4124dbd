// RecordBatch v2 headers: the only part of a batch the broker looks at. The
// records after byte 61 are stored and served byte for byte, never decoded.
//
//  0 baseOffset int64 (broker-assigned, outside the CRC)   8 batchLength int32 (= size - 12)
// 12 partitionLeaderEpoch int32 (outside the CRC)          16 magic int8 = 2
// 17 crc uint32 = CRC-32C of bytes 21..end                 21 attributes int16
// 23 lastOffsetDelta int32   27 baseTimestamp int64        35 maxTimestamp int64
// 43 producerId int64        51 producerEpoch int16        53 baseSequence int32
// 57 recordsCount int32      61 records

import { gunzipSync } from 'node:zlib';
import { Reader } from '../protocol/codec.js';
import { crc32c } from '@node-rs/crc32';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';

export const BATCH_HEADER_SIZE = 61;
/** Bytes before batchLength's count starts (baseOffset + batchLength). */
export const BATCH_LOG_OVERHEAD = 12;
/** Where the CRC-32C coverage starts (attributes). */
export const BATCH_CRC_START = 21;

const ATTR_TRANSACTIONAL = 0x10;
const ATTR_CONTROL = 0x20;

export interface BatchHeader {
  baseOffset: number;
  batchLength: number;
  /** Whole batch on the wire and on disk: batchLength + 12. */
  size: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: number;
  producerEpoch: number;
  baseSequence: number;
  recordsCount: number;
}

/** int64 as a JS number without a BigInt round trip; exact below 2^53, and -1 stays -1. */
function int64(buf: Buffer, at: number): number {
  return buf.readInt32BE(at) * 0x1_0000_0000 + buf.readUInt32BE(at + 4);
}

/** Writes an int64 that is a safe integer (offsets, timestamps). */
export function writeInt64(buf: Buffer, value: number, at: number): void {
  const hi = Math.floor(value / 0x1_0000_0000);
  buf.writeInt32BE(hi, at);
  buf.writeUInt32BE(value - hi * 0x1_0000_0000, at + 4);
}

export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  if (pos < 0 || buf.length - pos < BATCH_HEADER_SIZE) {
    throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, `record batch header truncated: ${buf.length - pos} of ${BATCH_HEADER_SIZE} bytes`);
  }
  const magic = buf.readInt8(pos + 16);
  if (magic !== 2) {
    throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, `unsupported record batch magic ${magic} (only v2)`);
  }
  const batchLength = buf.readInt32BE(pos + 8);
  return {
    baseOffset: int64(buf, pos),
    batchLength,
    size: batchLength + BATCH_LOG_OVERHEAD,
    partitionLeaderEpoch: buf.readInt32BE(pos + 12),
    magic,
    crc: buf.readUInt32BE(pos + 17),
    attributes: buf.readInt16BE(pos + 21),
    lastOffsetDelta: buf.readInt32BE(pos + 23),
    baseTimestamp: int64(buf, pos + 27),
    maxTimestamp: int64(buf, pos + 35),
    producerId: int64(buf, pos + 43),
    producerEpoch: buf.readInt16BE(pos + 51),
    baseSequence: buf.readInt32BE(pos + 53),
    recordsCount: buf.readInt32BE(pos + 57),
  };
}

/**
 * Why a batch at the start of `buf` is unusable, or null if it is whole and sound.
 * Shared by produce validation and log recovery, which must agree on "valid".
 */
export function batchDefect(buf: Buffer, pos: number, end: number, h: BatchHeader, checkCrc: boolean): string | null {
  if (h.size < BATCH_HEADER_SIZE) return `batchLength ${h.batchLength} is shorter than a header`;
  if (pos + h.size > end) return `batchLength ${h.batchLength} runs ${pos + h.size - end} bytes past the end`;
  if (h.recordsCount < 0) return `negative recordsCount ${h.recordsCount}`;
  if (h.lastOffsetDelta < 0) return `negative lastOffsetDelta ${h.lastOffsetDelta}`;
  if (checkCrc) {
    const actual = crc32c(buf.subarray(pos + BATCH_CRC_START, pos + h.size));
    if (actual !== h.crc) return `CRC-32C mismatch: stored ${h.crc}, computed ${actual}`;
  }
  return null;
}

/**
 * Split the `records` field of a produce request into whole batches,
 * validating each (magic 2, length within the buffer, CRC-32C, non-negative
 * counts). Any defect is CORRUPT_MESSAGE. Returns views into `records`, no copy.
 */
export function splitBatches(records: Buffer): { header: BatchHeader; bytes: Buffer }[] {
  const out: { header: BatchHeader; bytes: Buffer }[] = [];
  let pos = 0;
  while (pos < records.length) {
    const header = readBatchHeader(records, pos);
    const defect = batchDefect(records, pos, records.length, header, true);
    if (defect !== null) {
      throw new KafkaProtocolError(ErrorCode.CORRUPT_MESSAGE, `record batch ${out.length}: ${defect}`);
    }
    out.push({ header, bytes: records.subarray(pos, pos + header.size) });
    pos += header.size;
  }
  return out;
}

export function isTransactional(h: BatchHeader): boolean {
  return (h.attributes & ATTR_TRANSACTIONAL) !== 0;
}

export function isControl(h: BatchHeader): boolean {
  return (h.attributes & ATTR_CONTROL) !== 0;
}

const CODEC_MASK = 0x07;
const CODEC_NONE = 0;
const CODEC_GZIP = 1;

/**
 * The first record of one batch whose timestamp is ≥ ts, as ListOffsets answers it.
 * Records: length, attributes int8, timestampDelta varlong, offsetDelta varint, … (zigzag varints).
 * Uncompressed and gzip batches are decoded; for other codecs (not decodable here) the
 * batch's first offset and max timestamp stand in.
 */
export function findRecordAtOrAfter(batch: Buffer, ts: number): { offset: number; timestamp: number } | null {
  const h = readBatchHeader(batch);
  if (h.maxTimestamp < ts) return null;
  const codec = h.attributes & CODEC_MASK;
  if (codec !== CODEC_NONE && codec !== CODEC_GZIP) return { offset: h.baseOffset, timestamp: h.maxTimestamp };
  const body = codec === CODEC_GZIP ? gunzipSync(batch.subarray(BATCH_HEADER_SIZE, h.size)) : batch.subarray(BATCH_HEADER_SIZE, h.size);
  const r = new Reader(body);
  for (let i = 0; i < h.recordsCount && r.remaining > 0; i++) {
    const length = r.varint();
    const end = r.offset + length;
    r.int8(); // attributes
    const timestamp = h.baseTimestamp + r.varlong();
    const offset = h.baseOffset + r.varint();
    if (timestamp >= ts) return { offset, timestamp };
    r.offset = end;
  }
  return null;
}
