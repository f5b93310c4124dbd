// The schema history: which table structures apply at a binlog position, so
// that a task started at any stored offset decodes the rows after it with the
// structure they were written with, not with today's.
//
// Where it lives, and why: in a Kafka topic, as Debezium keeps it
// (schema.history.internal.kafka.topic, default `<topic.prefix>.schema-history`;
// bootstrap servers from schema.history.internal.kafka.bootstrap.servers, else
// KAFKA_BOOTSTRAP_SERVERS). The source offset is stored in one DynamoDB item
// per partition and must stay small, so the history cannot ride in it; a task
// has no access to Slipway's table other than through offsets; and re-reading
// INFORMATION_SCHEMA at start is wrong whenever a DDL ran between the stored
// position and now. Costs: each task start reads the topic (a consumer group
// join, up to group.initial.rebalance.delay.ms), and the topic must keep
// everything: one partition, cleanup.policy=delete, retention.ms=-1 (it is not
// compacted: a compacted topic keeps only the last value per key, and a
// restart may need an older structure than the newest).
//
// Records (key: the topic prefix; value: JSON), appended before any record
// that depends on them leaves poll():
//   {"v":1,"server","type":"snapshot","id","part","parts","position","ts_ms","databases":[{name,charset,tables:[TableSchema]}]}
//       every captured database's tables at a snapshot's binlog position, split
//       into parts of at most ~256 KB; a snapshot counts only when all parts arrived
//   {"v":1,"server","type":"ddl","position","ts_ms","databaseName","ddl","changes":[{type,table,previousId?}],
//    "databases":[{name,charset} | {name,dropped:true}]}
//       one DDL statement: the full structure of every table it created, altered
//       or dropped (position = just after the statement)
// Recovery at position P: the last complete snapshot (in topic order) at or
// before P, then every DDL record after it in the topic whose position lies
// after the snapshot's and at or before P. Records hold whole table structures,
// never only statements, so applying one twice (a dead invocation's record,
// written again by its successor) gives the same catalog, and a DDL parser
// change never alters what was recorded.

import { randomUUID } from 'node:crypto';
import { Partitioners, type Kafka } from 'kafkajs';
import { ConnectError, RetriableError } from '../../connect/errors.js';
import type { Logger } from '../../logging.js';
import type { DatabaseSchema, SchemaCatalog, TableChange, TableId } from './ddl.js';
import { compareBinlogPositions, type BinlogPosition } from './offsets.js';
import type { TableSchema } from './table-schema.js';

const VERSION = 1;
/** A snapshot record's databases are split so that no Kafka message nears the 1 MB default limit. */
const MAX_PART_BYTES = 256 * 1024;
/** How long reading the topic may go without progress. */
const READ_STALL_MS = 30_000;

export function defaultHistoryTopic(topicPrefix: string): string {
  return `${topicPrefix}.schema-history`;
}

interface SnapshotRecord {
  v: number;
  server: string;
  type: 'snapshot';
  id: string;
  part: number;
  parts: number;
  position: BinlogPosition;
  ts_ms: number;
  databases: Array<{ name: string; charset: string | null; tables: TableSchema[] }>;
}

export interface DatabaseChange {
  readonly name: string;
  readonly charset?: string | null;
  readonly dropped?: boolean;
}

interface DdlRecord {
  v: number;
  server: string;
  type: 'ddl';
  position: BinlogPosition;
  ts_ms: number;
  databaseName: string | null;
  ddl: string;
  changes: Array<{ type: TableChange['type']; table: TableSchema; previousId?: TableId }>;
  databases: DatabaseChange[];
}

type HistoryRecord = SnapshotRecord | DdlRecord;

