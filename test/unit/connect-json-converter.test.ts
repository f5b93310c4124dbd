import { describe, expect, it } from 'vitest';
import { JsonConverter } from '../../src/connect/converters/json.js';
import { ConnectDate, ConnectTime, ConnectTimestamp, Decimal, Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConfigError, DataError } from '../../src/connect/errors.js';
import { thrown } from '../helpers/errors.js';

function converter(config: Record<string, string> = {}, isKey = false): JsonConverter {
  const c = new JsonConverter();
  c.configure(config, isKey);
  return c;
}

const write = (c: JsonConverter, schema: Schema | null, value: unknown) => c.fromConnectData('orders', schema, value)?.toString('utf8');
const read = (c: JsonConverter, json: string) => c.toConnectData('orders', Buffer.from(json, 'utf8'));

const order = SchemaBuilder.struct().name('shop.Order').field('id', Schema.INT32_SCHEMA).field('amount', Decimal.schema(2)).build();
const anOrder = () => Struct.from(order, { id: 1, amount: Decimal.parse('50.00') });

const child = SchemaBuilder.struct().name('all.Child').optional().field('x', Schema.INT32_SCHEMA).build();
const allTypes = SchemaBuilder.struct()
  .name('all.Types')
  .version(3)
  .doc('every type')
  .field('i8', Schema.INT8_SCHEMA)
  .field('i16', Schema.INT16_SCHEMA)
  .field('i64', Schema.INT64_SCHEMA)
  .field('f32', Schema.FLOAT32_SCHEMA)
  .field('f64', Schema.FLOAT64_SCHEMA)
  .field('flag', Schema.BOOLEAN_SCHEMA)
  .field('raw', Schema.BYTES_SCHEMA)
  .field('note', SchemaBuilder.string().optional().defaultValue('n/a'))
  .field('nums', SchemaBuilder.array(Schema.INT32_SCHEMA))
  .field('counts', SchemaBuilder.map(Schema.STRING_SCHEMA, Schema.INT64_SCHEMA))
  .field('names', SchemaBuilder.map(Schema.INT32_SCHEMA, Schema.STRING_SCHEMA))
  .field('child', child)
  .field('day', ConnectDate.SCHEMA)
  .field('at', ConnectTime.SCHEMA)
  .field('ts', ConnectTimestamp.SCHEMA)
  .build();

const allValues = (note: string | null) =>
  Struct.from(allTypes, {
    i8: -5,
    i16: 300,
    i64: 2n ** 62n,
    f32: 1.5,
    f64: -0.25,
    flag: true,
    raw: Buffer.from([1, 2, 3]),
    note,
    nums: [1, 2],
    counts: new Map([['a', 1]]),
    names: new Map([[1, 'one']]),
    child: null,
    day: new Date('2024-01-02T00:00:00Z'),
    at: new Date('1970-01-01T00:00:01.500Z'),
    ts: new Date('2024-05-01T00:00:00Z'),
  });

const ALL_TYPES_SCHEMA_JSON =
  '{"type":"struct","fields":[' +
  '{"type":"int8","optional":false,"field":"i8"},' +
  '{"type":"int16","optional":false,"field":"i16"},' +
  '{"type":"int64","optional":false,"field":"i64"},' +
  '{"type":"float","optional":false,"field":"f32"},' +
  '{"type":"double","optional":false,"field":"f64"},' +
  '{"type":"boolean","optional":false,"field":"flag"},' +
  '{"type":"bytes","optional":false,"field":"raw"},' +
  '{"type":"string","optional":true,"default":"n/a","field":"note"},' +
  '{"type":"array","items":{"type":"int32","optional":false},"optional":false,"field":"nums"},' +
  '{"type":"map","keys":{"type":"string","optional":false},"values":{"type":"int64","optional":false},"optional":false,"field":"counts"},' +
  '{"type":"map","keys":{"type":"int32","optional":false},"values":{"type":"string","optional":false},"optional":false,"field":"names"},' +
  '{"type":"struct","fields":[{"type":"int32","optional":false,"field":"x"}],"optional":true,"name":"all.Child","field":"child"},' +
  '{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Date","version":1,"field":"day"},' +
  '{"type":"int32","optional":false,"name":"org.apache.kafka.connect.data.Time","version":1,"field":"at"},' +
  '{"type":"int64","optional":false,"name":"org.apache.kafka.connect.data.Timestamp","version":1,"field":"ts"}' +
  '],"optional":false,"name":"all.Types","version":3,"doc":"every type"}';

