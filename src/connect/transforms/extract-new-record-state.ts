// Debezium's io.debezium.transforms.ExtractNewRecordState ("unwrap"): a change
// event `{before, after, source, op, ts_ms}` becomes the row `after`. Records
// that are not change events (schema changes, heartbeats) pass unchanged.
//
// Deletes and tombstones, by `delete.tombstone.handling.mode` (Debezium 2.5+):
//   drop                    delete events and tombstones are dropped
//   tombstone (default)     a delete becomes a tombstone (null value, `after`'s schema); tombstones kept
//   rewrite                 a delete becomes its `before` row with __deleted=true
//                           (every other row gets __deleted=false); tombstones dropped
//   rewrite-with-tombstone  as rewrite, and tombstones kept
//   delete-to-tombstone     a delete becomes a tombstone; the connector's own tombstones dropped
// The older pair `delete.handling.mode` (drop|none|rewrite, default drop) and
// `drop.tombstones` (default true) is honoured when the new key is not set;
// all five modes are points of that pair, which is how they are applied.
// A truncate event (op t, no row before or after) is dropped, as Debezium does.
//
// `add.fields=op,table,source.ts_ms,…` adds `__op`, `__table`, `__source_ts_ms`
// (prefix `add.fields.prefix`): a name is read from the envelope when it has
// that field, else from `source`; `source.x` always from `source`. `add.headers`
// does the same into headers (prefix `add.headers.prefix`). `route.by.field`
// sends the record to the topic named by that field of the row (`before` for
// deletes).

import { defineConfig, oneOf } from '../config/config-def.js';
import { DataError } from '../errors.js';
import type { Transformation } from '../plugin.js';
import type { ConnectRecord, Header } from '../record.js';
import { isPlainObject } from '../data/values.js';
import { copySchemaBasics, isNullish, Schema, SchemaBuilder, SchemaCache, Struct } from './util.js';

const MODES = ['drop', 'tombstone', 'rewrite', 'rewrite-with-tombstone', 'delete-to-tombstone'] as const;
type Mode = (typeof MODES)[number];
type DeleteHandling = 'drop' | 'none' | 'rewrite';

const spec = defineConfig([
  { name: 'delete.tombstone.handling.mode', type: 'string', default: null, validator: oneOf(MODES), importance: 'medium', doc: 'How delete events and tombstones are handled: drop, tombstone (default), rewrite, rewrite-with-tombstone, delete-to-tombstone.' },
  { name: 'drop.tombstones', type: 'boolean', default: null, importance: 'low', doc: 'Deprecated (use delete.tombstone.handling.mode): drop tombstone records. Default true when this older pair is used.' },
  { name: 'delete.handling.mode', type: 'string', default: null, validator: oneOf(['drop', 'none', 'rewrite']), importance: 'low', doc: 'Deprecated (use delete.tombstone.handling.mode): drop, none (a null value) or rewrite delete events. Default drop when this older pair is used.' },
  { name: 'add.fields', type: 'list', default: [], importance: 'low', doc: 'Fields of the change event (op, ts_ms) or of its source block (table, db, source.ts_ms, …) to add to the row, each as <prefix><name> with dots as underscores.' },
  { name: 'add.fields.prefix', type: 'string', default: '__', importance: 'low', doc: 'Prefix of the fields added by add.fields.' },
  { name: 'add.headers', type: 'list', default: [], importance: 'low', doc: 'Fields of the change event or of its source block to add as headers.' },
  { name: 'add.headers.prefix', type: 'string', default: '__', importance: 'low', doc: 'Prefix of the headers added by add.headers.' },
  { name: 'route.by.field', type: 'string', default: '', importance: 'low', doc: 'A field of the row whose value names the topic to route the record to (for deletes, the field of before).' },
]);

const MODE_PAIRS: Record<Mode, [DeleteHandling, boolean]> = {
  drop: ['drop', true],
  tombstone: ['none', false],
  rewrite: ['rewrite', true],
  'rewrite-with-tombstone': ['rewrite', false],
  'delete-to-tombstone': ['none', true],
};

interface Addition {
  /** Where it is read: the envelope, or its `source` block. */
  from: 'envelope' | 'source' | 'either';
  field: string;
  /** The added field or header name, prefix included. */
  name: string;
}

function additions(list: readonly string[], prefix: string): Addition[] {
  return list.map((entry) => {
    const e = entry.trim();
    const field = e.startsWith('source.') ? e.slice('source.'.length) : e;
    return { from: e.startsWith('source.') ? 'source' : 'either', field, name: prefix + e.replaceAll('.', '_') };
  });
}

/** A field of a Struct or plain object; undefined when it has no such field. */
function read(value: unknown, field: string): unknown {
  if (value instanceof Struct) return value.schema.field(field) ? value.get(field) : undefined;
  if (value instanceof Map) return value.has(field) ? value.get(field) : undefined;
  if (isPlainObject(value)) return field in value ? value[field] : undefined;
  return undefined;
}

function schemaOfField(schema: Schema | null | undefined, field: string): Schema | undefined {
  return schema?.type === 'struct' ? schema.field(field)?.schema : undefined;
}

