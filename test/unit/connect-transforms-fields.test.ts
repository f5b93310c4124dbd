import { describe, expect, it } from 'vitest';
import { ConnectTimestamp, Decimal, Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConfigError, DataError } from '../../src/connect/errors.js';
import { sinkRecord, sourceRecord, type ConnectRecord } from '../../src/connect/record.js';
import { transform } from '../helpers/transforms.js';

const rowSchema = SchemaBuilder.struct().name('shop.Value').field('id', Schema.INT32_SCHEMA).field('name', Schema.OPTIONAL_STRING_SCHEMA).field('price', Schema.FLOAT64_SCHEMA).build();
const row = () => Struct.from(rowSchema, { id: 7, name: 'lamp', price: 19.5 });
const structRecord = (): ConnectRecord => sinkRecord({ topic: 'shop', kafkaPartition: 2, kafkaOffset: 41, timestampType: 'CREATE_TIME', timestamp: 1_700_000_000_000, key: null, valueSchema: rowSchema, value: row() });
const mapRecord = (value: unknown): ConnectRecord => sourceRecord({ topic: 'shop', kafkaPartition: 0, timestamp: 1_700_000_000_000, key: null, value, sourcePartition: {}, sourceOffset: {} });

describe('InsertField', () => {
  it('adds topic, partition, offset, timestamp and a static field to a Struct, optional unless marked !', () => {
    const out = transform('InsertField$Value', { 'topic.field': 'topic!', 'partition.field': 'part', 'offset.field': 'off', 'timestamp.field': 'ts', 'static.field': 'origin', 'static.value': 'eu' }).apply(structRecord())!;
    const s = out.value as Struct;
    expect(out.valueSchema!.name).toBe('shop.Value');
    expect(out.valueSchema!.field('topic')!.schema.optional).toBe(false);
    expect(out.valueSchema!.field('part')!.schema.optional).toBe(true);
    expect(out.valueSchema!.field('ts')!.schema.name).toBe(ConnectTimestamp.LOGICAL_NAME);
    expect(s.toJSON()).toEqual({ id: 7, name: 'lamp', price: 19.5, topic: 'shop', part: 2, off: 41, ts: new Date(1_700_000_000_000), origin: 'eu' });
    s.validate();
  });

  it('adds to a schemaless map, keeping its form, and passes tombstones through', () => {
    const t = transform('InsertField$Value', { 'topic.field': 'topic', 'timestamp.field': 'ts' });
    expect(t.apply(mapRecord({ id: 1 }))!.value).toEqual({ id: 1, topic: 'shop', ts: 1_700_000_000_000 });
    expect(t.apply(mapRecord(new Map([['id', 1]])))!.value).toEqual(new Map<string, unknown>([['id', 1], ['topic', 'shop'], ['ts', 1_700_000_000_000]]));
    const tomb = mapRecord(null);
    expect(t.apply(tomb)).toBe(tomb);
  });

  it('refuses offset.field on a source record and static.field without a value', () => {
    expect(() => transform('InsertField$Value', { 'offset.field': 'off' }).apply(mapRecord({ id: 1 }))).toThrow(DataError);
    expect(() => transform('InsertField$Value', { 'static.field': 'x' })).toThrow(ConfigError);
  });
});

describe('ReplaceField', () => {
  it('excludes, includes and renames Struct fields, keeping the schema name', () => {
    const out = transform('ReplaceField$Value', { exclude: 'price', renames: 'id:product_id,name:title' }).apply(structRecord())!;
    expect(out.valueSchema!.fields.map((f) => f.name)).toEqual(['product_id', 'title']);
    expect(out.valueSchema!.name).toBe('shop.Value');
    expect((out.value as Struct).toJSON()).toEqual({ product_id: 7, title: 'lamp' });
    const inc = transform('ReplaceField$Value', { include: 'id,price', exclude: 'price' }).apply(structRecord())!;
    expect((inc.value as Struct).toJSON()).toEqual({ id: 7 });
  });

  it("accepts Kafka's old whitelist/blacklist names (the current names win) and works on maps", () => {
    expect(transform('ReplaceField$Value', { whitelist: 'a,b', blacklist: 'b', renames: 'a:x' }).apply(mapRecord({ a: 1, b: 2, c: 3 }))!.value).toEqual({ x: 1 });
    expect(transform('ReplaceField$Value', { exclude: 'c', blacklist: 'a' }).apply(mapRecord({ a: 1, b: 2, c: 3 }))!.value).toEqual({ a: 1, b: 2 });
  });

  it('a bad rename is a ConfigError naming renames', () => {
    try {
      transform('ReplaceField$Value', { renames: 'a:b,c' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).fields).toEqual(['renames']);
    }
  });
});

