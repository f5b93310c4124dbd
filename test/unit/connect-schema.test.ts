import { describe, expect, it } from 'vitest';
import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal, Schema, SchemaBuilder, Struct, validateValue } from '../../src/connect/data/index.js';
import { DataError } from '../../src/connect/errors.js';
import { thrown } from '../helpers/errors.js';

const address = SchemaBuilder.struct().name('shop.Address').field('city', Schema.STRING_SCHEMA).field('zip', Schema.OPTIONAL_STRING_SCHEMA).build();
const customer = SchemaBuilder.struct()
  .name('shop.Customer')
  .version(2)
  .doc('a customer')
  .field('id', Schema.INT32_SCHEMA)
  .field('name', Schema.STRING_SCHEMA)
  .field('balance', Decimal.schema(2))
  .field('tags', SchemaBuilder.array(Schema.STRING_SCHEMA).optional())
  .field('address', address)
  .field('level', SchemaBuilder.int8().defaultValue(1))
  .build();

describe('Schema and SchemaBuilder', () => {
  it('builds structs with fields in order, with name, version, doc and parameters', () => {
    expect(customer.type).toBe('struct');
    expect(customer.fields.map((f) => [f.name, f.index, f.schema.type])).toEqual([
      ['id', 0, 'int32'],
      ['name', 1, 'string'],
      ['balance', 2, 'bytes'],
      ['tags', 3, 'array'],
      ['address', 4, 'struct'],
      ['level', 5, 'int8'],
    ]);
    expect([customer.name, customer.version, customer.doc, customer.optional]).toEqual(['shop.Customer', 2, 'a customer', false]);
    expect(customer.field('balance')!.schema.parameters).toEqual({ scale: '2' });
    expect(customer.field('tags')!.schema.valueSchema).toBe(Schema.STRING_SCHEMA);
    const m = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA).optional().build();
    expect([m.type, m.keySchema, m.valueSchema, m.optional]).toEqual(['map', Schema.STRING_SCHEMA, Schema.INT64_SCHEMA, true]);
    expect([Schema.OPTIONAL_STRING_SCHEMA.optional, Schema.INT32_SCHEMA.optional]).toEqual([true, false]);
  });

  it('refuses duplicate fields, fields on non-structs and invalid defaults', () => {
    expect(() => SchemaBuilder.struct().field('a', Schema.INT32_SCHEMA).field('a', Schema.STRING_SCHEMA)).toThrow(/duplication: a/);
    expect(() => SchemaBuilder.int32().field('a', Schema.INT32_SCHEMA)).toThrow(/Cannot create fields on type int32/);
    expect(() => SchemaBuilder.int8().defaultValue(1000).build()).toThrow(/Invalid default value.*out of range for int8/);
    expect(() => SchemaBuilder.string().defaultValue(5).build()).toThrow(/expected string, got number/);
    expect(() => Schema.INT32_SCHEMA.fields).toThrow(/non-struct/);
  });

  it('compares structurally, as Kafka does', () => {
    const again = SchemaBuilder.struct().name('shop.Address').field('city', Schema.STRING_SCHEMA).field('zip', SchemaBuilder.string().optional()).build();
    expect(again).not.toBe(address);
    expect(again.equals(address)).toBe(true);
    const renamed = SchemaBuilder.from(address).name('other.Address').build();
    expect(renamed.equals(address)).toBe(false);
    expect(SchemaBuilder.from(address).build().equals(address)).toBe(true);
    expect(SchemaBuilder.int32().defaultValue(1).build().equals(SchemaBuilder.int32().defaultValue(2).build())).toBe(false);
  });
});

