import { describe, expect, it } from 'vitest';
import { Schema, SchemaBuilder, Struct } from '../../src/connect/data/index.js';
import { defineConfig } from '../../src/connect/config/config-def.js';
import { ConfigError, DataError, isRetriable } from '../../src/connect/errors.js';
import { sinkRecord, type ConnectRecord, type SinkRecord } from '../../src/connect/record.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { TransformChain, TransformError, validateTransforms } from '../../src/connect/transforms/index.js';
import { parseLiteral } from '../../src/connect/transforms/headers.js';
import { registry } from '../helpers/transforms.js';

const record = (init: Partial<SinkRecord> = {}): SinkRecord => sinkRecord({ topic: 'orders', kafkaPartition: 0, kafkaOffset: 9, timestampType: 'CREATE_TIME', timestamp: Date.UTC(2025, 0, 2), key: 'k', value: { id: 1, secret: 's' }, ...init });

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('registerTransforms', () => {
  it('registers Kafka class names with $Key/$Value variants, Debezium, and the predicates, also by simple name', () => {
    const classes = registry.listPlugins({ connectorsOnly: false }).map((p) => p.class);
    expect(classes).toContain('org.apache.kafka.connect.transforms.InsertField$Key');
    expect(classes).toContain('org.apache.kafka.connect.transforms.SetSchemaMetadata$Value');
    expect(classes).toContain('org.apache.kafka.connect.transforms.predicates.RecordIsTombstone');
    expect(classes).toContain('io.debezium.transforms.ExtractNewRecordState');
    expect(classes.filter((c) => c.includes('.transforms.')).length).toBe(10 * 2 + 6 + 1 + 3);
    expect(registry.resolveTransform('ReplaceField$Value', 'x').class).toBe('org.apache.kafka.connect.transforms.ReplaceField$Value');
    expect(registry.resolvePredicate('TopicNameMatches', 'x').class).toBe('org.apache.kafka.connect.transforms.predicates.TopicNameMatches');
  });
});