describe('MaskField', () => {
  it('masks with the empty value of each type, or a replacement parsed into the type', () => {
    expect((transform('MaskField$Value', { fields: 'name,price' }).apply(structRecord())!.value as Struct).toJSON()).toEqual({ id: 7, name: '', price: 0 });
    expect((transform('MaskField$Value', { fields: 'id', replacement: '-1' }).apply(structRecord())!.value as Struct).toJSON()).toEqual({ id: -1, name: 'lamp', price: 19.5 });
    expect(transform('MaskField$Value', { fields: 'card,ok,amount', replacement: '****' }).apply(mapRecord({ card: '4111', other: 1 }))!.value).toEqual({ card: '****', other: 1 });
    expect(transform('MaskField$Value', { fields: 'ok,amount' }).apply(mapRecord({ ok: true, amount: Decimal.parse('1.50') }))!.value).toEqual({ ok: false, amount: new Decimal(0n, 2) });
    expect(() => transform('MaskField$Value', { fields: 'id', replacement: 'abc' }).apply(structRecord())).toThrow(DataError);
    expect(() => transform('MaskField$Value', { fields: '' })).toThrow(/configuration fields: Empty list/);
  });
});

describe('ValueToKey, HoistField, ExtractField', () => {
  it('ValueToKey makes a key Struct of the named value fields', () => {
    const out = transform('ValueToKey', { fields: 'id' }).apply(structRecord())!;
    expect(out.keySchema!.fields.map((f) => f.name)).toEqual(['id']);
    expect((out.key as Struct).get('id')).toBe(7);
    expect(transform('ValueToKey', { fields: 'a,b' }).apply(mapRecord({ a: 1, b: 2, c: 3 }))!.key).toEqual({ a: 1, b: 2 });
    expect(() => transform('ValueToKey', { fields: 'nope' }).apply(structRecord())).toThrow(DataError);
  });

  it('HoistField wraps, ExtractField unwraps, with and without schema', () => {
    const rec = sourceRecord({ topic: 't', keySchema: Schema.INT64_SCHEMA, key: 42, value: null, sourcePartition: {}, sourceOffset: {} });
    const hoisted = transform('HoistField$Key', { field: 'id' }).apply(rec)!;
    expect((hoisted.key as Struct).get('id')).toBe(42);
    const extracted = transform('ExtractField$Key', { field: 'id' }).apply(hoisted)!;
    expect([extracted.keySchema, extracted.key]).toEqual([Schema.INT64_SCHEMA, 42]);
    expect(transform('HoistField$Value', { field: 'line' }).apply(mapRecord('hello'))!.value).toEqual({ line: 'hello' });
    expect(transform('ExtractField$Value', { field: 'name' }).apply(structRecord())!.value).toBe('lamp');
    expect(transform('ExtractField$Value', { field: 'a' }).apply(mapRecord({ b: 1 }))!.value).toBeNull();
  });
});

