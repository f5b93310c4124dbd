// Kafka Connect's logical types: a primitive schema with a well-known `name`
// (and version 1) whose values have a richer in-memory form.
//
//   org.apache.kafka.connect.data.Decimal    bytes  parameters.scale   value: Decimal (below)
//   org.apache.kafka.connect.data.Date       int32  days since epoch   value: Date at 00:00:00.000 UTC
//   org.apache.kafka.connect.data.Time       int32  ms of day          value: Date on 1970-01-01 UTC
//   org.apache.kafka.connect.data.Timestamp  int64  ms since epoch     value: Date
//
// Decimal is exact: `unscaled` is a bigint and `scale` the number of digits after
// the point (value = unscaled × 10^-scale), as java.math.BigDecimal. On the wire
// it is the two's-complement, big-endian, minimal-length bytes of `unscaled`
// (BigInteger.toByteArray), so 50.00 at scale 2 is 5000 → 0x13 0x88.
//
// The schema getters build lazily: this module and schema.ts import each other.

import { DataError } from '../errors.js';
import { SchemaBuilder, type Schema } from './schema.js';

const MS_PER_DAY = 86_400_000;

export class Decimal {
  static readonly LOGICAL_NAME = 'org.apache.kafka.connect.data.Decimal';
  /** The schema parameter holding the scale. */
  static readonly SCALE_FIELD = 'scale';
  /** Debezium's parameter for the column precision. */
  static readonly PRECISION_FIELD = 'connect.decimal.precision';

  readonly unscaled: bigint;
  readonly scale: number;

  constructor(unscaled: bigint, scale: number) {
    if (!Number.isInteger(scale)) throw new DataError(`Decimal scale must be an integer, got ${scale}`);
    this.unscaled = unscaled;
    this.scale = scale;
  }

  /** A decimal literal, exactly as written: '50.00' has scale 2, '-1.5e3' is -1500 (scale -2). */
  static parse(text: string): Decimal {
    const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text.trim());
    if (!m || (m[2] === '' && (m[3] ?? '') === '')) throw new DataError(`Not a decimal number: ${JSON.stringify(text)}`);
    const frac = m[3] ?? '';
    const digits = (m[2] || '0') + frac;
    const unscaled = BigInt(digits) * (m[1] === '-' ? -1n : 1n);
    return new Decimal(unscaled, frac.length - Number(m[4] ?? 0));
  }

  /** From a JS number (via its shortest exact decimal form), a bigint or a decimal string; rescaled when `scale` is given. */
  static from(value: number | bigint | string, scale?: number): Decimal {
    let d: Decimal;
    if (typeof value === 'bigint') d = new Decimal(value, 0);
    else if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new DataError(`Not a finite number: ${value}`);
      d = Decimal.parse(String(value));
    } else d = Decimal.parse(value);
    return scale === undefined ? d : d.setScale(scale);
  }

  /** The same value at another scale; throws if that would drop non-zero digits. */
  setScale(scale: number): Decimal {
    if (scale === this.scale) return this;
    if (scale > this.scale) return new Decimal(this.unscaled * 10n ** BigInt(scale - this.scale), scale);
    const div = 10n ** BigInt(this.scale - scale);
    if (this.unscaled % div !== 0n) throw new DataError(`Decimal ${this.toString()} cannot be represented with scale ${scale} without rounding`);
    return new Decimal(this.unscaled / div, scale);
  }

  /** Plain notation, all digits kept: '50.00', '-0.005', '1500'. */
  toString(): string {
    if (this.scale <= 0) return (this.unscaled * 10n ** BigInt(-this.scale)).toString();
    const neg = this.unscaled < 0n;
    const digits = (neg ? -this.unscaled : this.unscaled).toString().padStart(this.scale + 1, '0');
    const cut = digits.length - this.scale;
    return (neg ? '-' : '') + digits.slice(0, cut) + '.' + digits.slice(cut);
  }

  toNumber(): number {
    return Number(this.toString());
  }

  toJSON(): string {
    return this.toString();
  }

  /** Same unscaled value and scale, as BigDecimal.equals (so 1.0 ≠ 1.00). */
  equals(other: unknown): boolean {
    return other instanceof Decimal && other.unscaled === this.unscaled && other.scale === this.scale;
  }

  /** The numeric comparison regardless of scale: -1, 0 or 1. */
  compareTo(other: Decimal): number {
    const s = Math.max(this.scale, other.scale);
    const a = this.setScale(s).unscaled;
    const b = other.setScale(s).unscaled;
    return a < b ? -1 : a > b ? 1 : 0;
  }

  /** A Decimal schema builder (bytes, name, version 1, parameters.scale [, precision]). */
  static builder(scale: number, precision?: number): SchemaBuilder {
    const b = SchemaBuilder.bytes().name(Decimal.LOGICAL_NAME).version(1).parameter(Decimal.SCALE_FIELD, String(scale));
    if (precision !== undefined) b.parameter(Decimal.PRECISION_FIELD, String(precision));
    return b;
  }

  static schema(scale: number, precision?: number): Schema {
    return Decimal.builder(scale, precision).build();
  }

  /** The scale a Decimal schema declares. */
  static scaleOf(schema: Schema): number {
    const raw = schema.parameters?.[Decimal.SCALE_FIELD];
    const scale = raw === undefined ? NaN : Number(raw);
    if (!Number.isInteger(scale)) throw new DataError(`Invalid Decimal schema: missing or non-integer parameter "scale" (${String(raw)})`);
    return scale;
  }

  /** The wire form: two's-complement big-endian bytes of the unscaled value. */
  static toBytes(value: Decimal): Buffer {
    return bigintToBytes(value.unscaled);
  }

  static fromBytes(bytes: Uint8Array, scale: number): Decimal {
    return new Decimal(bytesToBigint(bytes), scale);
  }
}

