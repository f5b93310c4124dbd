// Streaming the binlog: zongji events → Debezium change events, one
// transaction (event group) at a time.
//
// Positions. `committed` is the position after the last complete group (an
// xid, a COMMIT, a standalone DDL): a restart there repeats nothing. Records
// of a group carry the group's start plus how far into it they are
// ({event: row events before this one, row: rows of this event done}), so a
// restart inside a group reads it again and skips exactly what was sent. The
// group's last record, while still in the batch being built, is given the
// committed offset when the group ends, so the common restart point is a
// group boundary. The GTID position is tracked beside file/pos and stored in
// `gtids`. Restarts use file/pos, which the server's own events confirm (and
// the schema history orders by), except when the stored file is not on the
// server, as after a failover to another server of the topology: then the
// GTID position, until the first group end gives exact positions again.
//
// Rows: insert c, update u (a primary key change: d + tombstone + c), delete d +
// tombstone (tombstones.on.delete). `row` in the source block numbers the rows
// of one binlog event; `pos` is the event's own position.
//
// DDL (query events): applied to the catalog by the DDL interpreter, appended
// to the schema history before any later record leaves poll(), and emitted as a
// schema change event (include.schema.changes) when it touched a captured
// table or database. An unparseable statement fails the task with the
// statement in the trace, or is skipped with a warning
// (schema.history.internal.skip.unparseable.ddl=true).
//
// Connection loss (restart, network, silence, our server id taken): reconnect
// with exponential backoff from the group in flight, skipping what was sent.
// Missing grants fail at once; a purged position is a PurgedBinlogError, which
// the task turns into a new snapshot (when_needed) or a failure naming the fix.

import { GtidSet, MariadbGtidPosition, type AnyBinlogEvent, type DeleteRowsEvent, type QueryEvent, type UpdateRowsEvent, type WriteRowsEvent } from '@vlasky/zongji';
import { ConnectError } from '../../connect/errors.js';
import type { SourceOffset, SourceRecord } from '../../connect/record.js';
import { accessProblem, BinlogReader, type BinlogItem, type MysqlError } from './binlog.js';
import { applyDdl, type SchemaCatalog, type TableChange } from './ddl.js';
import { streamingOffset, type BinlogPosition, type StreamingPosition } from './offsets.js';
import { databaseChanges } from './schema-history.js';
import { loadTableSchema } from './snapshot.js';
import type { TableSchema } from './table-schema.js';
import type { SourceInfo } from './envelope.js';
import type { CdcRuntime } from './task.js';

/** The stored binlog position is no longer on the server. */
export class PurgedBinlogError extends ConnectError {
  constructor(
    readonly position: BinlogPosition,
    files: readonly string[] | null,
    cause?: unknown,
  ) {
    const oldest = files && files.length > 0 ? ` (the oldest binlog on the server is ${files[0]})` : '';
    super(
      `The binlog position ${position.file}:${position.pos} this connector must resume from is no longer on the server${oldest}: it was purged while the connector was not reading. ` +
        "Set snapshot.mode=when_needed to take a new snapshot automatically in this case, or reset the connector's offsets (slipway offsets --reset) to start over with a snapshot.",
      { cause },
    );
    this.name = 'PurgedBinlogError';
  }
}

interface Tx {
  readonly start: { readonly file: string; readonly pos: number };
  readonly gtidsBefore: string | null;
  readonly gtid: string | null;
  readonly serverId: number;
  thread: number | null;
  /** Row events seen so far (of any table). */
  rowEvents: number;
  /** What the first group after a (re)start must skip. */
  readonly skip: { readonly event: number; readonly row: number } | null;
}

interface GtidTracker {
  add(gtid: string): void;
  toString(): string;
}

const RECORD_EVENTS = new Set(['writerows', 'updaterows', 'deleterows', 'query']);
/** How long one poll converts before handing out what it has. */
const POLL_BUDGET_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** Our server id taken this many times in a row: another client really uses it. */
const MAX_SERVER_ID_CONFLICTS = 10;

