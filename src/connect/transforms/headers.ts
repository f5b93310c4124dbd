// The header transforms. InsertHeader adds `header` with `value.literal`,
// typed as Kafka's Values.parseString types a literal: true/false boolean,
// an integer the smallest of int8…int64 that holds it, other numbers float64,
// anything else a string. DropHeaders removes every header named in
// `headers`. HeaderFrom$Key / $Value copies (or moves) `fields` of the key or
// value into the `headers` at the same positions, with the field's schema.

import { defineConfig, nonEmptyString, oneOf } from '../config/config-def.js';
import { ConfigError, DataError } from '../errors.js';
import type { Transformation } from '../plugin.js';
import type { ConnectRecord, Header } from '../record.js';
import { buildStruct, copySchemaBasics, FieldTransformation, REPLACE_NULL_WITH_DEFAULT, nonEmptyList, Schema, SchemaBuilder, Struct, withOperating } from './util.js';

const insertSpec = defineConfig([
  { name: 'header', type: 'string', required: true, validator: nonEmptyString, importance: 'high', doc: 'The name of the header.' },
  { name: 'value.literal', type: 'string', required: true, importance: 'high', doc: 'The literal value that is to be set as the header value on all records.' },
]);

export class InsertHeader implements Transformation {
  #header: Header = { key: '', value: null };

  config() {
    return insertSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = insertSpec.parse(config);
    // The literal as written (the config layer trims), typed.
    this.#header = { key: c.header, ...parseLiteral(config['value.literal'] ?? c['value.literal']) };
  }

  apply<R extends ConnectRecord>(record: R): R {
    return { ...record, headers: [...record.headers, this.#header] };
  }
}

/** A header literal with its inferred schema (a subset of Kafka's Values.parseString: no arrays, maps or dates). */
export function parseLiteral(text: string): { schema: Schema; value: unknown } {
  const t = text.trim();
  if (t === 'true' || t === 'false') return { schema: Schema.BOOLEAN_SCHEMA, value: t === 'true' };
  if (/^[+-]?\d+$/.test(t)) {
    const n = BigInt(t);
    if (n >= -128n && n <= 127n) return { schema: Schema.INT8_SCHEMA, value: Number(n) };
    if (n >= -32768n && n <= 32767n) return { schema: Schema.INT16_SCHEMA, value: Number(n) };
    if (n >= -2147483648n && n <= 2147483647n) return { schema: Schema.INT32_SCHEMA, value: Number(n) };
    if (n >= -(2n ** 63n) && n < 2n ** 63n) return { schema: Schema.INT64_SCHEMA, value: Number.isSafeInteger(Number(n)) ? Number(n) : n };
  }
  if (/^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$/.test(t)) return { schema: Schema.FLOAT64_SCHEMA, value: Number(t) };
  return { schema: Schema.STRING_SCHEMA, value: text };
}

const dropSpec = defineConfig([{ name: 'headers', type: 'list', required: true, validator: nonEmptyList, importance: 'high', doc: 'The name of the headers to be removed.' }]);

export class DropHeaders implements Transformation {
  #names = new Set<string>();

  config() {
    return dropSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    this.#names = new Set(dropSpec.parse(config).headers);
  }

  apply<R extends ConnectRecord>(record: R): R {
    if (!record.headers.some((h) => this.#names.has(h.key))) return record;
    return { ...record, headers: record.headers.filter((h) => !this.#names.has(h.key)) };
  }
}

const fromSpec = defineConfig([
  REPLACE_NULL_WITH_DEFAULT,
  { name: 'fields', type: 'list', required: true, validator: nonEmptyList, importance: 'high', doc: 'Field names in the record whose values are to be copied or moved to headers.' },
  { name: 'headers', type: 'list', required: true, validator: nonEmptyList, importance: 'high', doc: 'Header names, in the same order as the field names listed in the fields configuration property.' },
  { name: 'operation', type: 'string', required: true, validator: oneOf(['move', 'copy']), importance: 'high', doc: 'Either move if the fields are to be moved to the headers (removed from the key/value), or copy if the fields are to be copied to the headers (retained in the key/value).' },
]);

export class HeaderFrom extends FieldTransformation {
  protected readonly purpose = 'header copy or move';
  #fields: string[] = [];
  #headers: string[] = [];
  #move = false;

  config() {
    return fromSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = fromSpec.parse(config);
    this.replaceNullWithDefault = c['replace.null.with.default'];
    if (c.fields.length !== c.headers.length) throw new ConfigError({ field: 'headers', message: `Invalid value ${c.headers.join(',')} for configuration headers: 'fields' config must have the same number of elements as 'headers' config.` });
    this.#fields = c.fields;
    this.#headers = c.headers;
    this.#move = c.operation === 'move';
  }

  protected applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R {
    const added: Header[] = this.#fields.map((f, i) => ({ key: this.#headers[i]!, schema: null, value: entries.get(f) ?? null }));
    if (!this.#move) return { ...record, headers: [...record.headers, ...added] };
    for (const f of this.#fields) entries.delete(f);
    return { ...this.withEntries(record, original, entries), headers: [...record.headers, ...added] };
  }

  protected applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R {
    const added: Header[] = this.#fields.map((f, i) => {
      const field = schema.field(f);
      if (!field) throw new DataError(`Unknown field: ${f}`);
      return { key: this.#headers[i]!, schema: field.schema, value: this.fieldOf(struct, f) };
    });
    if (!this.#move) return { ...record, headers: [...record.headers, ...added] };
    const moved = new Set(this.#fields);
    const updated = this.cache.get(schema, (s) => {
      const b = copySchemaBasics(s, SchemaBuilder.struct());
      for (const f of s.fields) if (!moved.has(f.name)) b.field(f.name, f.schema);
      return b.build();
    });
    return { ...withOperating(record, this.side, updated, buildStruct(updated, (n) => this.fieldOf(struct, n))), headers: [...record.headers, ...added] };
  }
}
