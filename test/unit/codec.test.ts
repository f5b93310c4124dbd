import { describe, expect, it } from 'vitest';
import { Reader, Writer } from '../../src/local/broker/protocol/codec.js';

describe('Kafka primitive codec', () => {
  it('round-trips every primitive across buffer growth', () => {
    // Start tiny so nearly every write reallocates the buffer underneath.
    const w = new Writer(1);
    const big = Buffer.alloc(5000, 7);
    w.int8(-3).int16(-300).int32(-70000).uint32(4_000_000_000).int64(2 ** 40).boolean(true);
    w.string('héllo').nullableString(null).bytes(big).nullableBytes(null).raw(Buffer.from([1, 2, 3]));
    w.array([1, 2, 3], (ww, v) => ww.int32(v)).array(null, () => {});
    w.varint(-1).varint(300).varlong(-(2 ** 40)).uvarint(2 ** 28);

    const r = new Reader(w.toBuffer());
    expect([r.int8(), r.int16(), r.int32(), r.uint32(), r.int64(), r.boolean()]).toEqual([-3, -300, -70000, 4_000_000_000, 2 ** 40, true]);
    expect(r.string()).toBe('héllo');
    expect(r.nullableString()).toBeNull();
    expect(r.bytes().equals(big)).toBe(true);
    expect(r.nullableBytes()).toBeNull();
    expect([...r.raw(3)]).toEqual([1, 2, 3]);
    expect(r.array((rr) => rr.int32())).toEqual([1, 2, 3]);
    expect(r.nullableArray((rr) => rr.int32())).toBeNull();
    expect([r.varint(), r.varint(), r.varlong(), r.uvarint()]).toEqual([-1, 300, -(2 ** 40), 2 ** 28]);
    expect(r.remaining).toBe(0);
  });

  it('rejects truncated input and impossible lengths with INVALID_REQUEST', () => {
    expect(() => new Reader(Buffer.from([0, 5, 65])).string()).toThrow(/truncated/);
    const w = new Writer().int32(1_000_000);
    expect(() => new Reader(w.toBuffer()).array((rr) => rr.int8())).toThrow(/bad array length/);
    expect(() => new Reader(new Writer().int16(-5).toBuffer()).nullableString()).toThrow(/negative/);
  });

  it('reserves a size field and fills it afterwards', () => {
    const w = new Writer(2);
    const at = w.reserveInt32();
    w.string('abc');
    w.setInt32(at, w.offset - 4);
    expect(w.toBuffer().readInt32BE(0)).toBe(5);
  });
});