describe('JsonConverter with schemas.enable=true (the default)', () => {
  it('writes a struct with a Decimal field as Kafka does: base64 of the unscaled bytes', () => {
    expect(write(converter(), order, anOrder())).toBe(
      '{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},' +
        '{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"amount"}],' +
        '"optional":false,"name":"shop.Order"},"payload":{"id":1,"amount":"E4g="}}',
    );
  });

  it('writes every type in Kafka\'s exact schema format', () => {
    expect(write(converter(), allTypes, allValues(null))).toBe(
      '{"schema":' +
        ALL_TYPES_SCHEMA_JSON +
        ',"payload":{"i8":-5,"i16":300,"i64":4611686018427387904,"f32":1.5,"f64":-0.25,"flag":true,"raw":"AQID","note":"n/a",' +
        '"nums":[1,2],"counts":{"a":1},"names":[[1,"one"]],"child":null,"day":19724,"at":1500,"ts":1714521600000}}',
    );
  });

  it('round-trips every type, int64 beyond 2^53 included', () => {
    const c = converter();
    const original = allValues('hello');
    const back = c.toConnectData('orders', c.fromConnectData('orders', allTypes, original));
    expect(back.schema!.equals(allTypes)).toBe(true);
    const s = back.value as Struct;
    expect(s.get('i64')).toBe(2n ** 62n);
    expect(s.get('names')).toEqual(new Map([[1, 'one']]));
    expect(s.get('day')).toEqual(new Date('2024-01-02T00:00:00Z'));
    expect(s.equals(original)).toBe(true);
  });

  it('reads what Kafka Connect and Debezium write: exact ids, Decimal bytes, defaults for nulls', () => {
    const { schema, value } = read(
      converter(),
      '{"schema":{"type":"struct","fields":[{"type":"int64","optional":false,"field":"id"},' +
        '{"type":"bytes","optional":true,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"3","connect.decimal.precision":"10"},"field":"price"},' +
        '{"type":"string","optional":true,"default":"x","field":"s"},{"type":"double","field":"ratio"}],"optional":false,"name":"a.b.Value"},' +
        '"payload":{"id":9007199254740993,"price":"AeJA","s":null,"ratio":"NaN"}}',
    );
    expect(schema!.name).toBe('a.b.Value');
    expect(schema!.field('price')!.schema.parameters).toEqual({ scale: '3', 'connect.decimal.precision': '10' });
    expect(schema!.field('ratio')!.schema.optional).toBe(false);
    const s = value as Struct;
    expect(s.get('id')).toBe(9007199254740993n);
    expect((s.get('price') as Decimal).toString()).toBe('123.456');
    expect(s.get('s')).toBe('x');
    expect(s.get('ratio')).toBeNaN();
  });

  it('reads pretty-printed envelopes and caches each schema once', () => {
    const c = converter();
    const a = read(c, '{\n  "payload": 5,\n  "schema": { "type": "int32", "optional": false }\n}');
    expect(a).toEqual({ schema: Schema.INT32_SCHEMA, value: 5 });
    const b1 = read(c, write(c, order, anOrder())!);
    const b2 = read(c, write(c, order, anOrder())!);
    expect(b1.schema).toBe(b2.schema);
    expect((b2.value as Struct).equals(anOrder())).toBe(true);
  });

  it('refuses plain JSON with a clear message', () => {
    const e = thrown(DataError, () => read(converter(), '{"id":1,"amount":"E4g="}'));
    expect(e.message).toBe(
      'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. ' +
        'If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.',
    );
    expect(() => read(converter(), '{"schema":null,"payload":1,"extra":2}')).toThrow(/requires "schema" and "payload"/);
    expect(() => read(converter(), '[1,2]')).toThrow(/requires "schema" and "payload"/);
    expect(() => read(converter(), '{"schema":{"type":"int32"}')).toThrow(/failed due to serialization error/);
  });

  it('names the bad value\'s path when reading or writing fails', () => {
    const e = thrown(DataError, () => read(converter(), '{"schema":' + write(converter(), order, anOrder())!.slice(10, -1).split(',"payload"')[0] + ',"payload":{"id":"one","amount":"E4g="}}'));
    expect(e.message).toBe('Converting JSON to Kafka Connect data failed at "id": expected int32, got string');
    expect(e.path).toBe('id');
    const counts = SchemaBuilder.map(Schema.STRING_SCHEMA, SchemaBuilder.array(Schema.INT32_SCHEMA)).build();
    const w = thrown(DataError, () => write(converter(), counts, new Map([['a', [1, 'two']]])));
    expect(w.message).toBe('Converting Kafka Connect data to JSON failed at "["a"][1]": expected int32, got string');
    expect(() => read(converter(), '{"schema":{"type":"float128"},"payload":1}')).toThrow(/Unknown schema type: float128/);
    expect(() => read(converter(), '{"schema":{"type":"int8"},"payload":300}')).toThrow(/300 is out of range for int8/);
  });

  it('handles nulls as Kafka does: tombstones, optional schemas, required ones', () => {
    const c = converter();
    expect(c.fromConnectData('t', null, null)).toBeNull();
    expect(write(c, Schema.OPTIONAL_STRING_SCHEMA, null)).toBe('{"schema":{"type":"string","optional":true},"payload":null}');
    expect(() => write(c, Schema.STRING_SCHEMA, null)).toThrow(/null value for a field that is required and has no default value/);
    expect(c.toConnectData('t', null)).toEqual({ schema: null, value: null });
    expect(read(c, 'null')).toEqual({ schema: null, value: null });
    expect(() => read(c, '{"schema":{"type":"string","optional":false},"payload":null}')).toThrow(/Invalid null value for required string field/);
  });

  it('writes schemaless values as plain JSON inside the envelope', () => {
    expect(write(converter(), null, { a: 1, b: [true, null], c: 'x', d: 2n ** 64n })).toBe('{"schema":null,"payload":{"a":1,"b":[true,null],"c":"x","d":18446744073709551616}}');
  });
});

