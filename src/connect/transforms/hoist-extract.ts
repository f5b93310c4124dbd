// HoistField$Key / $Value wraps the key or value in a Struct (or map) with one
// field; ExtractField$Key / $Value replaces it with one of its fields. Both as
// Kafka's: a null struct or map extracts to null.

import { defineConfig, nonEmptyString } from '../config/config-def.js';
import { DataError } from '../errors.js';
import type { Transformation } from '../plugin.js';
import type { ConnectRecord } from '../record.js';
import { buildStruct, isNullish, REPLACE_NULL_WITH_DEFAULT, operatingSchema, operatingValue, requireMap, requireStruct, Schema, SchemaBuilder, SchemaCache, withOperating, type Side } from './util.js';

const hoistSpec = defineConfig([{ name: 'field', type: 'string', required: true, validator: nonEmptyString, importance: 'medium', doc: 'Field name for the single field that will be created in the resulting Struct or Map.' }]);
const extractSpec = defineConfig([{ name: 'field', type: 'string', required: true, validator: nonEmptyString, importance: 'medium', doc: 'Field name to extract.' }, REPLACE_NULL_WITH_DEFAULT]);

export class HoistField implements Transformation {
  #field = '';
  readonly #cache = new SchemaCache();

  constructor(readonly side: Side) {}

  config() {
    return hoistSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    this.#field = hoistSpec.parse(config).field;
  }

  apply<R extends ConnectRecord>(record: R): R {
    const value = operatingValue(record, this.side);
    const schema = operatingSchema(record, this.side);
    if (!schema) return withOperating(record, this.side, null, { [this.#field]: value ?? null });
    const updated = this.#cache.get(schema, (s) => SchemaBuilder.struct().field(this.#field, s).build());
    return withOperating(record, this.side, updated, buildStruct(updated, () => value ?? null));
  }
}

export class ExtractField implements Transformation {
  #field = '';
  #replaceNullWithDefault = true;

  constructor(readonly side: Side) {}

  config() {
    return extractSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = extractSpec.parse(config);
    this.#field = c.field;
    this.#replaceNullWithDefault = c['replace.null.with.default'];
  }

  apply<R extends ConnectRecord>(record: R): R {
    const value = operatingValue(record, this.side);
    const schema: Schema | null = operatingSchema(record, this.side);
    if (!schema) {
      if (isNullish(value)) return withOperating(record, this.side, null, null);
      return withOperating(record, this.side, null, requireMap(value, 'field extraction').get(this.#field) ?? null);
    }
    if (schema.type !== 'struct') throw new DataError(`Only Struct objects supported for [field extraction], found: ${schema.type}`);
    const field = schema.field(this.#field);
    if (!field) throw new DataError(`Unknown field: ${this.#field}`);
    if (isNullish(value)) return withOperating(record, this.side, field.schema, null);
    return withOperating(record, this.side, field.schema, this.#replaceNullWithDefault ? requireStruct(value, 'field extraction').get(this.#field) : requireStruct(value, 'field extraction').getWithoutDefault(this.#field));
  }
}
