// Primitive encodings of the Kafka wire protocol (non-flexible versions):
// big-endian integers, int16-length strings, int32-length bytes, int32-count
// arrays; -1 lengths mean null. Varints are zigzag (used inside record batches).

import { ErrorCode, KafkaProtocolError } from './errors.js';

export class Reader {
  offset: number;

  constructor(
    readonly buf: Buffer,
    offset = 0,
    readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  private need(n: number): number {
    if (n < 0 || this.offset + n > this.end) {
      throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, `truncated request: need ${n} bytes at ${this.offset}, have ${this.end - this.offset}`);
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4));
  }
  uint32(): number {
    return this.buf.readUInt32BE(this.need(4));
  }
  /** int64 as a JS number: offsets, timestamps and producer ids stay below 2^53 here. */
  int64(): number {
    return Number(this.buf.readBigInt64BE(this.need(8)));
  }
  boolean(): boolean {
    return this.int8() !== 0;
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < -1) throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, `negative string length ${len}`);
    const at = this.need(len);
    return this.buf.toString('utf8', at, at + len);
  }
  string(): string {
    const s = this.nullableString();
    return s ?? '';
  }

  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, `negative bytes length ${len}`);
    const at = this.need(len);
    return this.buf.subarray(at, at + len);
  }
  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  /** An int32-counted array; null (-1) reads as null. */
  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const n = this.int32();
    if (n === -1) return null;
    if (n < -1 || n > this.remaining) {
      // Every element takes at least one byte, so a count beyond the rest is malformed.
      throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, `bad array length ${n}`);
    }
    const out: T[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = item(this);
    return out;
  }
  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }

  /** Unsigned LEB128 (flexible header fields). */
  uvarint(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const b = this.buf.readUInt8(this.need(1));
      result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 28) throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, 'varint too long');
    }
  }
  /** Zigzag varint (record fields). */
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  /** Zigzag varlong (timestamp deltas in records), within the safe-integer range. */
  varlong(): number {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.buf.readUInt8(this.need(1));
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) break;
      shift += 7n;
      if (shift > 63n) throw new KafkaProtocolError(ErrorCode.INVALID_REQUEST, 'varlong too long');
    }
    return Number((result >> 1n) ^ -(result & 1n));
  }

  raw(n: number): Buffer {
    const at = this.need(n);
    return this.buf.subarray(at, at + n);
  }
}

export class Writer {
  private buf: Buffer;
  offset = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  /** Claims n bytes and returns their offset. It may swap this.buf for a larger one, so
   * callers take the offset first and touch this.buf after (never `this.buf.x(v, this.room(n))`). */
  private room(n: number): number {
    if (this.offset + n > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < this.offset + n) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, this.offset);
      this.buf = next;
    }
    const at = this.offset;
    this.offset += n;
    return at;
  }

  int8(v: number): this {
    const at = this.room(1);
    this.buf.writeInt8(v, at);
    return this;
  }
  int16(v: number): this {
    const at = this.room(2);
    this.buf.writeInt16BE(v, at);
    return this;
  }
  int32(v: number): this {
    const at = this.room(4);
    this.buf.writeInt32BE(v, at);
    return this;
  }
  uint32(v: number): this {
    const at = this.room(4);
    this.buf.writeUInt32BE(v, at);
    return this;
  }
  int64(v: number | bigint): this {
    const at = this.room(8);
    this.buf.writeBigInt64BE(BigInt(v), at);
    return this;
  }
  boolean(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  nullableString(s: string | null | undefined): this {
    if (s == null) return this.int16(-1);
    const len = Buffer.byteLength(s);
    this.int16(len);
    const at = this.room(len); // room() may reallocate: take the offset before touching this.buf
    this.buf.write(s, at, 'utf8');
    return this;
  }
  string(s: string): this {
    return this.nullableString(s);
  }
  nullableBytes(b: Buffer | null | undefined): this {
    if (b == null) return this.int32(-1);
    this.int32(b.length);
    const at = this.room(b.length);
    b.copy(this.buf, at);
    return this;
  }
  bytes(b: Buffer): this {
    return this.nullableBytes(b);
  }
  raw(b: Buffer): this {
    const at = this.room(b.length);
    b.copy(this.buf, at);
    return this;
  }
  array<T>(items: readonly T[] | null | undefined, item: (w: Writer, v: T, index: number) => void): this {
    if (items == null) return this.int32(-1);
    this.int32(items.length);
    for (let i = 0; i < items.length; i++) item(this, items[i], i);
    return this;
  }
  uvarint(v: number): this {
    while (v >= 0x80) {
      const at = this.room(1);
      this.buf.writeUInt8((v & 0x7f) | 0x80, at);
      v = Math.floor(v / 128);
    }
    const at = this.room(1);
    this.buf.writeUInt8(v, at);
    return this;
  }
  varint(v: number): this {
    return this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  varlong(v: number): this {
    let u = (BigInt(v) << 1n) ^ (BigInt(v) >> 63n);
    while (u >= 0x80n) {
      const at = this.room(1);
      this.buf.writeUInt8(Number(u & 0x7fn) | 0x80, at);
      u >>= 7n;
    }
    const at = this.room(1);
    this.buf.writeUInt8(Number(u), at);
    return this;
  }

  /** Reserve an int32 now, fill it later (sizes). */
  reserveInt32(): number {
    return this.room(4);
  }
  setInt32(at: number, v: number): void {
    this.buf.writeInt32BE(v, at);
  }

  toBuffer(): Buffer {
    return this.buf.subarray(0, this.offset);
  }
}
