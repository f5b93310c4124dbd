// The JDBC sink task. One put() is one unit of work:
//
//   1. every record becomes a row (or is skipped); a bad record fails the put
//      before anything is written, with a DataError naming topic/partition/offset;
//   2. tables are created or evolved (DDL runs outside the transaction: MySQL
//      commits implicitly around DDL);
//   3. in ONE transaction, rows are written in record order, consecutive rows
//      of one table and shape as one multi-row statement (at most batch.size
//      rows and the server's bind-parameter limit);
//   4. commit. Any failure rolls back the whole put: nothing of it is written.
//
// put() writes synchronously, so flush() has nothing to do. When the server
// rejects a statement for its data, the put is replayed row by row in a
// transaction that is then rolled back, to name the record at fault. With a
// dead letter queue (context.errantRecordReporter), a record at fault is
// reported and the put is done again without it, as Confluent's sink does;
// without one, the put fails with that record's RecordWriteError.

import { DataError, RetriableError } from '../../connect/errors.js';
import type { ErrantRecordReporter, SinkTask, SinkTaskContext } from '../../connect/plugin.js';
import type { SinkRecord } from '../../connect/record.js';
import { resolveJdbcSinkConfig, type JdbcSinkConfig } from './config.js';
import { connect, describeTarget, type SinkDatabase } from './database.js';
import { createDialect, type Dialect } from './dialect.js';
import { RecordWriteError } from './errors.js';
import { RowMapper, type Row, type RowShape } from './rows.js';

/** Statements kept by #statement before it starts again. */
const MAX_KEPT_STATEMENTS = 64;

interface Run {
  readonly shape: RowShape;
  readonly rows: Row[];
}

export class JdbcSinkTask implements SinkTask {
  #config!: JdbcSinkConfig;
  #dialect!: Dialect;
  #mapper!: RowMapper;
  #db: SinkDatabase | null = null;
  #reporter: ErrantRecordReporter | null = null;
  /** table → the keys (dialect.columnKey) of its columns, as last read. */
  readonly #tables = new Map<string, Set<string>>();
  /** shape id and row count → statement text. */
  readonly #statements = new Map<string, string>();

  constructor(private readonly versionString: string) {}

  version(): string {
    return this.versionString;
  }

  start(config: Readonly<Record<string, string>>, context?: SinkTaskContext): void {
    this.#config = resolveJdbcSinkConfig(config);
    this.#reporter = context?.errantRecordReporter ?? null;
    this.#dialect = createDialect(this.#config.target.dialect, this.#config.quoteIdentifiers);
    this.#mapper = new RowMapper(this.#config, this.#dialect);
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    let pending = records;
    for (;;) {
      try {
        return await this.#putOnce(pending);
      } catch (err) {
        if (!(err instanceof RecordWriteError) || !this.#reporter) throw err;
        await this.#reporter.report(err.record, err);
        pending = pending.filter((r) => r !== err.record);
      }
    }
  }

  async #putOnce(records: readonly SinkRecord[]): Promise<void> {
    const rows: Row[] = [];
    for (const r of records) {
      const row = this.#mapper.toRow(r);
      if (row) rows.push(row);
    }
    if (rows.length === 0) return;
    const runs = toRuns(rows);
    const db = await this.#connection();
    let writing = false;
    const toWrite: Run[] = [];
    try {
      for (const run of runs) if (await this.#ensureTable(db, run)) toWrite.push(run);
      await db.begin();
      writing = true;
      try {
        for (const run of toWrite) await this.#write(db, run);
        await db.commit();
      } catch (err) {
        await db.rollback().catch(() => undefined);
        throw err;
      }
    } catch (err) {
      if (err instanceof RetriableError) {
        await this.#dropConnection();
        throw err;
      }
      // The table may have changed under us (dropped, altered by another task): read it again next time.
      this.#tables.clear();
      if (writing && err instanceof DataError) throw (await this.#locate(db, toWrite)) ?? err;
      throw err;
    }
  }

  flush(): void {
    // put() commits before it returns.
  }

  async stop(): Promise<void> {
    await this.#dropConnection();
  }

  async #connection(): Promise<SinkDatabase> {
    this.#db ??= await connect({ target: this.#config.target, user: this.#config.user, password: this.#config.password });
    return this.#db;
  }

  async #dropConnection(): Promise<void> {
    const db = this.#db;
    this.#db = null;
    this.#tables.clear();
    await db?.close();
  }

