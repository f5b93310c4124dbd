// The MySQL/MariaDB CDC source task. A coordinator, as Debezium's: from the
// stored offset alone it decides between snapshot and streaming, runs the
// snapshot (resumable chunk by chunk across invocations), then streams the
// binlog from the position the snapshot recorded.
//
//   no offset            initial, initial_only, when_needed, always: data snapshot
//                        no_data (schema_only): schemas only, then stream
//                        never: stream from the oldest binlog on the server
//   snapshot running     continue it from its table and last key (no_data, never: stream
//                        from its position instead)
//   streaming offset     stream from it; initial_only: nothing more to do
//   always               a new snapshot at every start: whenever the task config's snapshot
//                        token (new with every connector config; an invocation of the same
//                        config is no new start) differs from the offset's, also over a
//                        snapshot that an earlier config left unfinished
//   binlog purged        when_needed, always: a new snapshot; otherwise FAILED, naming the fix
//
// Every record leaves through one EventDispatcher: data changes, schema
// changes and heartbeats, with Debezium's keys, envelopes and source blocks.

import { ConnectError } from '../../connect/errors.js';
import type { SourceTask, SourceTaskContext } from '../../connect/plugin.js';
import { sourceRecord, type Header, type SourceOffset, type SourcePartition, type SourceRecord } from '../../connect/record.js';
import { bootstrapServers, createKafka } from '../../kafka/client.js';
import type { Logger } from '../../logging.js';
import { resolveMySqlConfig, type MySqlCdcConfig } from './config.js';
import type { SchemaCatalog, TableChange } from './ddl.js';
import {
  envelopeSchema,
  heartbeatTopic,
  makeEnvelope,
  makeHeartbeatKey,
  makeHeartbeatValue,
  makeSchemaChangeKey,
  makeSchemaChangeValue,
  makeSource,
  type ConnectorKind,
  type Op,
  type SourceInfo,
} from './envelope.js';
import { loadOffset, sourcePartitionOf, type BinlogPosition, type LoadedOffset, type StreamingPosition } from './offsets.js';
import { defaultHistoryTopic, KafkaHistoryLog, SchemaHistory } from './schema-history.js';
import { binlogFiles, openConnection, readServerCatalog, SnapshotReader, type SqlConnection } from './snapshot.js';
import { PurgedBinlogError, StreamingReader } from './streaming.js';
import { tableRecordSchemas, type Row, type TableRecordSchemas, type TableSchema } from './table-schema.js';

/** Task config key carrying a token new with every connector config (snapshot.mode=always). */
export const SNAPSHOT_TOKEN_KEY = 'slipway.snapshot.token';

/** What snapshot and streaming share within one task instance. */
export interface CdcRuntime {
  readonly cfg: MySqlCdcConfig;
  readonly kind: ConnectorKind;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  readonly dispatcher: EventDispatcher;
  readonly history: SchemaHistory;
  readonly token: string | null;
  readonly clock: () => number;
  /** The task's SQL connection (opened on first use). */
  sql(): Promise<SqlConnection>;
}

export class MySqlCdcTask implements SourceTask {
  private rt: CdcRuntime | undefined;
  private connection: SqlConnection | undefined;
  private snapshot: SnapshotReader | undefined;
  private streaming: StreamingReader | undefined;
  /** initial_only after its snapshot: nothing more to read. */
  private finished = false;

  constructor(
    private readonly kind: ConnectorKind,
    private readonly versionString: string,
  ) {}

  version(): string {
    return this.versionString;
  }

  async start(config: Readonly<Record<string, string>>, context: SourceTaskContext): Promise<void> {
    const cfg = resolveMySqlConfig(config);
    const logger = context.logger.child({ connector: context.connectorName, server: cfg.topicPrefix });
    const token = config[SNAPSHOT_TOKEN_KEY] ?? null;
    const historyTopic = cfg.history.kafkaTopic ?? defaultHistoryTopic(cfg.topicPrefix);
    const brokers = cfg.history.bootstrapServers ? bootstrapServers({ KAFKA_BOOTSTRAP_SERVERS: cfg.history.bootstrapServers }) : bootstrapServers();
    const kafka = createKafka({ brokers, clientId: `slipway-${cfg.topicPrefix}-schema-history`, logger });
    const history = new SchemaHistory(new KafkaHistoryLog(kafka, brokers.join(','), historyTopic, cfg.topicPrefix, logger), cfg.topicPrefix, logger);
    const rt: CdcRuntime = {
      cfg,
      kind: this.kind,
      logger,
      signal: context.signal,
      dispatcher: new EventDispatcher(cfg, this.kind, this.versionString, logger, Date.now),
      history,
      token,
      clock: Date.now,
      sql: async () => (this.connection ??= await openConnection(cfg, logger)),
    };
    this.rt = rt;
    const stored = loadOffset(await context.offsetStorageReader.offset(rt.dispatcher.partition));
    logger.info('mysql cdc task starting', { snapshotMode: cfg.snapshotMode, offset: stored ?? null });
    await this.begin(stored);
  }

