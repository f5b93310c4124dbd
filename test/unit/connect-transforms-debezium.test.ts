// ExtractNewRecordState on change events made by the MySQL CDC connector's own
// envelope code, so the transform reads exactly what the source writes.
import { describe, expect, it } from 'vitest';
import { Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import type { Transformation } from '../../src/connect/plugin.js';
import { sinkRecord, sourceRecord, type ConnectRecord } from '../../src/connect/record.js';
import { JsonConverter } from '../../src/connect/converters/json.js';
import { TransformChain } from '../../src/connect/transforms/index.js';
import { envelopeSchema, makeEnvelope, makeHeartbeatValue, HEARTBEAT_VALUE_SCHEMA, makeSource, type Op } from '../../src/connectors/mysql-cdc/envelope.js';
import { registry, transform } from '../helpers/transforms.js';

const unwrap = (config: Record<string, string> = {}): Transformation => transform('io.debezium.transforms.ExtractNewRecordState', config, 'transforms.unwrap.type');

const rowSchema = SchemaBuilder.struct().name('shop.inventory.customers.Value').field('id', Schema.INT32_SCHEMA).field('email', Schema.OPTIONAL_STRING_SCHEMA).field('region', Schema.OPTIONAL_STRING_SCHEMA).optional().build();
const keySchema = SchemaBuilder.struct().name('shop.inventory.customers.Key').field('id', Schema.INT32_SCHEMA).build();
const envSchema = envelopeSchema(rowSchema, 'mysql');
const source = makeSource('mysql', { version: '3.0.0', name: 'shop', tsMs: 1_700_000_000_000, db: 'inventory', table: 'customers', serverId: 1, file: 'binlog.000003', pos: 154, row: 0 });
const customer = (id: number, email: string, region = 'eu') => Struct.from(rowSchema, { id, email, region });

function event(op: Op, before: Struct | null, after: Struct | null): ConnectRecord {
  const id = ((after ?? before)!.get('id') as number) ?? 0;
  return sourceRecord({ topic: 'shop.inventory.customers', keySchema, key: Struct.from(keySchema, { id }), valueSchema: envSchema, value: makeEnvelope(envSchema, op, before, after, source, 1_700_000_000_500), sourcePartition: { server: 'shop' }, sourceOffset: {} });
}
const tombstone = (): ConnectRecord => sourceRecord({ topic: 'shop.inventory.customers', keySchema, key: Struct.from(keySchema, { id: 1 }), value: null, sourcePartition: { server: 'shop' }, sourceOffset: {} });

const create = () => event('c', null, customer(1, 'a@x.io'));
const update = () => event('u', customer(1, 'a@x.io'), customer(1, 'b@x.io'));
const del = () => event('d', customer(1, 'b@x.io'), null);

describe('ExtractNewRecordState', () => {
  it('replaces the envelope with the after row and its schema', () => {
    const out = unwrap().apply(update())!;
    expect(out.valueSchema).toBe(rowSchema);
    expect((out.value as Struct).toJSON()).toEqual({ id: 1, email: 'b@x.io', region: 'eu' });
    expect(out.key).toEqual(update().key);
  });

  it('by default (tombstone) a delete becomes a tombstone and tombstones are kept', () => {
    const t = unwrap();
    const out = t.apply(del())!;
    expect(out.value).toBeNull();
    expect((out.key as Struct).get('id')).toBe(1);
    expect(t.apply(tombstone())).not.toBeNull();
  });

  it('handles deletes and tombstones per delete.tombstone.handling.mode', () => {
    const outcome = (mode: string) => {
      const t = unwrap({ 'delete.tombstone.handling.mode': mode });
      const d = t.apply(del());
      return [d === null ? 'dropped' : d.value === null ? 'tombstone' : 'rewritten', t.apply(tombstone()) === null ? 'dropped' : 'kept'];
    };
    expect(outcome('drop')).toEqual(['dropped', 'dropped']);
    expect(outcome('tombstone')).toEqual(['tombstone', 'kept']);
    expect(outcome('rewrite')).toEqual(['rewritten', 'dropped']);
    expect(outcome('rewrite-with-tombstone')).toEqual(['rewritten', 'kept']);
    expect(outcome('delete-to-tombstone')).toEqual(['tombstone', 'dropped']);
  });

  it('rewrite: a delete is its before row with __deleted=true, every other row has __deleted=false', () => {
    const t = unwrap({ 'delete.tombstone.handling.mode': 'rewrite' });
    const d = t.apply(del())!;
    expect((d.value as Struct).toJSON()).toEqual({ id: 1, email: 'b@x.io', region: 'eu', __deleted: 'true' });
    expect(d.valueSchema!.name).toBe('shop.inventory.customers.Value');
    expect((t.apply(create())!.value as Struct).get('__deleted')).toBe('false');
    (d.value as Struct).validate();
  });

  it('honours the older drop.tombstones and delete.handling.mode (defaults true and drop)', () => {
    expect(unwrap({ 'drop.tombstones': 'false' }).apply(del())).toBeNull();
    expect(unwrap({ 'drop.tombstones': 'false' }).apply(tombstone())).not.toBeNull();
    expect(unwrap({ 'delete.handling.mode': 'none' }).apply(tombstone())).toBeNull();
    expect(unwrap({ 'delete.handling.mode': 'none' }).apply(del())!.value).toBeNull();
    expect((unwrap({ 'delete.handling.mode': 'rewrite' }).apply(del())!.value as Struct).get('__deleted')).toBe('true');
  });

  it('add.fields adds envelope and source fields with the __ prefix; add.headers adds headers', () => {
    const out = unwrap({ 'add.fields': 'op,table,source.ts_ms,ts_ms', 'add.headers': 'db,op' }).apply(create())!;
    const v = out.value as Struct;
    expect([v.get('__op'), v.get('__table'), v.get('__source_ts_ms'), v.get('__ts_ms')]).toEqual(['c', 'customers', 1_700_000_000_000, 1_700_000_000_500]);
    expect(out.valueSchema!.field('__op')!.schema.type).toBe('string');
    v.validate();
    expect(out.headers.map((h) => [h.key, h.value])).toEqual([['__db', 'inventory'], ['__op', 'c']]);
    expect(unwrap({ 'add.fields': 'op', 'add.fields.prefix': 'cdc_' }).apply(create())!.valueSchema!.field('cdc_op')).toBeDefined();
  });

  it('route.by.field routes by a row field (before for deletes)', () => {
    const t = unwrap({ 'route.by.field': 'region', 'delete.tombstone.handling.mode': 'rewrite' });
    expect(t.apply(create())!.topic).toBe('eu');
    expect(t.apply(del())!.topic).toBe('eu');
  });

  it('works on schemaless envelopes and passes records that are not change events', () => {
    const schemaless = sourceRecord({ topic: 't', key: { id: 1 }, value: { before: null, after: { id: 1, email: 'a' }, source: { table: 'customers' }, op: 'c', ts_ms: 5 }, sourcePartition: {}, sourceOffset: {} });
    expect(unwrap({ 'add.fields': 'op,table' }).apply(schemaless)!.value).toEqual({ id: 1, email: 'a', __op: 'c', __table: 'customers' });
    const heartbeat = sourceRecord({ topic: '__debezium-heartbeat.shop', key: null, valueSchema: HEARTBEAT_VALUE_SCHEMA, value: makeHeartbeatValue(1), sourcePartition: {}, sourceOffset: {} });
    expect(unwrap().apply(heartbeat)).toBe(heartbeat);
  });

  it('drops truncate events, which have no row', () => {
    const truncate = sourceRecord({ topic: 'shop.inventory.customers', key: null, valueSchema: envSchema, value: makeEnvelope(envSchema, 't', null, null, source, 1), sourcePartition: {}, sourceOffset: {} });
    expect(unwrap().apply(truncate)).toBeNull();
  });

  it('an unknown mode is a ConfigError naming the key', () => {
    expect(() => unwrap({ 'delete.tombstone.handling.mode': 'keep' })).toThrow(/configuration delete.tombstone.handling.mode/);
  });
});

describe('the sink pipeline of issue 5: JSON from the topic → unwrap, ReplaceField renames, TimestampRouter', () => {
  const chainConfig = {
    transforms: 'unwrap,rename,route',
    'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
    'transforms.unwrap.delete.tombstone.handling.mode': 'rewrite',
    'transforms.rename.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
    'transforms.rename.renames': 'email:contact_email',
    'transforms.rename.exclude': 'region',
    'transforms.route.type': 'org.apache.kafka.connect.transforms.TimestampRouter',
    'transforms.route.topic.format': '${topic}_${timestamp}',
    'transforms.route.timestamp.format': 'YYYYMM',
  };

  function throughJson(schemasEnable: boolean, r: ConnectRecord) {
    const json = new JsonConverter();
    json.configure({ 'schemas.enable': String(schemasEnable) }, false);
    const decoded = json.toConnectData(r.topic, json.fromConnectData(r.topic, r.valueSchema, r.value));
    return sinkRecord({ topic: r.topic, kafkaPartition: 0, kafkaOffset: 3, timestampType: 'CREATE_TIME', timestamp: Date.UTC(2025, 5, 1), key: null, valueSchema: decoded.schema, value: decoded.value });
  }

  it('with schemas: a Struct row with the renamed field, __deleted, and the monthly topic', () => {
    const chain = TransformChain.fromConfig(chainConfig, registry);
    const out = chain.apply(throughJson(true, update()))!;
    expect(out.topic).toBe('shop.inventory.customers_202506');
    expect(out.valueSchema!.fields.map((f) => f.name)).toEqual(['id', 'contact_email', '__deleted']);
    expect((out.value as Struct).toJSON()).toEqual({ id: 1, contact_email: 'b@x.io', __deleted: 'false' });
    expect((chain.apply(throughJson(true, del()))!.value as Struct).get('__deleted')).toBe('true');
  });

  it('without schemas: the same row as a map', () => {
    const out = TransformChain.fromConfig(chainConfig, registry).apply(throughJson(false, del()))!;
    const value = out.value instanceof Map ? Object.fromEntries(out.value) : out.value;
    expect([out.topic, value]).toEqual(['shop.inventory.customers_202506', { id: 1, contact_email: 'b@x.io', __deleted: 'true' }]);
  });
});