export class StreamingReader {
  private readonly reader: BinlogReader;
  private file = '';
  private committed!: { file: string; pos: number };
  private gtids: GtidTracker | null = null;
  private tx: Tx | null = null;
  private restartSkip: { event: number; row: number } | null = null;
  /** Whether `committed` was confirmed by the server's events (not so after a start from GTIDs). */
  private exact = true;
  private pending: BinlogItem[] = [];
  private pendingIndex = 0;
  /** A row event handed out in parts: its index in the group and the next row. */
  private partial: { index: number; nextRow: number } | undefined;
  /** Index in the batch being built of the open group's last record. */
  private txRecordIndex: number | undefined;
  private reconnectAt = 0;
  private attempts = 0;
  private serverIdConflicts = 0;
  private lastHeartbeat: number;
  private lastTsSec = 0;

  constructor(
    private readonly rt: CdcRuntime,
    private catalog: SchemaCatalog,
  ) {
    const { cfg, logger } = rt;
    this.reader = new BinlogReader({
      access: { host: cfg.hostname, port: cfg.port, user: cfg.user, password: cfg.password, connectTimeoutMs: cfg.connectTimeoutMs },
      serverId: cfg.serverId,
      logger,
      highWater: Math.max(4 * cfg.maxBatchSize, 10_000),
      clock: rt.clock,
    });
    this.lastHeartbeat = rt.clock();
  }

  /** `viaGtids`: the stored file is not on this server; ask for the transactions after `position.gtids`. */
  async start(position: StreamingPosition, viaGtids = false): Promise<void> {
    this.file = position.file;
    this.committed = { file: position.file, pos: position.pos };
    this.restartSkip = position.event > 0 || position.row > 0 ? { event: position.event, row: position.row } : null;
    this.exact = !(viaGtids && position.gtids != null);
    this.gtids = await this.gtidTracker(position);
    this.rt.logger.info('streaming the binlog', { from: position, viaGtids: !this.exact, gtids: this.gtids?.toString() ?? null, serverId: this.rt.cfg.serverId });
    this.reader.start(this.exact ? { file: position.file, pos: position.pos } : { gtids: position.gtids! });
  }

  /** The GTID position at `position`: stored with it, or asked of a MariaDB server. */
  private async gtidTracker(position: StreamingPosition): Promise<GtidTracker | null> {
    let text = position.gtids ?? null;
    try {
      const conn = await this.rt.sql();
      const [[row]] = (await conn.query('SELECT VERSION() AS version')) as unknown as [[{ version: string }]];
      const mariadb = /mariadb/i.test(row.version);
      if (text === null && mariadb) {
        const [[g]] = (await conn.query('SELECT BINLOG_GTID_POS(?, ?) AS g', [position.file, position.pos])) as unknown as [[{ g: string | null }]];
        text = g.g;
      }
      if (text === null) return null;
      if (mariadb) {
        const p = MariadbGtidPosition.parse(text);
        return {
          add: (gtid) => {
            const [d, s, n] = gtid.split('-');
            p.add({ domainId: Number(d), serverId: Number(s), seqNo: n! });
          },
          toString: () => p.toString(),
        };
      }
      const set = GtidSet.parse(text);
      return { add: (gtid) => set.add(gtid), toString: () => set.toString() };
    } catch (err) {
      this.rt.logger.warn('GTID position unknown; offsets carry file and position only', { error: (err as Error).message });
      return null;
    }
  }

  async poll(): Promise<SourceRecord[] | null> {
    const { cfg, signal, clock } = this.rt;
    this.txRecordIndex = undefined;
    if (!this.reader.connected && this.pendingIndex >= this.pending.length) {
      const wait = this.reconnectAt - clock();
      if (wait > 0) {
        await this.reader.waitForItems(Math.min(wait, cfg.pollIntervalMs), signal);
        return this.heartbeatIfDue([]);
      }
      this.reconnect();
    }
    if (this.pendingIndex >= this.pending.length && this.reader.buffered === 0) await this.reader.waitForItems(cfg.pollIntervalMs, signal);
    const out: SourceRecord[] = [];
    const until = clock() + POLL_BUDGET_MS;
    for (;;) {
      if (this.pendingIndex >= this.pending.length) {
        this.pending = this.reader.take(1024);
        this.pendingIndex = 0;
        if (this.pending.length === 0) break;
      }
      const item = this.pending[this.pendingIndex]!;
      const makesRecords = item.kind !== 'event' || RECORD_EVENTS.has(item.event.getEventName());
      if (makesRecords && out.length > 0 && (out.length >= cfg.maxBatchSize || clock() > until || item.kind !== 'event')) break;
      if (!(await this.process(item, out))) break; // a row event larger than the batch: the rest next time
      this.pendingIndex++;
    }
    return this.heartbeatIfDue(out);
  }

