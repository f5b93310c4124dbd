import { describe, expect, it } from 'vitest';
import { ByteArrayConverter, createConverters, JsonConverter, StringConverter } from '../../src/connect/converters/index.js';
import { Decimal, Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConfigError, DataError } from '../../src/connect/errors.js';
import { createPluginRegistry } from '../../src/connect/registry.js';

function stringConverter(config: Record<string, string> = {}): StringConverter {
  const c = new StringConverter();
  c.configure(config, false);
  return c;
}

describe('StringConverter', () => {
  it('writes text in UTF-8 by default and reads an optional string', () => {
    const c = stringConverter();
    expect(c.fromConnectData('t', Schema.STRING_SCHEMA, 'café')).toEqual(Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]));
    expect(c.toConnectData('t', Buffer.from('café'))).toEqual({ schema: Schema.OPTIONAL_STRING_SCHEMA, value: 'café' });
    expect(c.fromConnectData('t', null, null)).toBeNull();
    expect(c.toConnectData('t', null)).toEqual({ schema: Schema.OPTIONAL_STRING_SCHEMA, value: null });
  });

  it('writes other values as text: numbers, decimals, dates, structs as JSON', () => {
    const c = stringConverter();
    const text = (v: unknown) => c.fromConnectData('t', null, v)!.toString();
    expect([text(42), text(true), text(2n ** 70n), text(Decimal.parse('50.00')), text(new Date(0))]).toEqual(['42', 'true', '1180591620717411303424', '50.00', '1970-01-01T00:00:00.000Z']);
    const s = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('p', Decimal.schema(2)).build();
    expect(text(Struct.from(s, { id: 1, p: Decimal.parse('1.50') }))).toBe('{"id":1,"p":1.50}');
  });

  it('honours converter.encoding with Java charset names', () => {
    expect([...stringConverter({ 'converter.encoding': 'UTF-16BE' }).fromConnectData('t', null, 'é')!]).toEqual([0x00, 0xe9]);
    expect([...stringConverter({ 'converter.encoding': 'UTF-16' }).fromConnectData('t', null, 'é')!]).toEqual([0xfe, 0xff, 0x00, 0xe9]);
    expect(stringConverter({ 'converter.encoding': 'utf-16' }).toConnectData('t', Buffer.from([0xff, 0xfe, 0xe9, 0x00])).value).toBe('é');
    expect([...stringConverter({ 'converter.encoding': 'ISO-8859-1' }).fromConnectData('t', null, 'é')!]).toEqual([0xe9]);
    expect(stringConverter({ 'converter.encoding': 'UTF-16LE' }).toConnectData('t', Buffer.from([0xe9, 0x00])).value).toBe('é');
    expect(() => stringConverter({ 'converter.encoding': 'EBCDIC' })).toThrow('Invalid value EBCDIC for configuration converter.encoding: Unsupported encoding');
  });
});

describe('ByteArrayConverter', () => {
  const c = new ByteArrayConverter();
  c.configure({}, true);

  it('passes bytes through untouched', () => {
    const bytes = Buffer.from([0, 255, 7]);
    expect(c.fromConnectData('t', Schema.BYTES_SCHEMA, bytes)).toEqual(bytes);
    expect(c.fromConnectData('t', null, new Uint8Array([1, 2]))).toEqual(Buffer.from([1, 2]));
    expect(c.toConnectData('t', bytes)).toEqual({ schema: Schema.OPTIONAL_BYTES_SCHEMA, value: bytes });
    expect(c.fromConnectData('t', null, null)).toBeNull();
  });

  it('refuses other schemas and values', () => {
    expect(() => c.fromConnectData('t', Schema.STRING_SCHEMA, 'x')).toThrow(new DataError('Invalid schema type for ByteArrayConverter: string'));
    expect(() => c.fromConnectData('t', null, 'x')).toThrow(/not compatible with objects of type string/);
  });
});

describe('createConverters', () => {
  const order = SchemaBuilder.struct().name('o').field('id', Schema.INT32_SCHEMA).build();
  const value = Struct.from(order, { id: 1 });

  it('defaults to JsonConverter with schemas for both key and value', () => {
    const { key, value: v } = createConverters({});
    expect(key).toBeInstanceOf(JsonConverter);
    expect(v.fromConnectData('t', order, value)!.toString()).toBe('{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"o"},"payload":{"id":1}}');
  });

  it('takes classes or aliases from the connector, else the worker, with prefixed settings', () => {
    const worker = { 'key.converter': 'org.apache.kafka.connect.storage.StringConverter', 'value.converter': 'JsonConverter', 'value.converter.schemas.enable': 'false' };
    const plain = createConverters({}, worker);
    expect(plain.key).toBeInstanceOf(StringConverter);
    expect(plain.value.fromConnectData('t', order, value)!.toString()).toBe('{"id":1}');
    // The connector keeps the worker's class and overrides one setting of it.
    const withSchemas = createConverters({ 'value.converter.schemas.enable': 'true' }, worker);
    expect(withSchemas.value.fromConnectData('t', order, value)!.toString()).toMatch(/^\{"schema":/);
    // The connector names the class: the worker's settings do not apply (as in Kafka Connect).
    const own = createConverters({ 'key.converter': 'ByteArray', 'value.converter': 'Json', 'value.converter.decimal.format': 'NUMERIC' }, worker);
    expect(own.key).toBeInstanceOf(ByteArrayConverter);
    expect(own.value.fromConnectData('t', Decimal.schema(1), Decimal.parse('2.5'))!.toString()).toMatch(/"payload":2\.5\}$/);
  });

  it('reports every problem under the full config key', () => {
    let err: unknown;
    try {
      createConverters({ 'key.converter': 'AvroConverter', 'value.converter.schemas.enable': 'perhaps' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).fields).toEqual(['key.converter', 'value.converter.schemas.enable']);
    expect((err as ConfigError).messages['value.converter.schemas.enable']).toEqual(['Invalid value perhaps for configuration value.converter.schemas.enable: Expected value to be either true or false']);
    expect((err as ConfigError).messages['key.converter']![0]).toMatch(/^Invalid value AvroConverter for configuration key.converter: Failed to find any class that implements Converter/);
  });

  it('uses the registry it is given', () => {
    const registry = createPluginRegistry();
    registry.registerConverter({ class: 'com.example.UpperConverter', version: '1', create: () => new StringConverter() });
    expect(createConverters({ 'value.converter': 'Upper' }, {}, { registry }).value).toBeInstanceOf(StringConverter);
  });
});