/** Where the history is kept: a Kafka topic in production, a list in tests. */
export interface HistoryLog {
  /** Every record, in the order appended. */
  readAll(): Promise<string[]>;
  /** Appends durably (acks=all) before resolving. */
  append(values: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

export class SchemaHistory {
  constructor(
    private readonly log: HistoryLog,
    private readonly server: string,
    private readonly logger: Logger,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The catalog that applies at `position`, or null when the history holds no snapshot at or before it. */
  async recover(position: BinlogPosition): Promise<SchemaCatalog | null> {
    const values = await this.log.readAll();
    const records: HistoryRecord[] = [];
    for (const [i, text] of values.entries()) {
      let r: HistoryRecord;
      try {
        r = JSON.parse(text) as HistoryRecord;
      } catch {
        this.logger.warn('schema history: skipping a record that is not JSON', { index: i });
        continue;
      }
      if (r.server !== this.server) continue; // a topic shared with another connector
      if (r.v !== VERSION) throw new ConnectError(`Schema history record ${i} has version ${String(r.v)}; this Slipway reads version ${VERSION}`);
      records.push(r);
    }
    return foldHistory(records, position);
  }

  /** Records the catalog a snapshot read at `position`. */
  async recordSnapshot(position: BinlogPosition, catalog: SchemaCatalog): Promise<void> {
    const id = randomUUID();
    const ts = this.clock();
    const parts: SnapshotRecord['databases'][] = [[]];
    let size = 0;
    for (const db of catalog.values()) {
      let entry = { name: db.name, charset: db.charset, tables: [] as TableSchema[] };
      parts[parts.length - 1]!.push(entry);
      for (const table of db.tables.values()) {
        const bytes = JSON.stringify(table).length;
        if (size > 0 && size + bytes > MAX_PART_BYTES) {
          entry = { name: db.name, charset: db.charset, tables: [] };
          parts.push([entry]);
          size = 0;
        }
        entry.tables.push(table);
        size += bytes;
      }
    }
    await this.log.append(
      parts.map((databases, part) => JSON.stringify({ v: VERSION, server: this.server, type: 'snapshot', id, part, parts: parts.length, position, ts_ms: ts, databases } satisfies SnapshotRecord)),
    );
  }

  /** Records one DDL statement's effect: the full structure of every table it touched. */
  async recordDdl(position: BinlogPosition, databaseName: string | null, ddl: string, changes: readonly TableChange[], databases: readonly DatabaseChange[]): Promise<void> {
    const record: DdlRecord = {
      v: VERSION,
      server: this.server,
      type: 'ddl',
      position,
      ts_ms: this.clock(),
      databaseName,
      ddl,
      changes: changes.map((c) => ({ type: c.type, table: c.table, ...(c.previousId ? { previousId: c.previousId } : {}) })),
      databases: [...databases],
    };
    await this.log.append([JSON.stringify(record)]);
  }

  close(): Promise<void> {
    return this.log.close();
  }
}

type MutableCatalog = Map<string, { name: string; charset: string | null; tables: Map<string, TableSchema> }>;

/** The catalog at `position` from history records in topic order (see the file comment). */
function foldHistory(records: readonly HistoryRecord[], position: BinlogPosition): SchemaCatalog | null {
  // Complete snapshots at or before the position; the last one in topic order wins.
  const parts = new Map<string, { seen: Set<number>; parts: number; records: SnapshotRecord[]; lastIndex: number }>();
  records.forEach((r, i) => {
    if (r.type !== 'snapshot') return;
    let s = parts.get(r.id);
    if (!s) parts.set(r.id, (s = { seen: new Set(), parts: r.parts, records: [], lastIndex: i }));
    s.seen.add(r.part);
    s.records.push(r);
    s.lastIndex = i;
  });
  let best: { records: SnapshotRecord[]; lastIndex: number } | undefined;
  for (const s of parts.values()) {
    if (s.seen.size !== s.parts || compareBinlogPositions(s.records[0]!.position, position) > 0) continue;
    if (!best || s.lastIndex > best.lastIndex) best = s;
  }
  if (!best) return null;
  const catalog: MutableCatalog = new Map();
  for (const r of best.records) {
    for (const db of r.databases) {
      let d = catalog.get(db.name);
      if (!d) catalog.set(db.name, (d = { name: db.name, charset: db.charset, tables: new Map() }));
      for (const t of db.tables) d.tables.set(t.table, t);
    }
  }
  const snapshotPosition = best.records[0]!.position;
  for (const r of records.slice(best.lastIndex + 1)) {
    if (r.type !== 'ddl') continue;
    if (compareBinlogPositions(r.position, snapshotPosition) <= 0 || compareBinlogPositions(r.position, position) > 0) continue;
    applyDdlRecord(catalog, r);
  }
  return catalog as SchemaCatalog;
}

function applyDdlRecord(catalog: MutableCatalog, r: DdlRecord): void {
  for (const db of r.databases) {
    if (db.dropped) continue;
    const d = catalog.get(db.name);
    if (d) d.charset = db.charset ?? d.charset;
    else catalog.set(db.name, { name: db.name, charset: db.charset ?? null, tables: new Map() });
  }
  for (const c of r.changes) {
    const { db, table } = c.table;
    if (c.previousId) catalog.get(c.previousId.db)?.tables.delete(c.previousId.table);
    if (c.type === 'DROP') {
      catalog.get(db)?.tables.delete(table);
      continue;
    }
    let d = catalog.get(db);
    if (!d) catalog.set(db, (d = { name: db, charset: null, tables: new Map() }));
    d.tables.set(table, c.table);
  }
  for (const db of r.databases) if (db.dropped) catalog.delete(db.name);
}

/** A catalog's databases as history records name them after a DDL touched them. */
export function databaseChanges(catalog: SchemaCatalog, names: readonly string[]): DatabaseChange[] {
  return names.map((name) => {
    const d: DatabaseSchema | undefined = catalog.get(name);
    return d ? { name, charset: d.charset } : { name, dropped: true };
  });
}

// ---- the Kafka topic ------------------------------------------------------------------------------

/**
 * What this process last read of (or appended to) each history topic, up to
 * which offset. A warm execution environment that starts the next task
 * invocation finds the topic's end unchanged and skips the consumer group.
 */
const readCache = new Map<string, { end: number; values: string[] }>();

/** The history topic: one partition, nothing ever deleted. */
export class KafkaHistoryLog implements HistoryLog {
  private producer: ReturnType<Kafka['producer']> | undefined;
  private ensured = false;

  /**
   * `cluster` names the Kafka cluster (its bootstrap servers) for the read cache;
   * `key` is the record key and part of the throwaway consumer group's name.
   */
  constructor(
    private readonly kafka: Kafka,
    private readonly cluster: string,
    private readonly topic: string,
    private readonly key: string,
    private readonly logger: Logger,
  ) {}

  private get cacheKey(): string {
    return `${this.cluster}/${this.topic}`;
  }

  private async ensureTopic(): Promise<boolean> {
    if (this.ensured) return true;
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const exists = (await admin.listTopics()).includes(this.topic);
      if (!exists) {
        await admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic: this.topic,
              numPartitions: 1,
              configEntries: [
                { name: 'cleanup.policy', value: 'delete' },
                { name: 'retention.ms', value: '-1' },
                { name: 'retention.bytes', value: '-1' },
              ],
            },
          ],
        });
        this.logger.info('schema history topic created', { topic: this.topic });
      } else {
        const [meta] = (await admin.fetchTopicMetadata({ topics: [this.topic] })).topics;
        if ((meta?.partitions.length ?? 1) !== 1) {
          throw new ConnectError(`The schema history topic ${this.topic} has ${meta!.partitions.length} partitions; it needs exactly 1 so that its records stay in order`, {
            code: 'CONFIG_INVALID',
          });
        }
      }
      this.ensured = true;
      return exists;
    } finally {
      await admin.disconnect();
    }
  }

  async readAll(): Promise<string[]> {
    const existed = await this.ensureTopic();
    if (!existed) return [];
    const admin = this.kafka.admin();
    await admin.connect();
    let end: number;
    try {
      const [p] = await admin.fetchTopicOffsets(this.topic);
      end = Number(p?.high ?? 0);
      if (end === 0 || Number(p?.low ?? 0) >= end) return [];
    } finally {
      await admin.disconnect();
    }
    const cached = readCache.get(this.cacheKey);
    if (cached?.end === end) return [...cached.values];
    // kafkajs reads only through a consumer group: a throwaway one, never committed.
    const consumer = this.kafka.consumer({ groupId: `slipway-schema-history-${this.key}-${randomUUID()}`, maxWaitTimeInMs: 200, allowAutoTopicCreation: false });
    const values: string[] = [];
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await new Promise<void>((resolve, reject) => {
        let lastProgress = Date.now();
        const watchdog = setInterval(() => {
          if (Date.now() - lastProgress > READ_STALL_MS) {
            clearInterval(watchdog);
            reject(new RetriableError(`Reading the schema history topic ${this.topic} stalled at ${values.length} of ${end} records`));
          }
        }, 1000);
        consumer
          .run({
            autoCommit: false,
            eachMessage: async ({ message }) => {
              lastProgress = Date.now();
              if (message.value) values.push(message.value.toString('utf8'));
              if (Number(message.offset) + 1 >= end) {
                clearInterval(watchdog);
                resolve();
              }
            },
          })
          .catch((err: unknown) => {
            clearInterval(watchdog);
            reject(err instanceof Error ? err : new Error(String(err)));
          });
      });
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    readCache.set(this.cacheKey, { end, values: [...values] });
    return values;
  }

  async append(values: readonly string[]): Promise<void> {
    await this.ensureTopic();
    if (!this.producer) {
      const producer = this.kafka.producer({ idempotent: true, maxInFlightRequests: 1, allowAutoTopicCreation: false, createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      this.producer = producer;
    }
    const [meta] = await this.producer.send({ topic: this.topic, acks: -1, messages: values.map((value) => ({ key: this.key, value })) });
    const cached = readCache.get(this.cacheKey);
    if (cached && meta && Number(meta.baseOffset) === cached.end) {
      cached.values.push(...values);
      cached.end += values.length;
    } else readCache.delete(this.cacheKey);
  }

  async close(): Promise<void> {
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }
}