describe('Struct', () => {
  const full = () =>
    Struct.from(customer, {
      id: 7,
      name: 'Ada',
      balance: Decimal.parse('50.00'),
      tags: ['vip'],
      address: Struct.from(address, { city: 'Oslo' }),
    });

  it('puts and gets by field name, falling back to the field default', () => {
    const s = full();
    expect(s.get('name')).toBe('Ada');
    expect((s.get('address') as Struct).get('zip')).toBeNull();
    expect(s.get('level')).toBe(1);
    s.put('level', 5);
    expect(s.get('level')).toBe(5);
    expect(() => s.get('zip')).toThrow(/"zip" is not a valid field name/);
  });

  it('names the field and the expected type when a put does not fit', () => {
    const s = new Struct(customer);
    const e = thrown(DataError, () => s.put('id', 'seven'));
    expect(e.message).toBe('Invalid value for field "id": expected int32, got string');
    expect(e.path).toBe('id');
    expect(thrown(DataError, () => s.put('level', 300)).message).toMatch(/"level": 300 is out of range for int8/);
    expect(thrown(DataError, () => s.put('nope', 1)).message).toMatch(/"nope" is not a valid field name of struct shop.Customer/);
    expect(thrown(DataError, () => s.put('balance', Decimal.parse('1.5'))).message).toMatch(/"balance": Decimal scale 1 does not match the schema's scale 2/);
    expect(thrown(DataError, () => s.put('tags', ['a', 2])).path).toBe('tags[1]');
    expect(thrown(DataError, () => s.put('address', new Struct(SchemaBuilder.struct().name('x').build()))).message).toMatch(
      /"address": the Struct's schema \(struct x\) does not match the field's schema \(struct shop.Address\)/,
    );
  });

  it('validate() names the first missing required field, with the path into nested structs', () => {
    const s = new Struct(customer).put('id', 1);
    const e = thrown(DataError, () => s.validate());
    expect(e.message).toBe('Invalid value: null used for required field "name", schema type string');
    expect(e.path).toBe('name');
    // A nested struct is checked whole when it is put, as in Kafka.
    expect(thrown(DataError, () => s.put('address', new Struct(address))).path).toBe('address.city');
    s.put('name', 'n').put('balance', new Decimal(0n, 2)).put('address', Struct.from(address, { city: 'Bergen' }));
    expect(() => s.validate()).not.toThrow();
    expect(s.get('level')).toBe(1);
    expect(s.getWithoutDefault('level')).toBeNull();
  });

  it('compares by schema and values', () => {
    expect(full().equals(full())).toBe(true);
    expect(full().put('tags', ['other']).equals(full())).toBe(false);
    expect(full().toJSON()).toMatchObject({ id: 7, name: 'Ada', tags: ['vip'] });
  });
});

describe('validateValue', () => {
  it('accepts every type in its in-memory form', () => {
    const ok: Array<[Schema, unknown]> = [
      [Schema.INT8_SCHEMA, -128],
      [Schema.INT16_SCHEMA, 32767],
      [Schema.INT32_SCHEMA, -2147483648],
      [Schema.INT64_SCHEMA, Number.MAX_SAFE_INTEGER],
      [Schema.INT64_SCHEMA, -(2n ** 63n)],
      [Schema.FLOAT32_SCHEMA, 1.5],
      [Schema.FLOAT64_SCHEMA, NaN],
      [Schema.BOOLEAN_SCHEMA, false],
      [Schema.STRING_SCHEMA, ''],
      [Schema.BYTES_SCHEMA, Buffer.from('x')],
      [Schema.BYTES_SCHEMA, new Uint8Array([1])],
      [SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA).build(), new Map([[1, 'a']])],
      [SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build(), { a: 1 }],
      [Schema.OPTIONAL_INT32_SCHEMA, null],
      [SchemaBuilder.int32().defaultValue(3).build(), null],
    ];
    for (const [schema, value] of ok) expect(() => validateValue(schema, value), `${schema.type} ${String(value)}`).not.toThrow();
  });

  it('rejects wrong types and out-of-range values, naming the path', () => {
    expect(thrown(DataError, () => validateValue(Schema.INT64_SCHEMA, 2 ** 60)).message).toMatch(/expected int64/);
    expect(thrown(DataError, () => validateValue(Schema.INT64_SCHEMA, 2n ** 63n)).message).toMatch(/expected int64/);
    expect(thrown(DataError, () => validateValue(Schema.INT32_SCHEMA, 1.5)).message).toMatch(/expected int32, got number/);
    expect(thrown(DataError, () => validateValue(Schema.INT32_SCHEMA, null)).message).toBe('Invalid value: null used for required value, schema type int32');
    const m = SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT32_SCHEMA).build();
    expect(thrown(DataError, () => validateValue(m, new Map([['k', 'v']]), 'counts')).path).toBe('counts["k"]');
    expect(thrown(DataError, () => validateValue(Schema.BYTES_SCHEMA, 'abc')).message).toMatch(/expected bytes/);
  });
});

