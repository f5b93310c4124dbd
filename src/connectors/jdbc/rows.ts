// From SinkRecords to table rows, as Confluent's JDBC sink derives them:
//
//   pk.mode=none          no key; every value field is a column
//   pk.mode=kafka         __connect_topic, __connect_partition, __connect_offset (or the 3 pk.fields)
//   pk.mode=record_key    a struct key's fields (pk.fields, default all) or a primitive key (one column, pk.fields[0] or __connect_key)
//   pk.mode=record_value  the value's fields named in pk.fields (default all)
//
// Value columns are the value's fields that are not key columns, limited to
// fields.whitelist when it is set. A value without a schema (a plain object,
// e.g. from JsonConverter with schemas.enable=false) gives columns by name
// only: it can be written to an existing table but cannot create or evolve one.
// A null value is a tombstone: a delete with delete.enabled, else skipped.

import { Schema, Struct } from '../../connect/data/index.js';
import { DataError } from '../../connect/errors.js';
import type { SinkRecord } from '../../connect/record.js';
import { DEFAULT_KEY_FIELD, KAFKA_PK_FIELDS, type JdbcSinkConfig } from './config.js';
import type { ColumnDef, Dialect } from './dialect.js';
import { RecordWriteError } from './errors.js';

export type RowOp = 'insert' | 'upsert' | 'update' | 'delete';

/** The columns a row writes; rows of one shape share one statement. */
export interface RowShape {
  /** Identity of the shape: op, table and column names. */
  readonly id: string;
  readonly op: RowOp;
  readonly table: string;
  /** Key columns first, then value columns, in the order of `values`. */
  readonly columns: readonly string[];
  readonly pk: readonly string[];
  /** With schemas: what auto.create and auto.evolve need. null for a schemaless record. */
  readonly defs: readonly ColumnDef[] | null;
}

export interface Row {
  readonly shape: RowShape;
  /** Bind parameters in shape.columns order. */
  readonly values: readonly unknown[];
  readonly record: SinkRecord;
}

interface Column {
  name: string;
  schema: Schema | null;
  value: unknown;
}

const TOPIC_SCHEMA = Schema.STRING_SCHEMA;
const PARTITION_SCHEMA = Schema.INT32_SCHEMA;
const OFFSET_SCHEMA = Schema.INT64_SCHEMA;

/** Stands for "no key schema" in the shape cache. */
const NO_KEY = {};

export class RowMapper {
  readonly #shapes = new Map<string, RowShape>();
  /** topic → table.name.format applied to it. */
  readonly #tables = new Map<string, string>();
  /**
   * key schema → value schema → `op\0table` → shape. With struct values the
   * columns follow from the two schemas and the config alone, and a batch's
   * records share their schema objects (the converter caches them), so most
   * rows find their shape here without spelling out its id.
   */
  readonly #bySchemas = new WeakMap<object, WeakMap<Schema, Map<string, RowShape>>>();

  constructor(
    private readonly config: JdbcSinkConfig,
    private readonly dialect: Dialect,
  ) {}

  tableOf(record: SinkRecord): string {
    let table = this.#tables.get(record.topic);
    if (table === undefined) {
      table = this.config.tableNameFormat.split('${topic}').join(record.topic);
      // Topics are few; a regex-subscribed sink over very many keeps only the recent ones.
      if (this.#tables.size >= 1_000) this.#tables.clear();
      this.#tables.set(record.topic, table);
    }
    return table;
  }

  /** The row of one record; null when it is skipped (a tombstone without delete.enabled). Throws RecordWriteError naming the record. */
  toRow(record: SinkRecord): Row | null {
    try {
      return this.#toRow(record);
    } catch (err) {
      if (err instanceof DataError) throw new RecordWriteError(record, err.message, { path: err.path, cause: err });
      throw err;
    }
  }

  #toRow(record: SinkRecord): Row | null {
    const table = this.tableOf(record);
    if (record.value === null || record.value === undefined) {
      if (!this.config.deleteEnabled) return null;
      const key = this.#keyColumns(record);
      if (key.length === 0) throw new DataError('a tombstone needs a key to delete by');
      return this.#row('delete', table, key, [], record);
    }
    const key = this.config.pkMode === 'record_key' ? this.#keyColumns(record) : this.config.pkMode === 'kafka' ? this.#kafkaColumns(record) : [];
    const fields = this.#valueFields(record);
    let pk = key;
    let rest: Column[];
    if (this.config.pkMode === 'record_value') {
      const names = this.config.pkFields.length > 0 ? this.config.pkFields : fields.map((f) => f.name);
      pk = names.map((n) => {
        const f = fields.find((c) => c.name === n);
        if (!f) throw new DataError(`pk.fields names "${n}", which the record value does not have`, { path: n });
        return f;
      });
      const pkNames = new Set(names);
      rest = fields.filter((f) => !pkNames.has(f.name));
    } else {
      const pkNames = new Set(pk.map((c) => c.name));
      rest = fields.filter((f) => !pkNames.has(f.name));
    }
    const wl = this.config.fieldsWhitelist;
    if (wl.size > 0) rest = rest.filter((f) => wl.has(f.name));
    for (const c of pk) if (c.value === null || c.value === undefined) throw new DataError(`primary key field "${c.name}" is null`, { path: c.name });
    const op = this.config.insertMode;
    const value = record.value;
    let bySchema: Map<string, RowShape> | undefined;
    if (value instanceof Struct) {
      const mode = this.config.pkMode;
      const keySchema = mode !== 'record_key' ? NO_KEY : record.key instanceof Struct ? record.key.schema : record.keySchema;
      if (keySchema) {
        let byValue = this.#bySchemas.get(keySchema);
        if (!byValue) this.#bySchemas.set(keySchema, (byValue = new WeakMap()));
        bySchema = byValue.get(value.schema);
        if (!bySchema) byValue.set(value.schema, (bySchema = new Map()));
      }
    }
    return this.#row(op, table, pk, rest, record, bySchema);
  }