  /** Picks snapshot or streaming from the stored offset and the snapshot mode. */
  private async begin(stored: LoadedOffset | null): Promise<void> {
    const rt = this.rt!;
    const mode = rt.cfg.snapshotMode;
    if (stored === null) {
      if (mode === 'never') return this.streamFrom(await this.oldestPosition(), null);
      return this.startSnapshot(null, mode === 'no_data');
    }
    const storedToken = stored.kind === 'snapshot' ? stored.progress.token : stored.token;
    if (mode === 'always' && rt.token !== null && storedToken !== rt.token) return this.startSnapshot(null, false);
    if (stored.kind === 'snapshot') {
      if (mode === 'no_data' || mode === 'never') return this.streamFrom({ ...stored.progress.binlog, event: 0, row: 0 }, null);
      return this.startSnapshot(stored.progress, false);
    }
    if (mode === 'initial_only') {
      rt.logger.info('snapshot.mode=initial_only and the snapshot is complete: nothing more to read');
      this.finished = true;
      return;
    }
    return this.streamFrom(stored.position, null);
  }

  private async startSnapshot(progress: Parameters<SnapshotReader['start']>[0], schemaOnly: boolean): Promise<void> {
    this.snapshot = new SnapshotReader(this.rt!, schemaOnly);
    await this.snapshot.start(progress);
  }

  /** Streams from `position`; `catalog` is known when a snapshot just read it, else recovered from the history. */
  private async streamFrom(position: StreamingPosition, catalog: SchemaCatalog | null): Promise<void> {
    const rt = this.rt!;
    let viaGtids = false;
    if (!catalog) {
      const files = await binlogFiles(await rt.sql(), rt.cfg);
      if (!files.includes(position.file)) {
        // Another server of the topology (a failover) has other file names: its GTIDs tell.
        if (!position.gtids) return this.onPurged(position, new PurgedBinlogError(position, files));
        rt.logger.warn('the stored binlog file is not on this server; resuming from the stored GTID position', { position });
        viaGtids = true;
      }
    }
    const known = catalog ?? (await this.recoverCatalog(position));
    this.streaming = new StreamingReader(rt, known);
    await this.streaming.start(position, viaGtids);
  }

  private async recoverCatalog(position: BinlogPosition): Promise<SchemaCatalog> {
    const rt = this.rt!;
    const recovered = await rt.history.recover(position);
    if (recovered) return recovered;
    // No history (a new topic, a lost one, or offsets from elsewhere): today's structure,
    // recorded at this position so that the next start finds it.
    rt.logger.warn('no schema history at the stored position; using the current table structures from the server', { position });
    const catalog = await readServerCatalog(await rt.sql(), rt.cfg.filters, rt.logger, rt.cfg);
    await rt.history.recordSnapshot(position, catalog.catalog);
    return catalog.catalog;
  }

  private async onPurged(position: BinlogPosition, err: PurgedBinlogError): Promise<void> {
    const rt = this.rt!;
    await this.streaming?.stop();
    this.streaming = undefined;
    // always snapshots at every start whatever the stored offset says (Debezium): a purge never fails it.
    const mode = rt.cfg.snapshotMode;
    if (mode === 'when_needed' || mode === 'always') {
      rt.logger.warn(`the binlog position is no longer on the server; snapshot.mode=${mode}: taking a new snapshot`, { position });
      return this.startSnapshot(null, false);
    }
    throw err;
  }

  private async oldestPosition(): Promise<StreamingPosition> {
    const files = await binlogFiles(await this.rt!.sql(), this.rt!.cfg);
    if (files.length === 0) throw new ConnectError('The server has no binary log: start it with log_bin, binlog_format=ROW and binlog_row_image=FULL');
    return { file: files[0]!, pos: 4, event: 0, row: 0 };
  }

  async poll(): Promise<SourceRecord[] | null> {
    const rt = this.rt!;
    if (this.snapshot) {
      const records = await this.snapshot.poll();
      if (this.snapshot.done) {
        const { position, catalog } = this.snapshot.result();
        await this.snapshot.close();
        this.snapshot = undefined;
        if (rt.cfg.snapshotMode === 'initial_only') this.finished = true;
        else await this.streamFrom({ ...position, event: 0, row: 0 }, catalog);
      }
      if (records && records.length > 0) return records;
    }
    if (this.streaming) {
      try {
        return await this.streaming.poll();
      } catch (err) {
        if (!(err instanceof PurgedBinlogError)) throw err;
        await this.onPurged(err.position, err);
        return null;
      }
    }
    if (this.finished) await idle(rt.cfg.pollIntervalMs, rt.signal);
    return null;
  }

  async stop(): Promise<void> {
    await this.snapshot?.close().catch(() => undefined);
    await this.streaming?.stop();
    await this.rt?.history.close();
    await this.connection?.end().catch(() => undefined);
    this.connection = undefined;
  }
}

