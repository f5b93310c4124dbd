// InsertField$Key / $Value: adds the record's topic, partition, offset (sink
// records only), timestamp and a static string as fields. A field name ending
// in `!` is required, `?` (or nothing) optional, as in Kafka. Tombstones (a
// null operated-on value) pass through unchanged.

import { defineConfig } from '../config/config-def.js';
import { ConfigError, DataError } from '../errors.js';
import { ConnectTimestamp } from '../data/logical.js';
import type { ConnectRecord } from '../record.js';
import { buildStruct, copySchemaBasics, FieldTransformation, REPLACE_NULL_WITH_DEFAULT, isNullish, Schema, SchemaBuilder, Struct, withOperating } from './util.js';

const spec = defineConfig([
  REPLACE_NULL_WITH_DEFAULT,
  { name: 'topic.field', type: 'string', default: null, importance: 'medium', doc: 'Field name for Kafka topic. Suffix with ! to make this a required field, or ? to keep it optional (the default).' },
  { name: 'partition.field', type: 'string', default: null, importance: 'medium', doc: 'Field name for Kafka partition. Suffix with ! to make this a required field, or ? to keep it optional (the default).' },
  { name: 'offset.field', type: 'string', default: null, importance: 'medium', doc: 'Field name for Kafka offset - only applicable to sink connectors. Suffix with ! to make this a required field, or ? to keep it optional (the default).' },
  { name: 'timestamp.field', type: 'string', default: null, importance: 'medium', doc: 'Field name for record timestamp. Suffix with ! to make this a required field, or ? to keep it optional (the default).' },
  { name: 'static.field', type: 'string', default: null, importance: 'medium', doc: 'Field name for static data field. Suffix with ! to make this a required field, or ? to keep it optional (the default).' },
  { name: 'static.value', type: 'string', default: null, importance: 'medium', doc: 'Static field value, if field name configured.' },
]);

interface InsertionSpec {
  name: string;
  optional: boolean;
}

function insertionSpec(text: string | null): InsertionSpec | null {
  if (text === null || text === '') return null;
  if (text.endsWith('!')) return { name: text.slice(0, -1), optional: false };
  if (text.endsWith('?')) return { name: text.slice(0, -1), optional: true };
  return { name: text, optional: true };
}

export class InsertField extends FieldTransformation {
  protected readonly purpose = 'field insertion';
  #topic: InsertionSpec | null = null;
  #partition: InsertionSpec | null = null;
  #offset: InsertionSpec | null = null;
  #timestamp: InsertionSpec | null = null;
  #static: InsertionSpec | null = null;
  #staticValue: string | null = null;

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = spec.parse(config);
    this.replaceNullWithDefault = c['replace.null.with.default'];
    this.#topic = insertionSpec(c['topic.field']);
    this.#partition = insertionSpec(c['partition.field']);
    this.#offset = insertionSpec(c['offset.field']);
    this.#timestamp = insertionSpec(c['timestamp.field']);
    this.#static = insertionSpec(c['static.field']);
    this.#staticValue = c['static.value'];
    if (this.#static && this.#staticValue === null) {
      throw new ConfigError({ field: 'static.value', message: 'Invalid value null for configuration static.value: No value specified for static field: ' + this.#static.name });
    }
  }

  protected applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R {
    for (const [f, v] of this.#inserts(record)) entries.set(f.name, v instanceof Date ? v.getTime() : v);
    return this.withEntries(record, original, entries);
  }

  protected applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R {
    const updated = this.cache.get(schema, (s) => this.#updatedSchema(s));
    const byName = new Map(this.#inserts(record).map(([f, v]) => [f.name, v]));
    return withOperating(record, this.side, updated, buildStruct(updated, (n) => (byName.has(n) ? byName.get(n) : this.fieldOf(struct, n))));
  }

  #inserts(record: ConnectRecord): Array<[InsertionSpec, unknown]> {
    const out: Array<[InsertionSpec, unknown]> = [];
    if (this.#topic) out.push([this.#topic, record.topic]);
    if (this.#partition) out.push([this.#partition, record.kafkaPartition ?? null]);
    if (this.#offset) {
      const offset = (record as { kafkaOffset?: number }).kafkaOffset;
      if (offset === undefined) throw new DataError(`Offset insertion (offset.field=${this.#offset.name}) is only supported for sink connectors`);
      out.push([this.#offset, offset]);
    }
    if (this.#timestamp) out.push([this.#timestamp, isNullish(record.timestamp) ? null : new Date(record.timestamp)]);
    if (this.#static) out.push([this.#static, this.#staticValue]);
    for (const [f, v] of out) if (!f.optional && v === null) throw new DataError(`Required field "${f.name}" would be null`);
    return out;
  }

  #updatedSchema(schema: Schema): Schema {
    const b = copySchemaBasics(schema, SchemaBuilder.struct());
    for (const f of schema.fields) b.field(f.name, f.schema);
    const add = (s: InsertionSpec | null, base: Schema, optionalBase: Schema) => s && b.field(s.name, s.optional ? optionalBase : base);
    add(this.#topic, Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA);
    add(this.#partition, Schema.INT32_SCHEMA, Schema.OPTIONAL_INT32_SCHEMA);
    add(this.#offset, Schema.INT64_SCHEMA, Schema.OPTIONAL_INT64_SCHEMA);
    add(this.#timestamp, ConnectTimestamp.SCHEMA, OPTIONAL_TIMESTAMP());
    add(this.#static, Schema.STRING_SCHEMA, Schema.OPTIONAL_STRING_SCHEMA);
    return b.build();
  }
}

let optionalTimestamp: Schema | undefined;
const OPTIONAL_TIMESTAMP = (): Schema => (optionalTimestamp ??= ConnectTimestamp.builder().optional().build());