  #row(op: RowOp, table: string, pk: Column[], rest: Column[], record: SinkRecord, bySchema?: Map<string, RowShape>): Row {
    const all = pk.length === 0 ? rest : rest.length === 0 ? pk : [...pk, ...rest];
    const values = new Array<unknown>(all.length);
    for (let i = 0; i < all.length; i++) {
      const c = all[i]!;
      values[i] = c.schema ? this.dialect.bind(c.schema, c.value, c.name) : bindSchemaless(c.value);
    }
    const cacheKey = bySchema ? `${op}\0${table}` : '';
    const cached = bySchema?.get(cacheKey);
    if (cached) return { shape: cached, values, record };
    const schemaless = all.some((c) => c.schema === null);
    const id = `${op}\0${table}\0${pk.length}\0${all.map((c) => `${c.name}\0${c.schema ? shapeOf(c.schema) : '?'}`).join('\0')}`;
    let shape = this.#shapes.get(id);
    if (!shape) {
      shape = {
        id,
        op,
        table,
        columns: all.map((c) => c.name),
        pk: pk.map((c) => c.name),
        defs: schemaless ? null : all.map((c, i) => ({ name: c.name, schema: c.schema!, pk: i < pk.length })),
      };
      this.#shapes.set(id, shape);
    }
    bySchema?.set(cacheKey, shape);
    return { shape, values, record };
  }

  #kafkaColumns(record: SinkRecord): Column[] {
    const [t, p, o] = this.config.pkFields.length === 3 ? this.config.pkFields : KAFKA_PK_FIELDS;
    return [
      { name: t!, schema: TOPIC_SCHEMA, value: record.topic },
      { name: p!, schema: PARTITION_SCHEMA, value: record.kafkaPartition },
      { name: o!, schema: OFFSET_SCHEMA, value: record.kafkaOffset },
    ];
  }

  #keyColumns(record: SinkRecord): Column[] {
    if (this.config.pkMode !== 'record_key') return [];
    const key = record.key;
    if (key === null || key === undefined) throw new DataError('pk.mode=record_key but the record key is null');
    const schema = record.keySchema ?? null;
    if (key instanceof Struct || (schema && schema.type === 'struct')) {
      if (!(key instanceof Struct)) throw new DataError('the key schema is a struct but the key is not');
      const names = this.config.pkFields.length > 0 ? this.config.pkFields : key.schema.fields.map((f) => f.name);
      return names.map((n) => {
        const f = key.schema.field(n);
        if (!f) throw new DataError(`pk.fields names "${n}", which the record key does not have`, { path: n });
        return { name: n, schema: f.schema, value: key.get(n) };
      });
    }
    if (schema === null && isObject(key)) {
      const names = this.config.pkFields.length > 0 ? this.config.pkFields : Object.keys(key);
      return names.map((n) => {
        if (!(n in key)) throw new DataError(`pk.fields names "${n}", which the record key does not have`, { path: n });
        return { name: n, schema: null, value: key[n] };
      });
    }
    if (this.config.pkFields.length > 1) throw new DataError(`pk.fields names ${this.config.pkFields.length} fields but the record key is a primitive (one column)`);
    return [{ name: this.config.pkFields[0] ?? DEFAULT_KEY_FIELD, schema, value: key }];
  }

  #valueFields(record: SinkRecord): Column[] {
    const value = record.value;
    if (value instanceof Struct) {
      return value.schema.fields.map((f) => {
        const v = value.get(f.name);
        if ((v === null || v === undefined) && !f.schema.optional) throw new DataError(`required field "${f.name}" is null`, { path: f.name });
        return { name: f.name, schema: f.schema, value: v };
      });
    }
    if (isObject(value) && (!record.valueSchema || record.valueSchema.type === 'map')) {
      return Object.entries(value).map(([name, v]) => ({ name, schema: null, value: v }));
    }
    throw new DataError(`the value is ${record.valueSchema ? `of schema ${record.valueSchema.describe()}` : typeof value}; the JDBC sink writes a struct (or a schemaless JSON object) per row`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Date) && !(v instanceof Struct);
}

/** A schema's identity for the shape: what decides the column type. */
function shapeOf(s: Schema): string {
  return `${s.type}:${s.name ?? ''}:${s.optional ? 'o' : 'r'}:${s.parameters ? JSON.stringify(s.parameters) : ''}`;
}

/** A schemaless value as a parameter: scalars as they are, objects and arrays as JSON text. */
function bindSchemaless(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean' || typeof v === 'number' || typeof v === 'string' || v instanceof Uint8Array) return v;
  if (v instanceof Date) return v.toISOString().replace('T', ' ').replace('Z', '');
  return JSON.stringify(v);
}