  async #readColumns(db: SinkDatabase, table: string): Promise<Set<string>> {
    const q = this.#dialect.columnsQuery(table);
    const rows = await db.query(q.sql, q.params);
    const cols = new Set(rows.map((r) => this.#dialect.columnKey(String(r['name'] ?? r['NAME']))));
    if (cols.size > 0) this.#tables.set(table, cols);
    return cols;
  }

  /**
   * Creates the table or adds the missing columns (auto.create, auto.evolve), or
   * throws naming what is missing. False: nothing to write (deletes from a table
   * that does not exist).
   */
  async #ensureTable(db: SinkDatabase, run: Run): Promise<boolean> {
    const { shape } = run;
    const first = run.rows[0]!.record;
    const fail = (message: string, path?: string) => new RecordWriteError(first, `table ${JSON.stringify(shape.table)}: ${message}`, { path });
    let cols = this.#tables.get(shape.table) ?? (await this.#readColumns(db, shape.table));
    // Another task may have created or evolved the table since we read it.
    if (this.#tables.has(shape.table) && shape.columns.some((c) => !cols.has(this.#dialect.columnKey(c)))) cols = await this.#readColumns(db, shape.table);
    if (cols.size === 0) {
      if (shape.op === 'delete') return false;
      if (!this.#config.autoCreate) throw fail(`the table does not exist in ${describeTarget(this.#config.target)} and auto.create is false`);
      if (!shape.defs) throw fail('the table does not exist and a record without a schema cannot create it (auto.create needs key and value schemas)');
      try {
        await db.query(this.#dialect.createTable(shape.table, shape.defs));
      } catch (err) {
        // Another invocation (another partition's batch) created it at the same moment:
        // PostgreSQL's CREATE TABLE IF NOT EXISTS can then fail on its catalog's unique index.
        if ((await this.#readColumns(db, shape.table)).size === 0) throw err;
      }
      cols = await this.#readColumns(db, shape.table);
    }
    const missing = shape.columns.filter((c) => !cols.has(this.#dialect.columnKey(c)));
    if (missing.length === 0) return true;
    const names = missing.map((m) => JSON.stringify(m)).join(', ');
    if (!shape.defs) throw fail(`the table has no column ${names} (a record without a schema cannot evolve it)`, missing[0]);
    if (!this.#config.autoEvolve) throw fail(`the table has no column ${names} and auto.evolve is false`, missing[0]);
    const defs = shape.defs.filter((d) => missing.includes(d.name));
    for (const d of defs) {
      if (d.pk) throw fail(`the table has no column "${d.name}", which is part of the primary key; auto.evolve does not change primary keys`, d.name);
      if (!d.schema.optional && d.schema.defaultValue === null) throw fail(`the new field "${d.name}" is required and has no default, so it cannot be added to a table with rows; make it optional or give it a default`, d.name);
    }
    try {
      for (const sql of this.#dialect.addColumns(shape.table, defs)) await db.query(sql);
    } catch (err) {
      // Evolved by another invocation meanwhile ("duplicate column"): fine if every column is there now.
      const now = await this.#readColumns(db, shape.table);
      if (missing.some((c) => !now.has(this.#dialect.columnKey(c)))) throw err;
    }
    await this.#readColumns(db, shape.table);
    return true;
  }

  async #write(db: SinkDatabase, run: Run): Promise<void> {
    const { shape } = run;
    const d = this.#dialect;
    if (shape.op === 'update') {
      const nk = shape.pk.length;
      const set = shape.columns.slice(nk);
      if (set.length === 0) return;
      const sql = d.update(shape.table, set, shape.pk);
      for (const row of run.rows) await db.query(sql, [...row.values.slice(nk), ...row.values.slice(0, nk)]);
      return;
    }
    const rows = shape.op === 'insert' ? run.rows : lastPerKey(run.rows, shape.pk.length);
    const width = shape.op === 'delete' ? shape.pk.length : shape.columns.length;
    const chunk = Math.max(1, Math.min(this.#config.batchSize, Math.floor(d.maxParams / Math.max(width, 1))));
    for (let i = 0; i < rows.length; i += chunk) {
      const part = rows.slice(i, i + chunk);
      const params: unknown[] = [];
      for (const r of part) for (let c = 0; c < width; c++) params.push(r.values[c]);
      await db.query(this.#statement(shape, part.length), params);
    }
  }

  /**
   * The multi-row INSERT/upsert/DELETE of `rows` rows of a shape. Kept: a batch
   * writes the same few statements again and again, each thousands of
   * placeholders long.
   */
  #statement(shape: RowShape, rows: number): string {
    const key = `${shape.id}\0${rows}`;
    let sql = this.#statements.get(key);
    if (sql === undefined) {
      const d = this.#dialect;
      sql = shape.op === 'delete' ? d.deleteRows(shape.table, shape.pk, rows) : d.insert(shape.table, shape.columns, rows, shape.op === 'upsert' ? shape.pk : null);
      if (this.#statements.size >= MAX_KEPT_STATEMENTS) this.#statements.clear();
      this.#statements.set(key, sql);
    }
    return sql;
  }

  /** The first record whose own statement the server refuses, replayed in order in a transaction that is rolled back. */
  async #locate(db: SinkDatabase, runs: readonly Run[]): Promise<RecordWriteError | undefined> {
    try {
      await db.begin();
    } catch {
      return undefined;
    }
    try {
      for (const run of runs) {
        for (const row of run.rows) {
          try {
            await this.#write(db, { shape: run.shape, rows: [row] });
          } catch (err) {
            if (!(err instanceof DataError)) return undefined;
            return new RecordWriteError(row.record, `table ${JSON.stringify(run.shape.table)}: ${err.message}; nothing of this batch was written`, { cause: err });
          }
        }
      }
      return undefined;
    } finally {
      await db.rollback().catch(() => undefined);
    }
  }
}

/** Consecutive rows of one shape. */
function toRuns(rows: readonly Row[]): Run[] {
  const runs: Run[] = [];
  for (const row of rows) {
    const last = runs[runs.length - 1];
    if (last && last.shape === row.shape) last.rows.push(row);
    else runs.push({ shape: row.shape, rows: [row] });
  }
  return runs;
}

/**
 * Keeps the last row of each key, where it stood. One upsert statement must not
 * hold a key twice (PostgreSQL refuses: "cannot affect row a second time"), and
 * in record order the last one wins anyway.
 */
function lastPerKey(rows: readonly Row[], keyColumns: number): Row[] {
  if (keyColumns === 0) return [...rows];
  const last = new Map<string, number>();
  rows.forEach((r, i) => last.set(keyOf(r, keyColumns), i));
  return rows.filter((r, i) => last.get(keyOf(r, keyColumns)) === i);
}

function keyOf(row: Row, keyColumns: number): string {
  // The common key, one number or string column, without building a JSON array per row.
  if (keyColumns === 1) {
    const v = row.values[0];
    if (typeof v === 'number' || typeof v === 'bigint') return `n${v}`;
    if (typeof v === 'string') return `s${v}`;
  }
  return JSON.stringify(row.values.slice(0, keyColumns).map((v) => (v instanceof Uint8Array ? `b:${Buffer.from(v).toString('hex')}` : typeof v === 'bigint' ? v.toString() : v)));
}