export class ExtractNewRecordState implements Transformation {
  #deletes: DeleteHandling = 'none';
  #dropTombstones = false;
  #fields: Addition[] = [];
  #headers: Addition[] = [];
  #routeBy = '';
  readonly #cache = new SchemaCache();

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = spec.parse(config);
    const mode = c['delete.tombstone.handling.mode'] as Mode | null;
    if (mode !== null) [this.#deletes, this.#dropTombstones] = MODE_PAIRS[mode];
    else if (c['delete.handling.mode'] !== null || c['drop.tombstones'] !== null) {
      this.#deletes = (c['delete.handling.mode'] ?? 'drop') as DeleteHandling;
      this.#dropTombstones = c['drop.tombstones'] ?? true;
    } else [this.#deletes, this.#dropTombstones] = MODE_PAIRS.tombstone;
    this.#fields = additions(c['add.fields'], c['add.fields.prefix']);
    this.#headers = additions(c['add.headers'], c['add.headers.prefix']);
    this.#routeBy = c['route.by.field'];
  }

  apply<R extends ConnectRecord>(record: R): R | null {
    const envelope = record.value;
    if (isNullish(envelope)) return this.#dropTombstones ? null : record;
    const op = read(envelope, 'op');
    if (typeof op !== 'string' || read(envelope, 'after') === undefined) return record;

    // A truncate (op t) has neither row: Debezium drops it rather than emit a keyless tombstone.
    if (isNullish(read(envelope, 'after')) && isNullish(read(envelope, 'before'))) return null;
    const headers = this.#headers.length === 0 ? record.headers : [...record.headers, ...this.#headers.map((a) => this.#header(envelope, record.valueSchema ?? null, a))];
    const isDelete = op === 'd';
    if (isDelete && this.#deletes === 'drop') return null;
    if (isDelete && this.#deletes === 'none') return { ...record, valueSchema: schemaOfField(record.valueSchema, 'after') ?? null, value: null, headers };

    const row = isDelete ? read(envelope, 'before') : read(envelope, 'after');
    const rowSchema = schemaOfField(record.valueSchema, isDelete ? 'before' : 'after') ?? null;
    const topic = this.#routeBy ? this.#routedTopic(row, record.topic) : record.topic;
    if (isNullish(row)) return { ...record, topic, valueSchema: rowSchema, value: null, headers };

    const rewrite = this.#deletes === 'rewrite';
    if (this.#fields.length === 0 && !rewrite) return { ...record, topic, valueSchema: rowSchema, value: row, headers };

    const extras: Array<[string, unknown, Schema | undefined]> = this.#fields.map((a) => [a.name, this.#value(envelope, a), this.#schemaOf(record.valueSchema ?? null, a)]);
    if (rewrite) extras.push(['__deleted', isDelete ? 'true' : 'false', Schema.OPTIONAL_STRING_SCHEMA]);

    if (!rowSchema || !(row instanceof Struct)) {
      const out: Record<string, unknown> = row instanceof Map ? Object.fromEntries(row) : { ...(row as Record<string, unknown>) };
      for (const [name, v] of extras) out[name] = v ?? null;
      return { ...record, topic, valueSchema: null, value: out, headers };
    }
    const schema = this.#cache.get(rowSchema, (s) => {
      const b = copySchemaBasics(s, SchemaBuilder.struct());
      for (const f of s.fields) b.field(f.name, f.schema);
      for (const [name, , fs] of extras) b.field(name, fs ? (fs.optional ? fs : SchemaBuilder.from(fs).optional().build()) : Schema.OPTIONAL_STRING_SCHEMA);
      return b.build();
    });
    const n = rowSchema.fields.length;
    const values = schema.fields.map((f, i) => (i < n ? row.getWithoutDefault(f.name) : (extras[i - n]![1] ?? null)));
    return { ...record, topic, valueSchema: schema, value: Struct.unchecked(schema, values), headers };
  }

  #value(envelope: unknown, a: Addition): unknown {
    if (a.from === 'either') {
      const top = read(envelope, a.field);
      if (top !== undefined) return top;
    }
    return read(read(envelope, 'source'), a.field) ?? null;
  }

  #schemaOf(envelopeSchema: Schema | null, a: Addition): Schema | undefined {
    if (!envelopeSchema) return undefined;
    if (a.from === 'either') {
      const top = schemaOfField(envelopeSchema, a.field);
      if (top) return top;
    }
    return schemaOfField(schemaOfField(envelopeSchema, 'source'), a.field);
  }

  #header(envelope: unknown, envelopeSchema: Schema | null, a: Addition): Header {
    return { key: a.name, schema: this.#schemaOf(envelopeSchema, a) ?? null, value: this.#value(envelope, a) };
  }

  #routedTopic(row: unknown, current: string): string {
    const v = read(row, this.#routeBy);
    if (v === undefined) throw new DataError(`route.by.field: the row has no field "${this.#routeBy}"`, { path: this.#routeBy });
    return isNullish(v) ? current : String(v);
  }
}

