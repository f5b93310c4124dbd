import { describe, expect, it } from 'vitest';
import { JsonConverter } from '../../src/connect/converters/json.js';
import { DataError } from '../../src/connect/errors.js';
import { debeziumColumnInfo, mapColumn, parseColumnType, type ColumnDef, type ColumnMapping, type TypeModes } from '../../src/connectors/mysql-cdc/types.js';

const json = new JsonConverter();
json.configure({});

const DEFAULTS: TypeModes = { decimal: 'precise', time: 'adaptive_time_microseconds', bigintUnsigned: 'long' };

function mapped(type: string, opts: Partial<ColumnDef> = {}, modes: Partial<TypeModes> = {}): ColumnMapping {
  const m = mapColumn({ name: 'c', type, nullable: false, position: 1, ...opts }, { ...DEFAULTS, ...modes });
  if ('unsupported' in m) throw new Error(`unsupported: ${m.unsupported}`);
  return m;
}

/** The JSON text JsonConverter (schemas enabled) writes for one column value. */
function wireText(type: string, value: unknown, opts: Partial<ColumnDef> = {}, modes: Partial<TypeModes> = {}): string {
  const m = mapped(type, opts, modes);
  return json.fromConnectData('t', m.schema, m.convert(value))!.toString('utf8');
}

function wire(type: string, value: unknown, opts: Partial<ColumnDef> = {}, modes: Partial<TypeModes> = {}): { schema: unknown; payload: unknown } {
  return JSON.parse(wireText(type, value, opts, modes)) as { schema: unknown; payload: unknown };
}

const req = (type: string, extra: object = {}) => ({ type: type, optional: false, ...extra });

/** A binlog (zongji) form and a query (mysql2) form of one value convert to the same JSON. */
const same = (type: string, a: unknown, b: unknown) => expect(wireText(type, a)).toBe(wireText(type, b));