/** Minimal two's-complement big-endian encoding, as java.math.BigInteger.toByteArray. */
export function bigintToBytes(v: bigint): Buffer {
  let len = 1;
  // Smallest n with -2^(8n-1) <= v < 2^(8n-1).
  while (v >= 1n << BigInt(8 * len - 1) || v < -(1n << BigInt(8 * len - 1))) len++;
  const unsigned = v < 0n ? (1n << BigInt(8 * len)) + v : v;
  return Buffer.from(unsigned.toString(16).padStart(len * 2, '0'), 'hex');
}

export function bytesToBigint(bytes: Uint8Array): bigint {
  if (bytes.length === 0) throw new DataError('Invalid Decimal bytes: zero length');
  const unsigned = BigInt('0x' + Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex'));
  return (bytes[0]! & 0x80) !== 0 ? unsigned - (1n << BigInt(8 * bytes.length)) : unsigned;
}

function checkDate(value: Date, type: string): number {
  const ms = value.getTime();
  if (Number.isNaN(ms)) throw new DataError(`Invalid ${type}: the Date is invalid (NaN)`);
  return ms;
}

function lazySchema(make: () => SchemaBuilder): () => Schema {
  let schema: Schema | undefined;
  return () => (schema ??= make().build());
}

const dateSchema = lazySchema(() => ConnectDate.builder());
const timeSchema = lazySchema(() => ConnectTime.builder());
const timestampSchema = lazySchema(() => ConnectTimestamp.builder());

/** Date: int32 days since 1970-01-01; the value is a JS Date at UTC midnight. */
export const ConnectDate = {
  LOGICAL_NAME: 'org.apache.kafka.connect.data.Date',
  get SCHEMA(): Schema {
    return dateSchema();
  },
  builder: (): SchemaBuilder => SchemaBuilder.int32().name(ConnectDate.LOGICAL_NAME).version(1),
  /** Date → days. Throws if the Date is not at UTC midnight. */
  fromLogical(value: Date): number {
    const ms = checkDate(value, 'Date');
    if (ms % MS_PER_DAY !== 0) throw new DataError('Kafka Connect Date type should not have any time fields set to non-zero values (expected UTC midnight)');
    return ms / MS_PER_DAY;
  },
  toLogical(days: number): Date {
    if (!Number.isInteger(days)) throw new DataError(`Invalid Date: ${days} is not a whole number of days`);
    return new Date(days * MS_PER_DAY);
  },
};

/** Time: int32 milliseconds since midnight; the value is a JS Date on 1970-01-01 UTC. */
export const ConnectTime = {
  LOGICAL_NAME: 'org.apache.kafka.connect.data.Time',
  get SCHEMA(): Schema {
    return timeSchema();
  },
  builder: (): SchemaBuilder => SchemaBuilder.int32().name(ConnectTime.LOGICAL_NAME).version(1),
  fromLogical(value: Date): number {
    const ms = checkDate(value, 'Time');
    if (ms < 0 || ms >= MS_PER_DAY) throw new DataError('Kafka Connect Time type should not have any date fields set to non-zero values (expected a Date on 1970-01-01 UTC)');
    return ms;
  },
  toLogical(msOfDay: number): Date {
    if (!Number.isInteger(msOfDay) || msOfDay < 0 || msOfDay >= MS_PER_DAY) throw new DataError(`Invalid Time: ${msOfDay} is not a millisecond of a day`);
    return new Date(msOfDay);
  },
};

/** Timestamp: int64 milliseconds since epoch; the value is a JS Date. */
export const ConnectTimestamp = {
  LOGICAL_NAME: 'org.apache.kafka.connect.data.Timestamp',
  get SCHEMA(): Schema {
    return timestampSchema();
  },
  builder: (): SchemaBuilder => SchemaBuilder.int64().name(ConnectTimestamp.LOGICAL_NAME).version(1),
  fromLogical(value: Date): number {
    return checkDate(value, 'Timestamp');
  },
  toLogical(ms: number | bigint): Date {
    const n = Number(ms);
    if (!Number.isSafeInteger(n)) throw new DataError(`Invalid Timestamp: ${String(ms)} ms is out of range`);
    return new Date(n);
  },
};
