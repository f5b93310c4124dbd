import { describe, expect, it } from 'vitest';
import { ConnectDate, ConnectTime, ConnectTimestamp, Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { ConfigError, DataError } from '../../src/connect/errors.js';
import { sourceRecord, type ConnectRecord } from '../../src/connect/record.js';
import { JavaDateFormat } from '../../src/connect/transforms/java-date.js';
import { parseJavaReplacement } from '../../src/connect/transforms/routers.js';
import { transform } from '../helpers/transforms.js';

const record = (init: Partial<ConnectRecord>): ConnectRecord => sourceRecord({ topic: 'orders', key: null, value: null, sourcePartition: {}, sourceOffset: {}, ...init });
// 2024-12-30T13:05:09.042Z: a Monday whose week-based year is already 2025.
const WEEK_YEAR_EDGE = Date.UTC(2024, 11, 30, 13, 5, 9, 42);

describe('Java date patterns', () => {
  it('formats yyyy yy MM dd HH mm ss SSS and quoted literals in UTC', () => {
    expect(new JavaDateFormat("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").format(new Date(WEEK_YEAR_EDGE))).toBe('2024-12-30T13:05:09.042Z');
    expect(new JavaDateFormat('yyMMdd').format(new Date(WEEK_YEAR_EDGE))).toBe('241230');
    expect(new JavaDateFormat("dd MMM yyyy 'at' h a").format(new Date(WEEK_YEAR_EDGE))).toBe('30 Dec 2024 at 1 PM');
  });

  it('reads YYYY as the calendar year, not the week year', () => {
    expect(new JavaDateFormat('YYYYMM').format(new Date(WEEK_YEAR_EDGE))).toBe('202412');
  });

  it('parses what it formats, including adjacent numeric fields and zone offsets', () => {
    expect(new JavaDateFormat('yyyyMMddHHmmss').parse('20241230130509').getTime()).toBe(Date.UTC(2024, 11, 30, 13, 5, 9));
    expect(new JavaDateFormat("yyyy-MM-dd'T'HH:mm:ssXXX").parse('2024-12-30T15:05:09+02:00').getTime()).toBe(Date.UTC(2024, 11, 30, 13, 5, 9));
    expect(() => new JavaDateFormat('yyyy-MM-dd').parse('30/12/2024')).toThrow(/Unparseable/);
  });

  it('refuses letters it does not know, so a typo fails at configure time', () => {
    expect(() => new JavaDateFormat('yyyyQQ')).toThrow(/Illegal pattern character 'Q'/);
  });
});

describe('TimestampRouter', () => {
  it('routes by the record timestamp with the default and a user pattern', () => {
    expect(transform('TimestampRouter').apply(record({ timestamp: WEEK_YEAR_EDGE }))!.topic).toBe('orders-20241230');
    expect(transform('TimestampRouter', { 'topic.format': 'archive_${topic}_${timestamp}', 'timestamp.format': 'YYYYMM' }).apply(record({ timestamp: WEEK_YEAR_EDGE }))!.topic).toBe('archive_orders_202412');
  });

  it('fails a record without a timestamp, and a bad pattern at configure time', () => {
    expect(() => transform('TimestampRouter').apply(record({}))).toThrow(DataError);
    expect(() => transform('TimestampRouter', { 'timestamp.format': 'yyyyQ' })).toThrow(/configuration timestamp.format/);
  });
});

describe('RegexRouter', () => {
  it("replaces a topic that matches in full, with Java's $n syntax", () => {
    const t = transform('RegexRouter', { regex: '(.*)\\.inventory\\.(.*)', replacement: '$1_$2' });
    expect(t.apply(record({ topic: 'dbserver1.inventory.customers' }))!.topic).toBe('dbserver1_customers');
    expect(t.apply(record({ topic: 'other' }))!.topic).toBe('other');
    expect(transform('RegexRouter', { regex: 'orders', replacement: 'x' }).apply(record({ topic: 'orders-eu' }))!.topic).toBe('orders-eu');
  });

  it('parses Java replacements: escapes, named groups, multi-digit groups only when they exist', () => {
    expect(parseJavaReplacement('\\$$1-$12', 1, new Set())).toEqual(['$', { group: 1 }, '-', { group: 1 }, '2']);
    expect(parseJavaReplacement('${db}.x', 1, new Set(['db']))).toEqual([{ group: 'db' }, '.x']);
    expect(transform('RegexRouter', { regex: '(?<db>[a-z]+)\\.(.*)', replacement: '${db}-$2' }).apply(record({ topic: 'shop.orders' }))!.topic).toBe('shop-orders');
  });

  it('a bad regex or a reference to a missing group is a ConfigError naming the key', () => {
    expect(() => transform('RegexRouter', { regex: '(', replacement: 'x' })).toThrow(/configuration regex/);
    try {
      transform('RegexRouter', { regex: '(a)', replacement: '$2' });
      expect.unreachable();
    } catch (err) {
      expect((err as ConfigError).fields).toEqual(['replacement']);
    }
  });
});

describe('TimestampConverter', () => {
  const schema = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('at', Schema.OPTIONAL_INT64_SCHEMA).build();
  const value = () => Struct.from(schema, { id: 1, at: WEEK_YEAR_EDGE });

  it('converts a unix field to Timestamp, Date, Time and string, keeping optionality', () => {
    const rec = record({ valueSchema: schema, value: value() });
    const ts = transform('TimestampConverter$Value', { field: 'at', 'target.type': 'Timestamp' }).apply(rec)!;
    expect(ts.valueSchema!.field('at')!.schema.name).toBe(ConnectTimestamp.LOGICAL_NAME);
    expect(ts.valueSchema!.field('at')!.schema.optional).toBe(true);
    expect((ts.value as Struct).get('at')).toEqual(new Date(WEEK_YEAR_EDGE));
    const date = transform('TimestampConverter$Value', { field: 'at', 'target.type': 'Date' }).apply(rec)!;
    expect(date.valueSchema!.field('at')!.schema.name).toBe(ConnectDate.LOGICAL_NAME);
    expect((date.value as Struct).get('at')).toEqual(new Date(Date.UTC(2024, 11, 30)));
    (date.value as Struct).validate();
    const time = transform('TimestampConverter$Value', { field: 'at', 'target.type': 'Time' }).apply(rec)!;
    expect(time.valueSchema!.field('at')!.schema.name).toBe(ConnectTime.LOGICAL_NAME);
    expect(((time.value as Struct).get('at') as Date).getTime()).toBe(((13 * 60 + 5) * 60 + 9) * 1000 + 42);
    const str = transform('TimestampConverter$Value', { field: 'at', 'target.type': 'string', format: 'yyyy-MM-dd HH:mm' }).apply(rec)!;
    expect((str.value as Struct).get('at')).toBe('2024-12-30 13:05');
  });

  it('converts schemaless values and whole values, with unix.precision', () => {
    expect(transform('TimestampConverter$Value', { field: 'at', 'target.type': 'unix', format: 'yyyy-MM-dd', 'unix.precision': 'seconds' }).apply(record({ value: { at: '2024-12-30' } }))!.value).toEqual({ at: Date.UTC(2024, 11, 30) / 1000 });
    const whole = transform('TimestampConverter$Key', { 'target.type': 'unix', 'unix.precision': 'microseconds' }).apply(record({ keySchema: ConnectTimestamp.SCHEMA, key: new Date(1000) }))!;
    expect([whole.keySchema!.type, whole.key]).toEqual(['int64', 1_000_000]);
  });

  it('string target without a format is a ConfigError naming format', () => {
    expect(() => transform('TimestampConverter$Value', { 'target.type': 'string' })).toThrow(/configuration format/);
    expect(() => transform('TimestampConverter$Value', { 'target.type': 'Instant' })).toThrow(/configuration target.type/);
  });
});