describe('the default type mapping, as JsonConverter writes it', () => {
  const rows: Array<[string, unknown, object, unknown]> = [
    ['boolean', 1, req('boolean'), true],
    ['bit(1)', Buffer.from([1]), req('boolean'), true],
    ['bit(1)', Buffer.from([0]), req('boolean'), false],
    ['bit(10)', Buffer.from([0x02, 0x01]), req('bytes', { name: 'io.debezium.data.Bits', version: 1, parameters: { length: '10' } }), 'AQI='],
    ['tinyint(4)', -5, req('int16'), -5],
    ['tinyint(3) unsigned', 255, req('int16'), 255],
    ['tinyint(1)', 1, req('int16'), 1],
    ['smallint(6)', -300, req('int16'), -300],
    ['smallint(5) unsigned', 65535, req('int32'), 65535],
    ['mediumint(9)', -8388608, req('int32'), -8388608],
    ['mediumint(8) unsigned', 16777215, req('int32'), 16777215],
    ['int(11)', -2147483648, req('int32'), -2147483648],
    ['int', 7, req('int32'), 7],
    ['int(10) unsigned', 4294967295, req('int64'), 4294967295],
    ['bigint(20)', 42, req('int64'), 42],
    ['float', 1.100000023841858, req('float'), 1.1],
    ['float(10)', 2.5, req('float'), 2.5],
    ['float(7,2)', 12.25, req('double'), 12.25],
    ['real', 0.5, req('float'), 0.5],
    ['double', 1.1, req('double'), 1.1],
    ['decimal(6,2)', '50.00', req('bytes', { name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2', 'connect.decimal.precision': '6' } }), 'E4g='],
    ['numeric(10,0)', '-1', req('bytes', { name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '0', 'connect.decimal.precision': '10' } }), '/w=='],
    ['char(3)', 'abc', req('string'), 'abc'],
    ['varchar(255)', 'héllo', req('string'), 'héllo'],
    ['text', 'long', req('string'), 'long'],
    ['longtext', '{}', req('string'), '{}'],
    ['binary(4)', Buffer.from([1, 2]), req('bytes'), 'AQIAAA=='],
    ['varbinary(10)', Buffer.from([1, 2]), req('bytes'), 'AQI='],
    ['blob', Buffer.from('hi'), req('bytes'), 'aGk='],
    ['json', '{"a": 1}', req('string', { name: 'io.debezium.data.Json', version: 1 }), '{"a": 1}'],
    ["enum('S','M','L')", 'M', req('string', { name: 'io.debezium.data.Enum', version: 1, parameters: { allowed: 'S,M,L' } }), 'M'],
    ["set('a','b','c')", 'a,c', req('string', { name: 'io.debezium.data.EnumSet', version: 1, parameters: { allowed: 'a,b,c' } }), 'a,c'],
    ['year(4)', 2024, req('int32', { name: 'io.debezium.time.Year', version: 1 }), 2024],
    ['date', '2024-01-02', req('int32', { name: 'io.debezium.time.Date', version: 1 }), 19724],
    ['time', '12:34:56', req('int64', { name: 'io.debezium.time.MicroTime', version: 1 }), 45296000000],
    ['time(6)', '-01:02:03.5', req('int64', { name: 'io.debezium.time.MicroTime', version: 1 }), -3723500000],
    ['time', '838:59:59', req('int64', { name: 'io.debezium.time.MicroTime', version: 1 }), 3020399000000],
    ['datetime', '2024-01-02 03:04:05', req('int64', { name: 'io.debezium.time.Timestamp', version: 1 }), 1704164645000],
    ['datetime(3)', '2024-01-02 03:04:05.123', req('int64', { name: 'io.debezium.time.Timestamp', version: 1 }), 1704164645123],
    ['datetime(6)', '2024-01-02 03:04:05.123456', req('int64', { name: 'io.debezium.time.MicroTimestamp', version: 1 }), 1704164645123456],
    ['datetime(4)', '2024-01-02 03:04:05.1234', req('int64', { name: 'io.debezium.time.MicroTimestamp', version: 1 }), 1704164645123400],
    ['timestamp', '2018-06-20 13:37:03', req('string', { name: 'io.debezium.time.ZonedTimestamp', version: 1 }), '2018-06-20T13:37:03Z'],
    ['timestamp(3)', '2024-01-02 03:04:05.12', req('string', { name: 'io.debezium.time.ZonedTimestamp', version: 1 }), '2024-01-02T03:04:05.120Z'],
    ['timestamp(6)', '2024-01-02 03:04:05.000100', req('string', { name: 'io.debezium.time.ZonedTimestamp', version: 1 }), '2024-01-02T03:04:05.000100Z'],
  ];
  it.each(rows)('%s %j', (type, value, schema, payload) => {
    expect(wire(type, value)).toEqual({ schema, payload });
  });

  it('writes the schema keys in JsonConverter order (type, optional, name, version, parameters)', () => {
    expect(wireText('decimal(6,2)', '50.00')).toBe(
      '{"schema":{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2","connect.decimal.precision":"6"}},"payload":"E4g="}',
    );
  });

  it('makes the field optional when the column is nullable, and writes null', () => {
    expect(wire('int(11)', null, { nullable: true })).toEqual({ schema: { type: 'int32', optional: true }, payload: null });
    expect(wire('datetime(6)', null, { nullable: true })).toEqual({ schema: { type: 'int64', optional: true, name: 'io.debezium.time.MicroTimestamp', version: 1 }, payload: null });
  });

  it('keeps BIGINT exact beyond 2^53, from a number or the exact string zongji and mysql2 give', () => {
    expect(wireText('bigint(20)', '-9223372036854775808')).toBe('{"schema":{"type":"int64","optional":false},"payload":-9223372036854775808}');
    expect(wireText('bigint(20)', '9007199254740993')).toContain('"payload":9007199254740993}');
    expect(wire('bigint(20)', '12')).toEqual({ schema: req('int64'), payload: 12 });
  });

  it('BIGINT UNSIGNED: long mode wraps above 2^63-1 as Debezium; precise mode is an exact Decimal with precision 20', () => {
    expect(wireText('bigint(20) unsigned', '18446744073709551615')).toBe('{"schema":{"type":"int64","optional":false},"payload":-1}');
    expect(wireText('bigint(20) unsigned', '9223372036854775807')).toContain('"payload":9223372036854775807}');
    expect(wire('bigint(20) unsigned', '18446744073709551615', {}, { bigintUnsigned: 'precise' })).toEqual({
      schema: req('bytes', { name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '0', 'connect.decimal.precision': '20' } }),
      payload: 'AP//////////',
    });
    expect(wire('bigint unsigned', 5, {}, { bigintUnsigned: 'precise' }).payload).toBe('BQ==');
  });

  it('decimal.handling.mode=double and =string', () => {
    expect(wire('decimal(6,2)', '50.00', {}, { decimal: 'double' })).toEqual({ schema: req('double'), payload: 50 });
    expect(wire('decimal(6,2)', '-0.05', {}, { decimal: 'double' }).payload).toBe(-0.05);
    expect(wire('decimal(6,2)', '50.00', {}, { decimal: 'string' })).toEqual({ schema: req('string'), payload: '50.00' });
    expect(wire('decimal(20,4)', '12345678901234567.1200', {}, { decimal: 'string' }).payload).toBe('12345678901234567.1200');
  });

  it('reads DECIMAL exactly and rescales to the column scale', () => {
    const m = mapped('decimal(30,10)');
    expect(String(m.convert('12345678901234567890.0123456789'))).toBe('12345678901234567890.0123456789');
    expect(String(m.convert('1.5'))).toBe('1.5000000000');
  });

  it('time.precision.mode=connect uses Kafka Connect Date, Time and Timestamp (milliseconds)', () => {
    const connect = { time: 'connect' as const };
    expect(wire('date', '2024-01-02', {}, connect)).toEqual({ schema: req('int32', { name: 'org.apache.kafka.connect.data.Date', version: 1 }), payload: 19724 });
    expect(wire('time(6)', '12:34:56.789123', {}, connect)).toEqual({ schema: req('int32', { name: 'org.apache.kafka.connect.data.Time', version: 1 }), payload: 45296789 });
    expect(wire('datetime(6)', '2024-01-02 03:04:05.123456', {}, connect)).toEqual({ schema: req('int64', { name: 'org.apache.kafka.connect.data.Timestamp', version: 1 }), payload: 1704164645123 });
    expect(wire('timestamp(3)', '2024-01-02 03:04:05.120', {}, connect).schema).toEqual(req('string', { name: 'io.debezium.time.ZonedTimestamp', version: 1 }));
    expect(() => mapped('time', {}, connect).convert('-01:00:00')).toThrow(/outside one day/);
  });

  it('time.precision.mode=adaptive: TIME(0-3) in milliseconds, TIME(4-6) in microseconds', () => {
    const adaptive = { time: 'adaptive' as const };
    expect(wire('time(3)', '12:34:56.789', {}, adaptive)).toEqual({ schema: req('int32', { name: 'io.debezium.time.Time', version: 1 }), payload: 45296789 });
    expect(wire('time(6)', '12:34:56.789123', {}, adaptive)).toEqual({ schema: req('int64', { name: 'io.debezium.time.MicroTime', version: 1 }), payload: 45296789123 });
    expect(wire('datetime(2)', '2024-01-02 03:04:05.12', {}, adaptive)).toEqual({ schema: req('int64', { name: 'io.debezium.time.Timestamp', version: 1 }), payload: 1704164645120 });
    expect(wire('date', '1970-01-02', {}, adaptive).payload).toBe(1);
  });

  it("reads the zero YEAR '0000' as 0 from the query (0) and from the binlog (zongji's 1900 + byte 0)", () => {
    same('year', 0, 1900);
    expect(wire('year', 1900)).toEqual({ schema: req('int32', { name: 'io.debezium.time.Year', version: 1 }), payload: 0 });
    expect(wire('year(4)', 1901).payload).toBe(1901);
    expect(wire('year', 2155).payload).toBe(2155);
  });

  it('reads DATETIME as UTC, before the epoch and in years below 100 too', () => {
    expect(wire('datetime(3)', '1969-12-31 23:59:59.500').payload).toBe(-500);
    expect(wire('date', '0001-01-01').payload).toBe(-719162);
    const year99 = new Date(0);
    year99.setUTCFullYear(99, 2, 1); // Date.UTC would read 99 as 1999
    expect(wire('datetime', '0099-03-01 00:00:00').payload).toBe(year99.getTime());
    expect(wire('datetime', '2000-02-29 12:00:00').payload).toBe(Date.UTC(2000, 1, 29, 12));
  });

  it('writes microseconds beyond 2^53 exactly', () => {
    expect(wireText('datetime(6)', '9999-12-31 23:59:59.999999')).toContain('"payload":253402300799999999}');
  });

  it('zero dates: null for a nullable column, the epoch for a NOT NULL one (as Debezium)', () => {
    expect(wire('date', '0000-00-00', { nullable: true }).payload).toBeNull();
    expect(wire('date', '0000-00-00').payload).toBe(0);
    expect(wire('datetime', '0000-00-00 00:00:00', { nullable: true }).payload).toBeNull();
    expect(wire('datetime(6)', '0000-00-00 00:00:00.000000').payload).toBe(0);
    expect(wire('datetime', '2020-00-10 00:00:00', { nullable: true }).payload).toBeNull();
    expect(wire('date', '2021-02-30', { nullable: true }).payload).toBeNull();
    expect(wire('timestamp', '0000-00-00 00:00:00', { nullable: true }).payload).toBeNull();
    expect(wire('timestamp', '0000-00-00 00:00:00').payload).toBe('1970-01-01T00:00:00Z');
    expect(wire('date', '0000-00-00', {}, { time: 'connect' }).payload).toBe(0);
  });

  it('gives the same value from zongji and from mysql2 forms', () => {
    same('float', 1.100000023841858, 1.1); // float32 from the binlog, text from a query
    same('bigint(20)', 12, '12');
    same('decimal(6,2)', '50.00', '50.00');
    same("set('a','b','c')", ['a', 'c'], 'a,c');
    same("set('a','b','c')", 5, 'a,c'); // a bit mask
    same("enum('x','y')", 2, 'y'); // a 1-based index
    same('datetime(3)', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 123)), '2024-01-02 03:04:05.123');
    same('json', { a: 1 }, '{"a":1}');
    same('int(11)', 5, '5');
  });

  it("MariaDB's UUID, INET4 and INET6: text, also from the binlog's raw bytes", () => {
    same('uuid', Buffer.from('123e4567e89b12d3a456426614174000', 'hex'), '123e4567-e89b-12d3-a456-426614174000');
    same('inet4', Buffer.from([192, 0, 2, 1]), '192.0.2.1');
    same('inet6', Buffer.from('20010db8000000000000000000000001', 'hex'), '2001:db8::1');
    same('inet6', Buffer.from('00000000000000000000ffffc0000201', 'hex'), '::ffff:192.0.2.1');
    same('inet6', Buffer.from('20010db8000100000001000000000000', 'hex'), '2001:db8:1:0:1::');
    same('inet6', Buffer.alloc(16), '::');
    expect(wire('uuid', '123e4567-e89b-12d3-a456-426614174000').schema).toEqual(req('string'));
  });

  it("writes '' for zongji's undefined ENUM index 0, as Debezium", () => {
    expect(wire("enum('x','y')", undefined).payload).toBe('');
    expect(wire("enum('x','y')", null, { nullable: true }).payload).toBeNull();
  });

  it("escapes a comma inside an ENUM option in 'allowed', as Debezium", () => {
    expect(wire("enum('a','b,c','it''s')", 'b,c').schema).toEqual(req('string', { name: 'io.debezium.data.Enum', version: 1, parameters: { allowed: "a,b\\,c,it's" } }));
  });

  it('puts the column DEFAULT into the schema, converted like a value', () => {
    expect(wire('int(11)', 5, { nullable: true, default: '0' }).schema).toEqual({ type: 'int32', optional: true, default: 0 });
    expect(wire('decimal(6,2)', '1.00', { default: '1.5' }).schema).toMatchObject({ default: 'AJY=' });
    expect(wire('varchar(10)', 'a', { default: 'x' }).schema).toEqual(req('string', { default: 'x' }));
    expect(wire('bit(1)', Buffer.from([1]), { default: '1' }).schema).toEqual(req('boolean', { default: true }));
    expect(wire('datetime', '2020-01-01 00:00:00', { default: '2020-01-01 00:00:00' }).schema).toMatchObject({ default: 1577836800000 });
    // DEFAULT NULL and expressions other than CURRENT_TIMESTAMP: no schema default
    expect(wire('int(11)', 5, { nullable: true, default: null }).schema).toEqual({ type: 'int32', optional: true });
    expect(wire('varchar(36)', 'a', { defaultExpression: 'uuid()' }).schema).toEqual(req('string'));
    // a default the type cannot hold is dropped, as Debezium
    expect(wire('int(11)', 5, { default: 'abc' }).schema).toEqual(req('int32'));
  });

  it('CURRENT_TIMESTAMP on a NOT NULL DATETIME/TIMESTAMP is the epoch; on a nullable one, no default', () => {
    expect(wire('timestamp', '2024-01-01 00:00:00', { defaultExpression: 'current_timestamp()' }).schema).toMatchObject({ default: '1970-01-01T00:00:00Z' });
    // without fraction digits even at TIMESTAMP(3), as Debezium's epoch fallback
    expect(wire('timestamp(3)', '2024-01-01 00:00:00', { defaultExpression: 'current_timestamp(3)' }).schema).toMatchObject({ default: '1970-01-01T00:00:00Z' });
    expect(wire('datetime(3)', '2024-01-01 00:00:00', { defaultExpression: 'CURRENT_TIMESTAMP(3)' }).schema).toMatchObject({ default: 0 });
    expect(wire('timestamp', null, { nullable: true, defaultExpression: 'CURRENT_TIMESTAMP' }).schema).not.toHaveProperty('default');
  });

  it('leaves out types it cannot represent, saying why', () => {
    for (const type of ['geometry', 'point', 'polygon', 'vector(3)', 'frobnicate']) {
      const m = mapColumn({ name: 'g', type, nullable: true, position: 1 });
      expect(m).toHaveProperty('unsupported');
    }
  });

  it('rejects a value that does not fit the type with a DataError', () => {
    expect(() => mapped('datetime').convert('yesterday')).toThrow(DataError);
    expect(() => mapped('int(11)').convert('1.5')).toThrow(DataError);
    expect(() => mapped('time').convert(12)).toThrow(/expected a TIME/);
    expect(() => mapped('decimal(6,2)').convert('1.234')).toThrow(DataError);
  });
});