describe('logical types', () => {
  it('Decimal is exact: parse, print, rescale, compare', () => {
    const d = Decimal.parse('50.00');
    expect([d.unscaled, d.scale, d.toString()]).toEqual([5000n, 2, '50.00']);
    expect(Decimal.parse('-0.005').toString()).toBe('-0.005');
    expect(Decimal.parse('1.5e3')).toEqual(new Decimal(15n, -2));
    expect(new Decimal(15n, -2).toString()).toBe('1500');
    expect(Decimal.parse('123456789012345678901234567890.123456789').toString()).toBe('123456789012345678901234567890.123456789');
    expect(Decimal.from(0.1, 3).toString()).toBe('0.100');
    expect(() => Decimal.parse('1.25').setScale(1)).toThrow(/without rounding/);
    expect(Decimal.parse('1.0').equals(Decimal.parse('1.00'))).toBe(false);
    expect(Decimal.parse('1.0').compareTo(Decimal.parse('1.00'))).toBe(0);
    expect(() => Decimal.parse('1,5')).toThrow(/Not a decimal number/);
  });

  it('Decimal bytes are two\'s-complement big-endian, minimal, as BigInteger.toByteArray', () => {
    const cases: Array<[bigint, number[]]> = [
      [0n, [0]],
      [5000n, [0x13, 0x88]],
      [127n, [0x7f]],
      [128n, [0x00, 0x80]],
      [-1n, [0xff]],
      [-128n, [0x80]],
      [-129n, [0xff, 0x7f]],
      [-32768n, [0x80, 0x00]],
    ];
    for (const [v, bytes] of cases) {
      expect([...Decimal.toBytes(new Decimal(v, 0))], String(v)).toEqual(bytes);
      expect(Decimal.fromBytes(Buffer.from(bytes), 3)).toEqual(new Decimal(v, 3));
    }
    const huge = -(10n ** 40n) + 7n;
    expect(Decimal.fromBytes(Decimal.toBytes(new Decimal(huge, 5)), 5).unscaled).toBe(huge);
    expect(() => Decimal.fromBytes(Buffer.alloc(0), 0)).toThrow(/zero length/);
  });

  it('logical schemas carry Kafka names and version 1', () => {
    expect([Decimal.schema(2).name, Decimal.schema(2).version, Decimal.schema(2, 10).parameters]).toEqual(['org.apache.kafka.connect.data.Decimal', 1, { scale: '2', 'connect.decimal.precision': '10' }]);
    expect([ConnectDate.SCHEMA.type, ConnectDate.SCHEMA.name, ConnectDate.SCHEMA.version]).toEqual(['int32', 'org.apache.kafka.connect.data.Date', 1]);
    expect([ConnectTime.SCHEMA.type, ConnectTime.SCHEMA.name]).toEqual(['int32', 'org.apache.kafka.connect.data.Time']);
    expect([ConnectTimestamp.SCHEMA.type, ConnectTimestamp.SCHEMA.name]).toEqual(['int64', 'org.apache.kafka.connect.data.Timestamp']);
    expect(ConnectDate.SCHEMA).toBe(ConnectDate.SCHEMA);
  });

  it('Date, Time and Timestamp round-trip and refuse values they cannot hold', () => {
    const day = new Date('2024-02-29T00:00:00Z');
    expect(ConnectDate.fromLogical(day)).toBe(19782);
    expect(ConnectDate.toLogical(19782)).toEqual(day);
    expect(ConnectDate.toLogical(-1)).toEqual(new Date('1969-12-31T00:00:00Z'));
    expect(() => ConnectDate.fromLogical(new Date('2024-02-29T00:00:01Z'))).toThrow(/should not have any time fields/);
    const t = new Date('1970-01-01T13:45:30.250Z');
    expect(ConnectTime.fromLogical(t)).toBe(49530250);
    expect(ConnectTime.toLogical(49530250)).toEqual(t);
    expect(() => ConnectTime.fromLogical(new Date('1970-01-02T00:00:00Z'))).toThrow(/should not have any date fields/);
    const ts = new Date('2024-05-01T12:34:56.789Z');
    expect(ConnectTimestamp.toLogical(ConnectTimestamp.fromLogical(ts))).toEqual(ts);
    expect(() => ConnectTimestamp.fromLogical(new Date(NaN))).toThrow(/invalid/);
    expect(thrown(DataError, () => validateValue(ConnectDate.SCHEMA, new Date('2024-01-01T10:00:00Z'), 'born')).path).toBe('born');
    expect(thrown(DataError, () => validateValue(ConnectTimestamp.SCHEMA, 1700000000000)).message).toMatch(/expected a Date \(Timestamp\), got number/);
  });
});