describe('TransformChain', () => {
  it('applies transforms in order with their own keys, prefix stripped', () => {
    const chain = TransformChain.fromConfig(
      {
        'connector.class': 'X',
        transforms: 'mask, route,stamp',
        'transforms.mask.type': 'org.apache.kafka.connect.transforms.MaskField$Value',
        'transforms.mask.fields': 'secret',
        'transforms.route.type': 'RegexRouter',
        'transforms.route.regex': 'orders',
        'transforms.route.replacement': 'orders_v2',
        'transforms.stamp.type': 'TimestampRouter',
        'transforms.stamp.timestamp.format': 'YYYYMM',
      },
      registry,
    );
    expect(chain.aliases).toEqual(['mask', 'route', 'stamp']);
    const out = chain.apply(record())!;
    expect([out.topic, out.value, out.kafkaOffset]).toEqual(['orders_v2-202501', { id: 1, secret: '' }, 9]);
    chain.close();
  });

  it('runs a transform only where its predicate holds (or fails, with negate); Filter drops', () => {
    const chain = TransformChain.fromConfig(
      {
        transforms: 'dropTombstones,onlyOrders',
        'transforms.dropTombstones.type': 'Filter',
        'transforms.dropTombstones.predicate': 'isTombstone',
        'transforms.onlyOrders.type': 'Filter',
        'transforms.onlyOrders.predicate': 'isOrders',
        'transforms.onlyOrders.negate': 'true',
        predicates: 'isTombstone,isOrders',
        'predicates.isTombstone.type': 'org.apache.kafka.connect.transforms.predicates.RecordIsTombstone',
        'predicates.isOrders.type': 'TopicNameMatches',
        'predicates.isOrders.pattern': 'orders.*',
      },
      registry,
    );
    expect(chain.apply(record({ value: null }))).toBeNull();
    expect(chain.apply(record({ topic: 'payments' }))).toBeNull();
    expect(chain.apply(record({ topic: 'orders-eu' }))!.topic).toBe('orders-eu');
  });

  it('a transform that throws is a TransformError with the stage, class and cause the DLQ headers need', () => {
    const chain = TransformChain.fromConfig({ transforms: 'route', 'transforms.route.type': 'TimestampRouter' }, registry);
    let err: unknown;
    try {
      chain.apply(record({ timestamp: null }));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TransformError);
    const te = err as TransformError;
    expect([te.stage, te.alias, te.className, te.code, isRetriable(te)]).toEqual(['TRANSFORMATION', 'route', 'org.apache.kafka.connect.transforms.TimestampRouter', 'DATA_INVALID', false]);
    expect(te.cause).toBeInstanceOf(DataError);
    expect(te.message).toMatch(/^Transform route \(org.apache.kafka.connect.transforms.TimestampRouter\) failed: Timestamp missing/);
  });

  it('an empty config is a chain that returns the record itself', () => {
    const r = record();
    expect(TransformChain.fromConfig({}, registry).apply(r)).toBe(r);
  });

  it('names the exact key of every problem at once', () => {
    const err = configError(() =>
      TransformChain.fromConfig(
        {
          transforms: 'a,b,c,d,e',
          'transforms.a.type': 'com.acme.Nope',
          'transforms.b.type': 'RegexRouter',
          'transforms.b.regex': '(',
          'transforms.b.replacement': 'x',
          'transforms.c.type': 'Filter',
          'transforms.c.predicate': 'undeclared',
          'transforms.d.type': 'Filter',
          'transforms.d.predicate': 'p',
          'transforms.d.negate': 'maybe',
          'transforms.e.type': 'Cast$Value',
          predicates: 'p,q',
          'predicates.p.type': 'HasHeaderKey',
        },
        registry,
      ),
    );
    expect(err.fields).toEqual(['predicates.p.name', 'predicates.q.type', 'transforms.a.type', 'transforms.b.regex', 'transforms.c.predicate', 'transforms.d.negate', 'transforms.e.spec']);
    expect(err.messages['transforms.b.regex']![0]).toMatch(/^Invalid value \( for configuration transforms\.b\.regex: Invalid regex/);
    expect(err.messages['transforms.e.spec']![0]).toBe('Missing required configuration "transforms.e.spec" which has no default value.');
    expect(err.messages['transforms.a.type']![0]).toMatch(/Failed to find any class that implements Transformation and which name matches com.acme.Nope/);
  });

  it('a plugin whose configure() throws a plain Error is still a config issue (a 400), on its type key', () => {
    const own = createPluginRegistry();
    const broken = {
      config: () => defineConfig([]),
      configure: () => {
        throw new Error('boom');
      },
      apply: (r: ConnectRecord) => r,
    };
    own.registerTransform({ class: 'com.acme.Broken', version: '1', create: () => broken });
    expect(validateTransforms({ transforms: 'b', 'transforms.b.type': 'com.acme.Broken' }, own)).toEqual([{ field: 'transforms.b.type', message: 'Invalid configuration transforms.b.*: boom' }]);
  });

  it('validateTransforms returns the same issues without throwing, and none for a good config', () => {
    expect(validateTransforms({ transforms: 'x' }, registry)).toEqual([{ field: 'transforms.x.type', message: 'Missing required configuration "transforms.x.type" which has no default value.' }]);
    expect(validateTransforms({ transforms: 'x', 'transforms.x.type': 'Flatten$Value' }, registry)).toEqual([]);
  });
});

describe('header transforms and HasHeaderKey', () => {
  const schema = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('tenant', Schema.STRING_SCHEMA).build();
  const chainOf = (config: Record<string, string>) => TransformChain.fromConfig(config, registry);

  it('InsertHeader adds, DropHeaders removes every header of a name', () => {
    const chain = chainOf({ transforms: 'ins,drop', 'transforms.ins.type': 'InsertHeader', 'transforms.ins.header': 'source', 'transforms.ins.value.literal': 'slipway', 'transforms.drop.type': 'DropHeaders', 'transforms.drop.headers': 'trace' });
    const out = chain.apply(record({ headers: [{ key: 'trace', value: 1 }, { key: 'keep', value: 2 }, { key: 'trace', value: 3 }] }))!;
    expect(out.headers.map((h) => [h.key, h.value])).toEqual([['keep', 2], ['source', 'slipway']]);
  });

  it('InsertHeader types its literal as Kafka does', () => {
    expect([parseLiteral('true'), parseLiteral('42'), parseLiteral('70000'), parseLiteral('9007199254740993'), parseLiteral('1.5'), parseLiteral(' eu-west ')].map((l) => [l.schema.type, l.value])).toEqual([
      ['boolean', true],
      ['int8', 42],
      ['int32', 70000],
      ['int64', 9007199254740993n],
      ['float64', 1.5],
      ['string', ' eu-west '],
    ]);
  });

  it('HeaderFrom copies or moves fields into headers with their schemas', () => {
    const value = Struct.from(schema, { id: 1, tenant: 'acme' });
    const moved = chainOf({ transforms: 'h', 'transforms.h.type': 'HeaderFrom$Value', 'transforms.h.fields': 'tenant', 'transforms.h.headers': 'x-tenant', 'transforms.h.operation': 'move' }).apply(record({ valueSchema: schema, value }))!;
    expect(moved.headers).toEqual([{ key: 'x-tenant', schema: Schema.STRING_SCHEMA, value: 'acme' }]);
    expect((moved.value as Struct).toJSON()).toEqual({ id: 1 });
    const copied = chainOf({ transforms: 'h', 'transforms.h.type': 'HeaderFrom$Value', 'transforms.h.fields': 'secret', 'transforms.h.headers': 's', 'transforms.h.operation': 'copy' }).apply(record())!;
    expect([copied.headers[0]!.value, copied.value]).toEqual(['s', { id: 1, secret: 's' }]);
    expect(configError(() => chainOf({ transforms: 'h', 'transforms.h.type': 'HeaderFrom$Value', 'transforms.h.fields': 'a,b', 'transforms.h.headers': 'a', 'transforms.h.operation': 'copy' })).fields).toEqual(['transforms.h.headers']);
  });

  it('HasHeaderKey selects records that carry a header', () => {
    const chain = chainOf({ transforms: 'f', 'transforms.f.type': 'Filter', 'transforms.f.predicate': 'h', predicates: 'h', 'predicates.h.type': 'HasHeaderKey', 'predicates.h.name': 'skip' });
    expect(chain.apply(record({ headers: [{ key: 'skip', value: null }] }))).toBeNull();
    const r: ConnectRecord = record();
    expect(chain.apply(r)).toBe(r);
  });
});
