// The initial snapshot, resumable chunk by chunk across invocations.
//
// A new snapshot: SHOW MASTER STATUS, START TRANSACTION WITH CONSISTENT
// SNAPSHOT, then MariaDB's Binlog_snapshot_file/position (the binlog position
// of exactly that view; MySQL has none, and the position read just before
// the transaction is used: streaming from an earlier position only repeats
// changes). It reads the structure of every table of the captured databases,
// appends it to the schema history at that position, and emits a CREATE TABLE
// schema change event per captured table (include.schema.changes).
// No lock is taken (snapshot.locking.mode is accepted and not applied): the
// consistent snapshot and its binlog position need none.
//
// Then each captured table, in `db.table` order, in primary-key order, in
// chunks of snapshot.chunk.size:
//   SELECT cols FROM t WHERE (pk) > (last) ORDER BY pk LIMIT n
// (cols: every column by name, a FLOAT as CAST(col AS DOUBLE), its exact value)
// Every record's offset names its table and its row's key, so a new
// invocation continues after the last acknowledged row. Each invocation reads
// in its own consistent-snapshot transaction: rows read by later invocations
// may be newer than the snapshot's position, and streaming from that position
// then repeats their changes. Consumers see at-least-once delivery and reach
// the same final state, as with Debezium's rows changed during a snapshot.
// A table without a primary key is read in one pass (a streaming query); an
// invocation ending inside it makes the next one read it again from its start.
//
// source.snapshot is 'first' on the very first record, 'last' on the very last
// and 'true' otherwise: the last row of each chunk is held back until another
// row is known to follow. The last record's offset says the snapshot completed
// (streaming begins at the snapshot's position); when no row carries it, a
// heartbeat record does.

import type { Connection as CoreConnection } from 'mysql2';
import mysql from 'mysql2/promise';
import type { Readable } from 'node:stream';
import { ConnectError } from '../../connect/errors.js';
import type { SourceRecord } from '../../connect/record.js';
import type { Logger } from '../../logging.js';
import { accessProblem, type MysqlError } from './binlog.js';
import type { MySqlCdcConfig, MySqlFilters } from './config.js';
import { catalogOf, type SchemaCatalog, type TableId } from './ddl.js';
import { snapshotCompletedOffset, snapshotOffset, type BinlogPosition, type KeyValue, type SnapshotProgress } from './offsets.js';
import { tableSchemaFromCreateTable, type Row, type TableRecordSchemas, type TableSchema } from './table-schema.js';
import type { SourceInfo } from './envelope.js';
import type { CdcRuntime } from './task.js';
import { parseColumnType } from './types.js';

export type SqlConnection = mysql.Connection;

/** A connection whose values convert as types.ts expects: dates and big numbers as text, times in UTC. */
export async function openConnection(cfg: Pick<MySqlCdcConfig, 'hostname' | 'port' | 'user' | 'password' | 'connectTimeoutMs'>, logger?: Logger): Promise<SqlConnection> {
  let conn: SqlConnection;
  try {
    conn = await mysql.createConnection({
      host: cfg.hostname,
      port: cfg.port,
      user: cfg.user,
      password: cfg.password ?? undefined,
      connectTimeout: cfg.connectTimeoutMs,
      charset: 'utf8mb4',
      timezone: 'Z',
      dateStrings: true,
      supportBigNumbers: true,
      bigNumberStrings: true,
      decimalNumbers: false,
      jsonStrings: true,
    });
  } catch (err) {
    throw accessProblem(err as MysqlError, cfg) ?? err;
  }
  conn.on('error', (err) => logger?.debug('sql connection error', { error: err.message }));
  await conn.query("SET time_zone = '+00:00'");
  return conn;
}

/** Runs `sql`, turning a missing privilege into an error that names it and the GRANT to run. */
async function query<T>(conn: SqlConnection, cfg: Pick<MySqlCdcConfig, 'user'>, sql: string, params?: unknown[]): Promise<T> {
  try {
    const [rows] = await conn.query(sql, params);
    return rows as T;
  } catch (err) {
    throw accessProblem(err as MysqlError, cfg) ?? err;
  }
}

/** The binlog files on the server, oldest first (SHOW BINARY LOGS needs REPLICATION CLIENT / BINLOG MONITOR). */
export async function binlogFiles(conn: SqlConnection, cfg: Pick<MySqlCdcConfig, 'user'> = { user: '' }): Promise<string[]> {
  const rows = await query<Array<{ Log_name: string }>>(conn, cfg, 'SHOW BINARY LOGS');
  return rows.map((r) => r.Log_name);
}

