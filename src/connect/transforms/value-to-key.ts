// ValueToKey: replaces the key with the named fields of the value (a Struct of
// those fields, or a map of them when schemaless). Tombstones pass through.

import { defineConfig } from '../config/config-def.js';
import { DataError } from '../errors.js';
import type { Transformation } from '../plugin.js';
import type { ConnectRecord } from '../record.js';
import { buildStruct, isNullish, nonEmptyList, requireMap, requireStruct, Schema, SchemaBuilder, SchemaCache } from './util.js';

const spec = defineConfig([{ name: 'fields', type: 'list', required: true, validator: nonEmptyList, importance: 'high', doc: 'Field names on the record value to extract as the record key.' }]);

export class ValueToKey implements Transformation {
  #fields: string[] = [];
  readonly #cache = new SchemaCache();

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    this.#fields = spec.parse(config).fields;
  }

  apply<R extends ConnectRecord>(record: R): R {
    if (isNullish(record.value)) return record;
    const schema: Schema | null = record.valueSchema ?? null;
    if (!schema) {
      const map = requireMap(record.value, 'copying fields from value to key');
      const key: Record<string, unknown> = {};
      for (const f of this.#fields) key[f] = map.get(f) ?? null;
      return { ...record, keySchema: null, key };
    }
    const struct = requireStruct(record.value, 'copying fields from value to key');
    const keySchema = this.#cache.get(schema, (s) => {
      const b = SchemaBuilder.struct();
      for (const f of this.#fields) {
        const field = s.field(f);
        if (!field) throw new DataError(`Field does not exist: ${f}`);
        b.field(f, field.schema);
      }
      return b.build();
    });
    return { ...record, keySchema, key: buildStruct(keySchema, (n) => struct.get(n)) };
  }
}