describe('JsonConverter with schemas.enable=false', () => {
  const c = converter({ 'schemas.enable': 'false' });

  it('writes the bare payload', () => {
    expect(write(c, order, anOrder())).toBe('{"id":1,"amount":"E4g="}');
    expect(write(c, Schema.STRING_SCHEMA, 'a "quoted" string')).toBe('"a \\"quoted\\" string"');
  });

  it('reads any JSON as a schemaless value, big integers exactly', () => {
    expect(read(c, '{"id":1,"tags":["a"],"nested":{"ok":true},"big":12345678901234567890}')).toEqual({
      schema: null,
      value: { id: 1, tags: ['a'], nested: { ok: true }, big: 12345678901234567890n },
    });
    expect(read(c, '"text"')).toEqual({ schema: null, value: 'text' });
  });
});

describe('JsonConverter decimal.format', () => {
  const numeric = converter({ 'decimal.format': 'numeric' });

  it('NUMERIC writes decimals as JSON numbers with every digit and its scale', () => {
    expect(write(numeric, order, anOrder())).toMatch(/"payload":\{"id":1,"amount":50\.00\}\}$/);
    const big = Decimal.schema(2);
    expect(write(numeric, big, Decimal.parse('-12345678901234567890.12'))).toMatch(/"payload":-12345678901234567890\.12\}$/);
  });

  it('reads numeric decimals exactly, whatever the format configured', () => {
    const json = '{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"}},"payload":12345678901234567890.12}';
    for (const c of [numeric, converter()]) expect((read(c, json).value as Decimal).toString()).toBe('12345678901234567890.12');
    expect((read(converter(), json.replace('12345678901234567890.12', '50')).value as Decimal).toString()).toBe('50.00');
    expect(() => read(converter(), json.replace('12345678901234567890.12', '1.005'))).toThrow(/cannot be represented with scale 2/);
  });

  it('refuses a Decimal whose scale differs from its schema', () => {
    expect(() => write(converter(), Decimal.schema(2), Decimal.parse('1.5'))).toThrow(/Decimal scale 1 does not match the schema's scale 2/);
  });

  it('validates its own config', () => {
    expect(() => converter({ 'decimal.format': 'HEX' })).toThrow(ConfigError);
    expect(() => converter({ 'decimal.format': 'HEX' })).toThrow('Invalid value HEX for configuration decimal.format: String must be one of (case insensitive): BASE64, NUMERIC');
    expect(new JsonConverter().config().names()).toEqual(['schemas.enable', 'schemas.cache.size', 'decimal.format', 'replace.null.with.default']);
  });
});

describe('JsonConverter replace.null.with.default=false', () => {
  it('keeps nulls of optional fields that have defaults', () => {
    const c = converter({ 'replace.null.with.default': 'false' });
    const s = SchemaBuilder.string().optional().defaultValue('n/a').build();
    expect(write(c, s, null)).toBe('{"schema":{"type":"string","optional":true,"default":"n/a"},"payload":null}');
    expect(read(c, '{"schema":{"type":"string","optional":true,"default":"n/a"},"payload":null}').value).toBeNull();
    expect(read(converter(), '{"schema":{"type":"string","optional":true,"default":"n/a"},"payload":null}').value).toBe('n/a');
  });
});
