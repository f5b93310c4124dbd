// ReplaceField$Key / $Value: keeps (`include`), drops (`exclude`) and renames
// (`renames`, `old:new,…`) fields. Kafka's older names `whitelist` and
// `blacklist` are still accepted for include and exclude (the current name
// wins when both are given). A field both included and excluded is dropped. Tombstones pass through.

import { defineConfig, validator } from '../config/config-def.js';
import type { ConnectRecord } from '../record.js';
import { buildStruct, copySchemaBasics, FieldTransformation, REPLACE_NULL_WITH_DEFAULT, parseRenames, Schema, SchemaBuilder, Struct, withOperating } from './util.js';

const renamesValidator = validator('list of colon-delimited pairs, e.g. foo:bar,abc:xyz', (v) => {
  const parsed = parseRenames(v as string[]);
  return typeof parsed === 'string' ? parsed : undefined;
});

const spec = defineConfig([
  REPLACE_NULL_WITH_DEFAULT,
  { name: 'exclude', type: 'list', default: [], importance: 'medium', doc: 'Fields to exclude. This takes precedence over the fields to include.' },
  { name: 'include', type: 'list', default: [], importance: 'medium', doc: 'Fields to include. If specified, only these fields will be used.' },
  { name: 'renames', type: 'list', default: [], validator: renamesValidator, importance: 'medium', doc: 'Field rename mappings.' },
  { name: 'blacklist', type: 'list', default: null, importance: 'low', doc: 'Deprecated. Use exclude instead.' },
  { name: 'whitelist', type: 'list', default: null, importance: 'low', doc: 'Deprecated. Use include instead.' },
]);

export class ReplaceField extends FieldTransformation {
  protected readonly purpose = 'field replacement';
  #exclude = new Set<string>();
  #include = new Set<string>();
  #renames = new Map<string, string>();
  #reverse = new Map<string, string>();

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = spec.parse(config);
    this.replaceNullWithDefault = c['replace.null.with.default'];
    // As Kafka's translateDeprecatedConfigs: the current name wins when both are given.
    this.#exclude = new Set(config.exclude === undefined && c.blacklist !== null ? c.blacklist : c.exclude);
    this.#include = new Set(config.include === undefined && c.whitelist !== null ? c.whitelist : c.include);
    this.#renames = parseRenames(c.renames) as Map<string, string>;
    this.#reverse = new Map([...this.#renames].map(([a, b]) => [b, a]));
  }

  #filter(name: string): boolean {
    return !this.#exclude.has(name) && (this.#include.size === 0 || this.#include.has(name));
  }

  #renamed(name: string): string {
    return this.#renames.get(name) ?? name;
  }

  protected applySchemaless<R extends ConnectRecord>(record: R, entries: Map<string, unknown>, original: unknown): R {
    const out = new Map<string, unknown>();
    for (const [k, v] of entries) if (this.#filter(k)) out.set(this.#renamed(k), v);
    return this.withEntries(record, original, out);
  }

  protected applyWithSchema<R extends ConnectRecord>(record: R, struct: Struct, schema: Schema): R {
    const updated = this.cache.get(schema, (s) => {
      const b = copySchemaBasics(s, SchemaBuilder.struct());
      for (const f of s.fields) if (this.#filter(f.name)) b.field(this.#renamed(f.name), f.schema);
      return b.build();
    });
    return withOperating(record, this.side, updated, buildStruct(updated, (n) => this.fieldOf(struct, this.#reverse.get(n) ?? n)));
  }
}
