// SetSchemaMetadata$Key / $Value: sets the schema's name and/or version. A
// Struct value is rebuilt on the new schema (a Struct's schema must be its
// field's), as Kafka's updateSchemaIn. Schemaless records are refused.

import { defineConfig, range } from '../config/config-def.js';
import { ConfigError } from '../errors.js';
import type { Transformation } from '../plugin.js';
import type { ConnectRecord } from '../record.js';
import { operatingSchema, operatingValue, requireSchema, SchemaBuilder, SchemaCache, Struct, withOperating, type Side } from './util.js';

const spec = defineConfig([
  { name: 'schema.name', type: 'string', default: null, importance: 'high', doc: 'Schema name to set.' },
  { name: 'schema.version', type: 'int', default: null, validator: range(0), importance: 'high', doc: 'Schema version to set.' },
]);

export class SetSchemaMetadata implements Transformation {
  #name: string | null = null;
  #version: number | null = null;
  readonly #cache = new SchemaCache();

  constructor(readonly side: Side) {}

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = spec.parse(config);
    if (c['schema.name'] === null && c['schema.version'] === null) throw new ConfigError({ field: 'schema.name', message: 'Invalid value null for configuration schema.name: Neither schema name nor version configured' });
    this.#name = c['schema.name'];
    this.#version = c['schema.version'];
  }

  apply<R extends ConnectRecord>(record: R): R {
    const schema = requireSchema(operatingSchema(record, this.side), 'updating schema metadata');
    const updated = this.#cache.get(schema, (s) => {
      const b = SchemaBuilder.from(s);
      if (this.#name !== null) b.name(this.#name);
      if (this.#version !== null) b.version(this.#version);
      return b.build();
    });
    const value = operatingValue(record, this.side);
    const rebuilt = value instanceof Struct && updated.type === 'struct' ? Struct.unchecked(updated, schema.fields.map((f) => value.getWithoutDefault(f.name))) : value;
    return withOperating(record, this.side, updated, rebuilt);
  }
}