  private heartbeatIfDue(out: SourceRecord[]): SourceRecord[] | null {
    const interval = this.rt.cfg.heartbeatIntervalMs;
    const now = this.rt.clock();
    if (interval > 0 && this.tx === null && now - this.lastHeartbeat >= interval) {
      this.lastHeartbeat = now;
      out.push(this.rt.dispatcher.heartbeat(this.committedOffset()));
    }
    return out.length > 0 ? out : null;
  }

  private reconnect(): void {
    const from = this.tx ? this.tx.start : this.committed;
    const gtids = this.tx ? this.tx.gtidsBefore : (this.gtids?.toString() ?? null);
    if (this.tx) {
      // The group in flight is read again: skip the row events it already sent.
      const sent = { event: this.tx.rowEvents, row: 0 };
      const skip = this.tx.skip;
      this.restartSkip = skip && (skip.event > sent.event || (skip.event === sent.event && skip.row > sent.row)) ? skip : sent;
      this.tx = null;
    }
    this.file = from.file;
    this.rt.logger.info('reconnecting to the binlog', { from, gtids: this.exact ? undefined : gtids, skip: this.restartSkip, attempt: this.attempts });
    this.reader.start(this.exact || gtids === null ? { file: from.file, pos: from.pos } : { gtids });
  }

  /** False when a row event only partly fit into `out`. */
  private async process(item: BinlogItem, out: SourceRecord[]): Promise<boolean> {
    if (item.kind === 'lost') {
      this.onLost(item.error as MysqlError);
      return true;
    }
    if (item.kind === 'failed') return this.onFailed(item.error as MysqlError);
    this.attempts = 0;
    const e = item.event;
    switch (e.getEventName()) {
      case 'rotate': {
        const r = e as Extract<AnyBinlogEvent, { getEventName(): 'rotate' }>;
        this.file = r.binlogName;
        if (!this.tx) this.committed = { file: r.binlogName, pos: r.position };
        return true;
      }
      case 'mariadbgtid': {
        const g = e as Extract<AnyBinlogEvent, { getEventName(): 'mariadbgtid' }>;
        this.beginGroup(item.position, g.gtid, g.serverId, g.threadId ?? null);
        return true;
      }
      case 'gtid': {
        const g = e as Extract<AnyBinlogEvent, { getEventName(): 'gtid' }>;
        this.beginGroup(item.position, g.gtid, 0, null);
        return true;
      }
      case 'query':
        await this.onQuery(e as QueryEvent, item.position, out);
        return true;
      case 'writerows':
      case 'updaterows':
      case 'deleterows':
        return this.onRows(e as WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent, item.position, out);
      case 'xid':
        this.lastTsSec = Math.floor(e.timestamp / 1000);
        this.endGroup(e.nextPosition, out);
        return true;
      default:
        return true;
    }
  }

  private onLost(err: MysqlError): void {
    if (err.errno === 4052 && ++this.serverIdConflicts >= MAX_SERVER_ID_CONFLICTS) {
      throw new ConnectError(
        `Another binlog client keeps taking this connector's replica server id ${this.rt.cfg.serverId}: give each connector on this server its own database.server.id (${err.message})`,
        { code: 'CONFIG_INVALID', cause: err },
      );
    }
    const delay = Math.min(MAX_BACKOFF_MS, 250 * 2 ** this.attempts) * (0.5 + Math.random() / 2);
    this.attempts++;
    this.reconnectAt = this.rt.clock() + delay;
    this.rt.logger.warn('binlog connection lost; reconnecting', { error: err.message, code: err.code, errno: err.errno, inMs: Math.round(delay) });
  }

  private onFailed(err: MysqlError): never {
    if (err.errno === 1236) throw new PurgedBinlogError(this.tx?.start ?? this.committed, null, err);
    throw accessProblem(err, this.rt.cfg) ?? new ConnectError(`Reading the binlog failed: ${err.message}`, { cause: err });
  }

  private beginGroup(position: number, gtid: string | null, serverId: number, thread: number | null): void {
    // A group without a commit marker (a standalone statement) ended where the next one begins.
    if (this.tx) this.endGroup(position, null);
    this.tx = {
      start: this.committed,
      gtidsBefore: this.gtids?.toString() ?? null,
      gtid,
      serverId,
      thread,
      rowEvents: 0,
      skip: this.restartSkip,
    };
    this.restartSkip = null;
  }

