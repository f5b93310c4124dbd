// Flatten$Key / $Value: nested structs (or maps, schemaless) become top-level
// fields named by their path joined with `delimiter`. Arrays are kept as they
// are. A field under an optional struct becomes optional, since the struct may
// be null. Tombstones pass through.

import { defineConfig } from '../config/config-def.js';
import type { ConnectRecord } from '../record.js';
import { asOptional, copySchemaBasics, FieldTransformation, requireMap, Schema, SchemaBuilder, Struct, withOperating } from './util.js';
import { isPlainObject } from '../data/values.js';

const spec = defineConfig([{ name: 'delimiter', type: 'string', default: '.', importance: 'medium', doc: 'Delimiter to insert between field names from the input record when generating field names for the output record' }]);

export class Flatten extends FieldTransformation {
  protected readonly purpose = 'flattening';
  #delimiter = '.';

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    // A delimiter is used as written (the config layer trims, and `_ ` is a valid choice).
    this.#delimiter = config.delimiter ?? spec.parse(config).delimiter;
  }

  #name(prefix: string, name: string): string {
    return prefix === '' ? name : prefix + this.#delimiter + name;
  }

  #flattenMap(value: unknown, prefix: string, out: Map<string, unknown>): void {
    for (const [k, v] of requireMap(value, 'flattening')) {
      if (v instanceof Map || isPlainObject(v)) this.#flattenMap(v, this.#name(prefix, k), out);
      else out.set(this.#name(prefix, k), v);
    }
  }

  #flattenSchema(schema: Schema, prefix: string, optional: boolean, b: SchemaBuilder): void {
    for (const f of schema.fields) {
      const name = this.#name(prefix, f.name);
      if (f.schema.type === 'struct') this.#flattenSchema(f.schema, name, optional || f.schema.optional, b);
      else b.field(name, optional ? asOptional(f.schema) : f.schema);
    }
  }

  #flattenStruct(struct: Struct | null, schema: Schema, prefix: string, out: Map<string, unknown>): void {
    for (const f of schema.fields) {
      const name = this.#name(prefix, f.name);
      const v = struct ? struct.get(f.name) : null;
      if (f.schema.type === 'struct') this.#flattenStruct((v as Struct | null) ?? null, f.schema, name, out);
      else out.set(name, v ?? null);
    }
  }

  protected applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R {
    const out = new Map<string, unknown>();
    this.#flattenMap(entries, '', out);
    return this.withEntries(record, original, out);
  }

  protected applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R {
    const updated = this.cache.get(schema, (s) => {
      const b = copySchemaBasics(s, SchemaBuilder.struct());
      this.#flattenSchema(s, '', false, b);
      return b.build();
    });
    const out = new Map<string, unknown>();
    this.#flattenStruct(struct, schema, '', out);
    return withOperating(record, this.side, updated, Struct.unchecked(updated, updated.fields.map((f) => out.get(f.name) ?? null)));
  }
}