/** The server's current binlog file and position (MySQL 8.4 renamed SHOW MASTER STATUS to SHOW BINARY LOG STATUS). */
export async function binlogStatus(conn: SqlConnection, cfg: Pick<MySqlCdcConfig, 'user'>): Promise<Array<{ File: string; Position: number | string }>> {
  try {
    return await query(conn, cfg, 'SHOW MASTER STATUS');
  } catch (err) {
    if ((err as MysqlError).errno !== 1064) throw err;
    return query(conn, cfg, 'SHOW BINARY LOG STATUS');
  }
}

/** What a binlog reader needs of the server's settings; each problem names the setting to change. */
export async function binlogSettingProblems(conn: SqlConnection): Promise<string[]> {
  const rows = await query<Array<Record<string, unknown>>>(conn, { user: '' }, 'SELECT @@log_bin AS log_bin, @@binlog_format AS format, @@binlog_row_image AS image');
  const v = rows[0] ?? {};
  const problems: string[] = [];
  if (Number(v.log_bin) !== 1) problems.push('The server writes no binary log: start it with log_bin (and binlog_format=ROW, binlog_row_image=FULL)');
  else {
    if (String(v.format).toUpperCase() !== 'ROW') problems.push(`The server's binlog_format is ${String(v.format)}; change data capture needs binlog_format=ROW`);
    if (String(v.image).toUpperCase() !== 'FULL') problems.push(`The server's binlog_row_image is ${String(v.image)}; change data capture needs binlog_row_image=FULL`);
  }
  return problems;
}