describe('parseColumnType', () => {
  it('reads COLUMN_TYPE and DDL spellings', () => {
    expect(parseColumnType('int(10) unsigned zerofill')).toEqual({ name: 'INT', length: 10, scale: null, unsigned: true, zerofill: true, options: null });
    expect(parseColumnType('decimal(6,2)')).toMatchObject({ name: 'DECIMAL', length: 6, scale: 2 });
    expect(parseColumnType('DOUBLE PRECISION(10, 3)')).toMatchObject({ name: 'DOUBLE', length: 10, scale: 3 });
    expect(parseColumnType('integer unsigned')).toMatchObject({ name: 'INT', unsigned: true });
    expect(parseColumnType('serial')).toMatchObject({ name: 'BIGINT', unsigned: true });
    expect(parseColumnType('national varchar(20)')).toMatchObject({ name: 'VARCHAR', length: 20 });
    expect(parseColumnType("enum('a','b''c','d\\'e')").options).toEqual(['a', "b'c", "d'e"]);
    expect(parseColumnType('datetime(6)')).toMatchObject({ name: 'DATETIME', length: 6 });
    expect(() => parseColumnType('int(')).toThrow(DataError);
    expect(() => parseColumnType('(5)')).toThrow(DataError);
  });

  it("gives Debezium's column metadata for tableChanges", () => {
    expect(debeziumColumnInfo({ name: 'a', type: 'int(10) unsigned', nullable: false, position: 1 })).toEqual({ jdbcType: 4, typeName: 'INT UNSIGNED', typeExpression: 'INT UNSIGNED', length: 10, scale: null, enumValues: null });
    expect(debeziumColumnInfo({ name: 'a', type: 'decimal(6,2)', nullable: false, position: 1 })).toMatchObject({ jdbcType: 3, typeName: 'DECIMAL', length: 6, scale: 2 });
    expect(debeziumColumnInfo({ name: 'a', type: "enum('a','b')", nullable: false, position: 1 })).toMatchObject({ jdbcType: 1, typeName: 'ENUM', enumValues: ["'a'", "'b'"] });
    expect(debeziumColumnInfo({ name: 'a', type: 'timestamp(3)', nullable: false, position: 1 })).toMatchObject({ jdbcType: 2014, typeName: 'TIMESTAMP', length: 3 });
    expect(debeziumColumnInfo({ name: 'a', type: 'tinyint(1)', nullable: false, position: 1 })).toMatchObject({ jdbcType: 5, typeName: 'TINYINT' });
  });
});