  /** The group ends at `nextPosition` (0: unknown). Its last record in `out` gets the committed offset. */
  private endGroup(nextPosition: number, out: SourceRecord[] | null): void {
    const tx = this.tx;
    this.tx = null;
    if (nextPosition > 0) {
      this.committed = { file: this.file, pos: nextPosition };
      this.exact = true;
    }
    if (tx?.gtid && this.gtids) this.gtids.add(tx.gtid);
    if (out && this.txRecordIndex !== undefined) {
      const i = this.txRecordIndex;
      out[i] = { ...out[i]!, sourceOffset: this.committedOffset(tx?.serverId) };
    }
    this.txRecordIndex = undefined;
  }

  private committedOffset(serverId?: number): SourceOffset {
    return streamingOffset({ ...this.committed, gtids: this.gtids?.toString() ?? null, event: 0, row: 0 }, this.lastTsSec, serverId ?? null, this.rt.token);
  }

  private async onQuery(e: QueryEvent, position: number, out: SourceRecord[]): Promise<void> {
    const sql = e.query.trim();
    const head = sql.slice(0, 24).toUpperCase();
    if (/^(BEGIN|START TRANSACTION)\b/.test(head)) {
      if (!this.tx) this.beginGroup(position, null, 0, e.slaveProxyId);
      else this.tx.thread ??= e.slaveProxyId;
      return;
    }
    if (/^(COMMIT|ROLLBACK|XA COMMIT|XA ROLLBACK)\b/.test(head) && !/^ROLLBACK\s+TO\b/.test(head)) return this.endGroup(e.nextPosition, out);
    if (/^(XA |SAVEPOINT|RELEASE SAVEPOINT|ROLLBACK\s+TO)\b/.test(head) || sql === '') return;
    if (!this.tx) this.beginGroup(position, null, 0, e.slaveProxyId);
    await this.onDdl(e, position, out);
  }

  private async onDdl(e: QueryEvent, position: number, out: SourceRecord[]): Promise<void> {
    const { cfg, logger, history, dispatcher } = this.rt;
    const tx = this.tx!;
    const inGroup = tx.rowEvents > 0;
    const result = applyDdl(this.catalog, e.query, e.schema || null);
    if (result.kind === 'unparseable') {
      if (cfg.history.skipUnparseableDdl) {
        logger.warn('skipping a DDL statement that cannot be parsed (schema.history.internal.skip.unparseable.ddl=true)', { statement: e.query, reason: result.reason, file: this.file, pos: position });
      } else {
        throw new ConnectError(
          `Cannot parse the DDL statement at ${this.file}:${position}: ${result.reason}. Statement: ${e.query} ` +
            '(set schema.history.internal.skip.unparseable.ddl=true to skip such statements; the table structures may then be wrong)',
          { code: 'DATA_INVALID' },
        );
      }
    }
    const tracked = (db: string) => cfg.filters.database(db);
    let changes: TableChange[] = [];
    let databases: string[] = [];
    if (result.kind === 'changed') {
      this.catalog = new Map([...result.catalog].filter(([name]) => tracked(name)));
      changes = result.changes.filter((c) => tracked(c.table.db) || (c.previousId !== undefined && tracked(c.previousId.db)));
      databases = result.databases.filter(tracked);
    }
    this.lastTsSec = Math.floor(e.timestamp / 1000);
    // A statement of its own ends its group: its records carry the position after it.
    if (!inGroup) this.endGroup(e.nextPosition, out);
    if (changes.length === 0 && databases.length === 0) return;
    await history.recordDdl(
      { file: this.file, pos: e.nextPosition, gtids: inGroup ? null : (this.gtids?.toString() ?? null) },
      e.schema || null,
      e.query,
      changes,
      databaseChanges(this.catalog, databases),
    );
    const captured = changes.filter((c) => cfg.filters.table(c.table.db, c.table.table));
    if (!cfg.includeSchemaChanges || (captured.length === 0 && changes.length > 0)) return;
    const databaseName = captured[0]?.table.db ?? databases[0] ?? e.schema;
    const info: SourceInfo = {
      version: dispatcher.version,
      name: dispatcher.serverName,
      tsMs: e.timestamp,
      db: databaseName,
      table: captured.length > 0 ? [...new Set(captured.map((c) => c.table.table))].join(',') : null,
      serverId: tx.serverId,
      gtid: tx.gtid,
      file: this.file,
      pos: position,
      row: 0,
      thread: e.slaveProxyId,
    };
    const offset = inGroup ? this.groupOffset(tx, tx.rowEvents, 0, this.lastTsSec) : this.committedOffset(tx.serverId);
    out.push(dispatcher.schemaChange(databaseName, e.query, captured, info, offset));
  }