describe('Flatten', () => {
  const inner = SchemaBuilder.struct().field('city', Schema.STRING_SCHEMA).field('zip', Schema.OPTIONAL_STRING_SCHEMA).optional().build();
  const outer = SchemaBuilder.struct().name('person').field('id', Schema.INT32_SCHEMA).field('address', inner).build();

  it('flattens nested Structs with the delimiter; fields under an optional struct become optional', () => {
    const value = Struct.from(outer, { id: 1, address: Struct.from(inner, { city: 'Oslo' }) });
    const out = transform('Flatten$Value', { delimiter: '_' }).apply(sourceRecord({ topic: 't', key: null, valueSchema: outer, value, sourcePartition: {}, sourceOffset: {} }))!;
    expect(out.valueSchema!.fields.map((f) => [f.name, f.schema.optional])).toEqual([['id', false], ['address_city', true], ['address_zip', true]]);
    expect((out.value as Struct).toJSON()).toEqual({ id: 1, address_city: 'Oslo', address_zip: null });
    const nullAddress = transform('Flatten$Value').apply(sourceRecord({ topic: 't', key: null, valueSchema: outer, value: Struct.from(outer, { id: 2 }), sourcePartition: {}, sourceOffset: {} }))!;
    expect((nullAddress.value as Struct).toJSON()).toEqual({ id: 2, 'address.city': null, 'address.zip': null });
  });

  it('flattens nested maps, keeping arrays', () => {
    expect(transform('Flatten$Value').apply(mapRecord({ a: { b: { c: 1 } }, list: [1, 2] }))!.value).toEqual({ 'a.b.c': 1, list: [1, 2] });
  });
});

describe('Cast', () => {
  it('casts Struct fields, keeping optionality, with Java narrowing', () => {
    const out = transform('Cast$Value', { spec: 'id:string,price:int32,name:boolean' }).apply(structRecord())!;
    expect(out.valueSchema!.fields.map((f) => [f.name, f.schema.type, f.schema.optional])).toEqual([['id', 'string', false], ['name', 'boolean', true], ['price', 'int32', false]]);
    expect((out.value as Struct).toJSON()).toEqual({ id: '7', name: false, price: 19 });
    expect(transform('Cast$Value', { spec: 'int8' }).apply(mapRecord(300))!.value).toBe(44);
    expect(transform('Cast$Value', { spec: 'a:float64,b:int64,c:string' }).apply(mapRecord({ a: '2.5', b: true, c: Decimal.parse('1.10') }))!.value).toEqual({ a: 2.5, b: 1, c: '1.10' });
  });

  it('a bad spec is a ConfigError naming spec', () => {
    expect(() => transform('Cast$Value', { spec: 'a:uint8' })).toThrow(/configuration spec: Invalid type found in casting schema: uint8/);
    expect(() => transform('Cast$Value', { spec: 'int32,a:int8' })).toThrow(ConfigError);
  });
});

describe('replace.null.with.default (Kafka 3.8)', () => {
  const withDefault = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('region', SchemaBuilder.string().optional().defaultValue('eu').build()).build();
  const rec = () => sourceRecord({ topic: 't', key: null, valueSchema: withDefault, value: Struct.from(withDefault, { id: 1 }), sourcePartition: {}, sourceOffset: {} });

  it('reads a null field as its default unless set to false', () => {
    expect((transform('ReplaceField$Value', { exclude: 'id' }).apply(rec())!.value as Struct).getWithoutDefault('region')).toBe('eu');
    expect((transform('ReplaceField$Value', { exclude: 'id', 'replace.null.with.default': 'false' }).apply(rec())!.value as Struct).getWithoutDefault('region')).toBeNull();
    expect(transform('ExtractField$Value', { field: 'region' }).apply(rec())!.value).toBe('eu');
    expect(transform('ExtractField$Value', { field: 'region', 'replace.null.with.default': 'false' }).apply(rec())!.value).toBeNull();
  });
});

describe('SetSchemaMetadata', () => {
  it('renames and versions the schema and rebuilds the Struct on it; schemaless is refused', () => {
    const out = transform('SetSchemaMetadata$Value', { 'schema.name': 'shop.Product', 'schema.version': '3' }).apply(structRecord())!;
    expect([out.valueSchema!.name, out.valueSchema!.version]).toEqual(['shop.Product', 3]);
    expect((out.value as Struct).schema).toBe(out.valueSchema);
    (out.value as Struct).validate();
    expect(() => transform('SetSchemaMetadata$Value', { 'schema.name': 'x' }).apply(mapRecord({}))).toThrow(DataError);
  });
});