function idle(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

// ---- the one dispatcher of every emit --------------------------------------------------------------------

export class EventDispatcher {
  readonly partition: SourcePartition;
  /** source.name: the topic prefix. */
  readonly serverName: string;
  private readonly schemas = new WeakMap<TableSchema, TableRecordSchemas>();
  private readonly heartbeatKey;

  constructor(
    private readonly cfg: MySqlCdcConfig,
    private readonly kind: ConnectorKind,
    /** source.version */
    readonly version: string,
    private readonly logger: Logger,
    private readonly clock: () => number,
  ) {
    this.partition = sourcePartitionOf(cfg.topicPrefix);
    this.serverName = cfg.topicPrefix;
    this.heartbeatKey = makeHeartbeatKey(cfg.topicPrefix);
  }

  /** Key and value schemas and row converters of a table structure, built once per structure. */
  recordSchemas(table: TableSchema): TableRecordSchemas {
    let s = this.schemas.get(table);
    if (!s) {
      s = tableRecordSchemas(table, { prefix: this.cfg.topicPrefix, modes: this.cfg.modes, columnFilter: this.cfg.filters.column });
      for (const { column, reason } of s.skipped) this.logger.warn('column left out of change events', { table: `${table.db}.${table.table}`, column, reason });
      this.schemas.set(table, s);
    }
    return s;
  }

  private change(schemas: TableRecordSchemas, op: Op, key: unknown, before: Row | null, after: Row | null, info: SourceInfo, offset: SourceOffset, headers: Header[] = []): SourceRecord {
    const envelope = envelopeSchema(schemas.valueSchema, this.kind);
    const value = makeEnvelope(envelope, op, before && schemas.value(before), after && schemas.value(after), makeSource(this.kind, info), this.clock());
    return sourceRecord({ topic: schemas.topic, keySchema: schemas.keySchema, key, valueSchema: envelope, value, sourcePartition: this.partition, sourceOffset: offset, headers });
  }

  private tombstone(schemas: TableRecordSchemas, key: unknown, offset: SourceOffset): SourceRecord {
    return sourceRecord({ topic: schemas.topic, keySchema: schemas.keySchema, key, valueSchema: null, value: null, sourcePartition: this.partition, sourceOffset: offset });
  }

  /** A snapshot read (op r). */
  read(schemas: TableRecordSchemas, row: Row, info: SourceInfo, offset: SourceOffset): SourceRecord {
    return this.change(schemas, 'r', schemas.key(row), null, row, info, offset);
  }

  create(schemas: TableRecordSchemas, row: Row, info: SourceInfo, offset: SourceOffset): SourceRecord {
    return this.change(schemas, 'c', schemas.key(row), null, row, info, offset);
  }

  /** A delete, and its tombstone unless tombstones.on.delete=false. */
  delete(schemas: TableRecordSchemas, row: Row, info: SourceInfo, offset: SourceOffset, headers: Header[] = []): SourceRecord[] {
    const key = schemas.key(row);
    const d = this.change(schemas, 'd', key, row, null, info, offset, headers);
    return this.cfg.tombstonesOnDelete && key !== null ? [d, this.tombstone(schemas, key, offset)] : [d];
  }

  /** An update; one that changes the primary key is a delete (+ tombstone) and a create, as Debezium emits it. */
  update(schemas: TableRecordSchemas, before: Row, after: Row, info: SourceInfo, offset: SourceOffset): SourceRecord[] {
    const oldKey = schemas.key(before);
    const newKey = schemas.key(after);
    if (oldKey === null || newKey === null || oldKey.equals(newKey)) return [this.change(schemas, 'u', newKey, before, after, info, offset)];
    return [
      ...this.delete(schemas, before, info, offset, [{ key: '__debezium.newkey', value: JSON.stringify(newKey.toJSON()) }]),
      this.change(schemas, 'c', newKey, null, after, info, offset, [{ key: '__debezium.oldkey', value: JSON.stringify(oldKey.toJSON()) }]),
    ];
  }

  /** A schema change event to the topic named topic.prefix, keyed by the database. */
  schemaChange(databaseName: string, ddl: string, changes: readonly TableChange[], info: SourceInfo, offset: SourceOffset): SourceRecord {
    const key = makeSchemaChangeKey(this.kind, databaseName);
    const value = makeSchemaChangeValue(this.kind, { source: makeSource(this.kind, info), tsMs: info.tsMs, databaseName, ddl, tableChanges: changes });
    return sourceRecord({ topic: this.cfg.topicPrefix, keySchema: key.schema, key, valueSchema: value.schema, value, sourcePartition: this.partition, sourceOffset: offset });
  }

  /** A heartbeat to __debezium-heartbeat.<prefix>: it carries `offset` when no change event does. */
  heartbeat(offset: SourceOffset): SourceRecord {
    const value = makeHeartbeatValue(this.clock());
    return sourceRecord({
      topic: heartbeatTopic(this.cfg.topicPrefix),
      keySchema: this.heartbeatKey.schema,
      key: this.heartbeatKey,
      valueSchema: value.schema,
      value,
      sourcePartition: this.partition,
      sourceOffset: offset,
    });
  }
}