  private groupOffset(tx: Tx, event: number, row: number, tsSec: number): SourceOffset {
    return streamingOffset({ file: tx.start.file, pos: tx.start.pos, gtids: tx.gtidsBefore, event, row }, tsSec, tx.serverId, this.rt.token);
  }

  /** False when `out` filled up before the event's last row: it continues from `partial`. */
  private async onRows(e: WriteRowsEvent | UpdateRowsEvent | DeleteRowsEvent, position: number, out: SourceRecord[]): Promise<boolean> {
    if (!this.tx) this.beginGroup(position, null, 0, null);
    const tx = this.tx!;
    let index: number;
    let from = 0;
    if (this.partial) {
      ({ index, nextRow: from } = this.partial);
      this.partial = undefined;
    } else {
      index = tx.rowEvents++;
      if (tx.skip) {
        if (index < tx.skip.event) return true;
        if (index === tx.skip.event) from = tx.skip.row;
      }
    }
    const entry = e.tableMap[e.tableId];
    if (!entry) {
      this.rt.logger.warn('row event without its table map; skipped', { file: this.file, pos: position });
      return true;
    }
    const db = entry.parentSchema;
    const name = entry.tableName;
    if (!this.rt.cfg.filters.table(db, name)) return true;
    const table = await this.tableSchema(db, name);
    if (!table) return true;
    const { dispatcher } = this.rt;
    const { version, serverName } = dispatcher;
    const schemas = dispatcher.recordSchemas(table);
    const tsSec = (this.lastTsSec = Math.floor(e.timestamp / 1000));
    const before = out.length;
    const kind = e.getEventName();
    const max = this.rt.cfg.maxBatchSize;
    for (let r = from; r < e.rows.length; r++) {
      if (out.length >= max) {
        this.partial = { index, nextRow: r };
        if (out.length > before) this.txRecordIndex = out.length - 1;
        return false;
      }
      const offset = this.groupOffset(tx, index, r + 1, tsSec);
      const info: SourceInfo = { version, name: serverName, tsMs: e.timestamp, db, table: name, serverId: tx.serverId, gtid: tx.gtid, file: this.file, pos: position, row: r, thread: tx.thread };
      if (kind === 'writerows') out.push(dispatcher.create(schemas, (e as WriteRowsEvent).rows[r]!, info, offset));
      else if (kind === 'deleterows') out.push(...dispatcher.delete(schemas, (e as DeleteRowsEvent).rows[r]!, info, offset));
      else {
        const { before: b, after: a } = (e as UpdateRowsEvent).rows[r]!;
        out.push(...dispatcher.update(schemas, b, a, info, offset));
      }
    }
    if (out.length > before) this.txRecordIndex = out.length - 1;
    return true;
  }

  /** The structure of a captured table; one the history does not know is read from the server as it is now. */
  private async tableSchema(db: string, name: string): Promise<TableSchema | undefined> {
    const known = this.catalog.get(db)?.tables.get(name);
    if (known) return known;
    const { cfg, logger } = this.rt;
    const loaded = await loadTableSchema(await this.rt.sql(), cfg, db, name, this.catalog.get(db)?.charset ?? null);
    if (!loaded) {
      logger.warn('change event for a table whose structure is unknown and that no longer exists; skipped', { table: `${db}.${name}`, file: this.file });
      return undefined;
    }
    logger.warn('change event for a table the schema history does not know; using its current structure', { table: `${db}.${name}` });
    const dbSchema = this.catalog.get(db) ?? { name: db, charset: null, tables: new Map() };
    const catalog = new Map(this.catalog);
    catalog.set(db, { ...dbSchema, tables: new Map([...dbSchema.tables, [name, loaded.schema]]) });
    this.catalog = catalog;
    return loaded.schema;
  }

  async stop(): Promise<void> {
    this.reader.stop();
  }
}