const quoteId = (name: string) => '`' + name.replace(/`/g, '``') + '`';
const tableKey = (id: TableId) => `${id.db}.${id.table}`;

/** One table's structure now, or null when it does not exist (any more). */
export async function loadTableSchema(conn: SqlConnection, cfg: Pick<MySqlCdcConfig, 'user'>, db: string, table: string, databaseCharset: string | null): Promise<{ schema: TableSchema; ddl: string } | null> {
  let rows: Array<Record<string, string>>;
  try {
    rows = await query(conn, cfg, `SHOW CREATE TABLE ${quoteId(db)}.${quoteId(table)}`);
  } catch (err) {
    if ((err as MysqlError).errno === 1146) return null;
    throw err;
  }
  const ddl = rows[0]?.['Create Table'];
  if (ddl === undefined) return null; // a view
  return { schema: tableSchemaFromCreateTable(db, ddl, databaseCharset), ddl };
}

export interface ServerCatalog {
  readonly catalog: SchemaCatalog;
  /** SHOW CREATE TABLE text by `db.table`. */
  readonly ddl: ReadonlyMap<string, string>;
}

/** Every table of the captured databases (table filters apply to data, not to the structures tracked). */
export async function readServerCatalog(conn: SqlConnection, filters: MySqlFilters, logger: Logger, cfg: Pick<MySqlCdcConfig, 'user'> = { user: '' }): Promise<ServerCatalog> {
  const dbRows = await query<Array<{ name: string; charset: string | null }>>(conn, cfg, 'SELECT SCHEMA_NAME AS name, DEFAULT_CHARACTER_SET_NAME AS charset FROM INFORMATION_SCHEMA.SCHEMATA ORDER BY SCHEMA_NAME');
  const databases = dbRows.filter((d) => filters.database(d.name));
  const tables: TableSchema[] = [];
  const ddl = new Map<string, string>();
  if (databases.length > 0) {
    const tableRows = await query<Array<{ db: string; name: string }>>(
      conn,
      cfg,
      `SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA IN (${databases.map(() => '?').join(',')}) ORDER BY TABLE_SCHEMA, TABLE_NAME`,
      databases.map((d) => d.name),
    );
    const charsets = new Map(databases.map((d) => [d.name, d.charset]));
    for (const r of tableRows) {
      const loaded = await loadTableSchema(conn, cfg, r.db, r.name, charsets.get(r.db) ?? null);
      if (!loaded) continue;
      tables.push(loaded.schema);
      ddl.set(`${r.db}.${r.name}`, loaded.ddl);
    }
  }
  logger.info('read table structures', { databases: databases.length, tables: tables.length });
  return { catalog: catalogOf(tables, databases), ddl };
}

/**
 * The columns of a snapshot query, in table order, each under its own name. A FLOAT is read as
 * CAST(col AS DOUBLE): the text protocol writes a FLOAT with 6 significant digits (16777217 as
 * 16777200, 1.17549435e-38 as 1.17549e-38), the DOUBLE is the float's exact value, as the binlog
 * has it (types.ts gives float32 columns their shortest form). Named columns also bring INVISIBLE
 * ones, which SELECT * leaves out and the binlog has.
 */
function selectList(table: TableSchema): string {
  return table.columns
    .map((c) => {
      let exactAsDouble = false;
      try {
        const name = parseColumnType(c.type).name;
        exactAsDouble = name === 'FLOAT' || name === 'REAL';
      } catch {
        // a type types.ts cannot read is left out of the events anyway; read it as it is
      }
      return exactAsDouble ? `CAST(${quoteId(c.name)} AS DOUBLE) AS ${quoteId(c.name)}` : quoteId(c.name);
    })
    .join(', ');
}

/** The captured tables of a catalog, in snapshot order. */
function capturedTables(catalog: SchemaCatalog, filters: MySqlFilters): TableId[] {
  const out: TableId[] = [];
  for (const db of catalog.values()) for (const t of db.tables.values()) if (filters.table(t.db, t.table)) out.push({ db: t.db, table: t.table });
  return out.sort((a, b) => (tableKey(a) < tableKey(b) ? -1 : tableKey(a) > tableKey(b) ? 1 : 0));
}

interface TableCursor {
  readonly id: TableId;
  readonly schemas: TableRecordSchemas;
  readonly primaryKey: readonly string[];
  /** The select list: every column by name, FLOAT ones exact (selectList). */
  readonly columns: string;
  lastKey: KeyValue[] | null;
  exhausted: boolean;
  /** A table without a primary key: one streaming query. */
  rows?: AsyncIterator<Row>;
  stream?: Readable;
}

interface HeldRow {
  readonly cursor: TableCursor;
  readonly row: Row;
  readonly key: KeyValue[] | null;
}

/** How long one poll reads before handing out what it has. */
const POLL_BUDGET_MS = 500;

export class SnapshotReader {
  private conn: SqlConnection | undefined;
  private binlog!: BinlogPosition;
  private catalog!: SchemaCatalog;
  private serverId = 0;
  private tables: TableId[] = [];
  private next = 0;
  private resumeKey: { table: string; key: readonly KeyValue[] | null } | null = null;
  private current: TableCursor | undefined;
  private held: HeldRow | undefined;
  private first = false;
  private finished = false;
  private queue: SourceRecord[] = [];

  constructor(
    private readonly rt: CdcRuntime,
    /** no_data: structures and schema change events only. */
    private readonly schemaOnly: boolean,
  ) {}

  get done(): boolean {
    return this.finished && this.queue.length === 0;
  }

  /** The snapshot's binlog position and the table structures there: where streaming begins. */
  result(): { position: BinlogPosition; catalog: SchemaCatalog } {
    return { position: this.binlog, catalog: this.catalog };
  }

  /** A new snapshot (progress null) or the continuation of one. */
  async start(progress: SnapshotProgress | null): Promise<void> {
    const { cfg, logger, history } = this.rt;
    // Its own connection: the transaction stays open while this invocation reads.
    const conn = (this.conn = await openConnection(cfg, logger));
    const problems = await binlogSettingProblems(conn);
    if (problems.length > 0) throw new ConnectError(problems.join('; '), { code: 'CONFIG_INVALID' });
    const [server] = await query<Array<{ id: number | string; version: string }>>(conn, cfg, 'SELECT @@server_id AS id, VERSION() AS version');
    this.serverId = Number(server?.id ?? 0);
    await query(conn, cfg, 'SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    if (progress === null) {
      const [master] = await binlogStatus(conn, cfg);
      if (!master) throw new ConnectError('The server writes no binary log (SHOW MASTER STATUS is empty): start it with log_bin, binlog_format=ROW and binlog_row_image=FULL', { code: 'CONFIG_INVALID' });
      await query(conn, cfg, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      const status = await query<Array<{ Variable_name: string; Value: string }>>(conn, cfg, "SHOW STATUS LIKE 'binlog_snapshot_%'");
      const file = status.find((s) => s.Variable_name.toLowerCase() === 'binlog_snapshot_file')?.Value || master.File;
      const pos = Number(status.find((s) => s.Variable_name.toLowerCase() === 'binlog_snapshot_position')?.Value || master.Position);
      const gtids = /mariadb/i.test(server?.version ?? '') ? await this.gtidsAt(file, pos) : null;
      this.binlog = { file, pos, gtids };
      const read = await readServerCatalog(conn, cfg.filters, logger, cfg);
      this.catalog = read.catalog;
      await history.recordSnapshot(this.binlog, this.catalog);
      this.tables = capturedTables(this.catalog, cfg.filters);
      this.first = true;
      logger.info('snapshot started', { binlog: this.binlog, tables: this.tables.length, schemaOnly: this.schemaOnly });
      if (cfg.includeSchemaChanges) this.queueCreateTables(read.ddl);
    } else {
      await query(conn, cfg, 'START TRANSACTION WITH CONSISTENT SNAPSHOT, READ ONLY');
      this.binlog = progress.binlog;
      const recovered = await history.recover(this.binlog);
      if (recovered) this.catalog = recovered;
      else {
        logger.warn('no schema history at the snapshot position; using the current table structures', { binlog: this.binlog });
        this.catalog = (await readServerCatalog(conn, cfg.filters, logger, cfg)).catalog;
        await history.recordSnapshot(this.binlog, this.catalog);
      }
      this.tables = capturedTables(this.catalog, cfg.filters);
      this.first = progress.table === null;
      if (progress.table !== null) {
        this.next = this.tables.findIndex((t) => tableKey(t) >= progress.table!);
        if (this.next < 0) this.next = this.tables.length;
        this.resumeKey = { table: progress.table, key: progress.lastKey };
      }
      logger.info('snapshot continues', { binlog: this.binlog, table: progress.table, lastKey: progress.lastKey, tablesLeft: this.tables.length - this.next });
    }
    if (this.schemaOnly) this.tables = [];
  }

  private async gtidsAt(file: string, pos: number): Promise<string | null> {
    try {
      const [row] = await query<Array<{ g: string | null }>>(this.conn!, this.rt.cfg, 'SELECT BINLOG_GTID_POS(?, ?) AS g', [file, pos]);
      return row?.g ?? null;
    } catch (err) {
      this.rt.logger.warn('could not read the GTID position of the snapshot', { error: (err as Error).message });
      return null;
    }
  }

  private source(id: TableId | null, marker: SourceInfo['snapshot']): SourceInfo {
    return {
      version: this.rt.dispatcher.version,
      name: this.rt.dispatcher.serverName,
      tsMs: this.rt.clock(),
      snapshot: marker,
      db: id?.db ?? '',
      table: id?.table ?? null,
      serverId: this.serverId,
      file: this.binlog.file,
      pos: this.binlog.pos,
      row: 0,
    };
  }

  private queueCreateTables(ddl: ReadonlyMap<string, string>): void {
    const offset = snapshotOffset({ binlog: this.binlog, table: null, lastKey: null, token: this.rt.token }, this.tsSec());
    for (const id of this.tables) {
      const table = this.catalog.get(id.db)!.tables.get(id.table)!;
      this.queue.push(this.rt.dispatcher.schemaChange(id.db, ddl.get(tableKey(id)) ?? '', [{ type: 'CREATE', table }], this.source(id, 'true'), offset));
    }
  }

  private tsSec(): number {
    return Math.floor(this.rt.clock() / 1000);
  }

  async poll(): Promise<SourceRecord[] | null> {
    const max = this.rt.cfg.maxBatchSize;
    const until = this.rt.clock() + POLL_BUDGET_MS;
    while (!this.finished && this.queue.length < max && this.rt.clock() < until && !this.rt.signal.aborted) {
      if (!this.current) {
        if (this.next >= this.tables.length) {
          this.finish();
          break;
        }
        this.current = await this.openTable(this.tables[this.next++]!);
        continue;
      }
      const cursor = this.current;
      for (const row of await this.fetch(cursor)) {
        if (this.held) this.release(this.first ? 'first' : 'true');
        this.held = { cursor, row, key: cursor.primaryKey.length > 0 ? cursor.primaryKey.map((c) => row[c] as KeyValue) : null };
      }
      if (cursor.exhausted) {
        cursor.stream?.destroy();
        this.current = undefined;
      }
    }
    return this.queue.length > 0 ? this.queue.splice(0, max) : null;
  }

  /** The table's structure now (the rows read now have it) and where to begin. */
  private async openTable(id: TableId): Promise<TableCursor | undefined> {
    const { cfg, logger } = this.rt;
    const loaded = await loadTableSchema(this.conn!, cfg, id.db, id.table, this.catalog.get(id.db)?.charset ?? null);
    if (!loaded) {
      logger.warn('table gone before its snapshot; skipped', { table: tableKey(id) });
      return undefined;
    }
    const schemas = this.rt.dispatcher.recordSchemas(loaded.schema);
    let lastKey: KeyValue[] | null = null;
    if (this.resumeKey && this.resumeKey.table === tableKey(id)) lastKey = this.resumeKey.key ? [...this.resumeKey.key] : null;
    this.resumeKey = null;
    const cursor: TableCursor = { id, schemas, primaryKey: loaded.schema.primaryKey, columns: selectList(loaded.schema), lastKey, exhausted: false };
    if (cursor.primaryKey.length === 0) {
      // One pass: a server-side streaming query, read as rows are needed.
      // The promise API has no streaming query: the core connection underneath does.
      const core = (this.conn as unknown as { connection: CoreConnection }).connection;
      const stream = core.query(`SELECT ${cursor.columns} FROM ${quoteId(id.db)}.${quoteId(id.table)}`).stream({ highWaterMark: cfg.snapshotChunkSize });
      cursor.stream = stream;
      cursor.rows = stream[Symbol.asyncIterator]() as AsyncIterator<Row>;
    }
    logger.info('snapshot of table', { table: tableKey(id), lastKey, primaryKey: cursor.primaryKey });
    return cursor;
  }

  private async fetch(cursor: TableCursor): Promise<Row[]> {
    const n = this.rt.cfg.snapshotChunkSize;
    if (cursor.rows) {
      const rows: Row[] = [];
      while (rows.length < n) {
        const r = await cursor.rows.next();
        if (r.done) {
          cursor.exhausted = true;
          break;
        }
        rows.push(r.value);
      }
      return rows;
    }
    const pk = cursor.primaryKey;
    const from = `${quoteId(cursor.id.db)}.${quoteId(cursor.id.table)}`;
    const order = pk.map(quoteId).join(', ');
    let where = '';
    const params: unknown[] = [];
    if (cursor.lastKey) {
      // (a, b) > (x, y) spelled out, so that every server uses the primary key's range.
      const terms: string[] = [];
      for (let i = 0; i < pk.length; i++) {
        const eq = pk.slice(0, i).map((c, j) => (params.push(cursor.lastKey![j]), `${quoteId(c)} = ?`));
        params.push(cursor.lastKey[i]);
        terms.push(`(${[...eq, `${quoteId(pk[i]!)} > ?`].join(' AND ')})`);
      }
      where = ` WHERE ${terms.join(' OR ')}`;
    }
    params.push(n);
    const rows = await query<Row[]>(this.conn!, this.rt.cfg, `SELECT ${cursor.columns} FROM ${from}${where} ORDER BY ${order} LIMIT ?`, params);
    if (rows.length < n) cursor.exhausted = true;
    const last = rows[rows.length - 1];
    if (last) cursor.lastKey = pk.map((c) => last[c] as KeyValue);
    return rows;
  }

  private release(marker: 'first' | 'true' | 'last'): void {
    const h = this.held!;
    this.held = undefined;
    this.first = false;
    const offset =
      marker === 'last'
        ? snapshotCompletedOffset(this.binlog, this.tsSec(), this.rt.token)
        : snapshotOffset({ binlog: this.binlog, table: tableKey(h.cursor.id), lastKey: h.key, token: this.rt.token }, this.tsSec());
    this.queue.push(this.rt.dispatcher.read(h.cursor.schemas, h.row, this.source(h.cursor.id, marker), offset));
  }

  /** The last record says the snapshot completed: a held row, else a queued schema change, else a heartbeat. */
  private finish(): void {
    this.finished = true;
    if (this.held) this.release('last');
    else {
      const completed = snapshotCompletedOffset(this.binlog, this.tsSec(), this.rt.token);
      const last = this.queue.length - 1;
      if (last >= 0) this.queue[last] = { ...this.queue[last]!, sourceOffset: completed };
      else this.queue.push(this.rt.dispatcher.heartbeat(completed));
    }
    this.rt.logger.info('snapshot completed', { binlog: this.binlog });
  }

  async close(): Promise<void> {
    const midStream = this.current?.stream !== undefined && !this.current.exhausted;
    this.current?.stream?.destroy();
    const conn = this.conn;
    this.conn = undefined;
    if (!conn) return;
    // A streaming query left unread keeps the connection busy: drop it instead.
    if (midStream) return conn.destroy();
    await conn.query('COMMIT').catch(() => undefined);
    await conn.end().catch(() => conn.destroy());
  }
}
