// The MySQL/MariaDB CDC connector's config spec, under Debezium's names. Every
// renamed key is accepted under its old name too (database.server.name,
// database.whitelist, database.history.*, …), so an existing Debezium config
// runs unchanged. resolveMySqlConfig() maps old names to new ones: a key given
// under both names with different values is a ConfigError naming both, except
// topic.prefix, which wins over database.server.name as in Debezium 2.x (whose
// configs often still carry the old key beside the new one).
//
// Filters follow Debezium: comma-separated regular expressions (a literal
// comma inside one written '\,'), each matched case-insensitively against the
// whole name: databases against `db`, tables against `db.table`, columns
// against `db.table.column`. An include list and the matching exclude list
// cannot both be set. MySQL's own schemas (mysql, sys, performance_schema,
// information_schema) are never captured.

import { atLeast, defineConfig, oneOf, range, regex, validator, type RawConfig } from '../../connect/config/config-def.js';
import { ConfigError, type ConfigIssue } from '../../connect/errors.js';
import type { BigIntUnsignedHandlingMode, DecimalHandlingMode, TimePrecisionMode, TypeModes } from './types.js';

const CONNECTION = 'Connection';
const FILTERS = 'Filters';
const EVENTS = 'Events';
const SNAPSHOT = 'Snapshot';
const HISTORY = 'Schema history';
const PERFORMANCE = 'Performance';

export const SNAPSHOT_MODES = ['initial', 'initial_only', 'when_needed', 'no_data', 'schema_only', 'never', 'always'] as const;
/** schema_only is resolved to its new name, no_data. */
export type SnapshotMode = Exclude<(typeof SNAPSHOT_MODES)[number], 'schema_only'>;
export type SnapshotLockingMode = 'minimal' | 'none' | 'extended';

/** Splits a Debezium regex list: commas separate, except escaped ('\,') or inside (), [] or {}. */
export function splitRegexList(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && text[i + 1] === ',') {
      cur += ',';
      i++;
      continue;
    }
    if (c === '\\' && i + 1 < text.length) {
      cur += c + text[++i];
      continue;
    }
    if (c === '(' || c === '[' || c === '{') depth++;
    else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
    if (c === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  out.push(cur.trim());
  return out.filter((s) => s !== '');
}

const regexList = validator('comma-separated regular expressions', (v) => {
  if (typeof v !== 'string') return 'Value must be a string';
  for (const r of splitRegexList(v)) {
    try {
      new RegExp(r);
    } catch (err) {
      return `Invalid regular expression ${JSON.stringify(r)}: ${(err as Error).message}`;
    }
  }
  return undefined;
});

const topicPart = regex(/[a-zA-Z0-9._-]+/, 'a Kafka topic name part: letters, digits, ".", "_" and "-"');

const filterDoc = (action: 'capture' | 'leave out', what: string, other: string) =>
  `Comma-separated regular expressions, each matched case-insensitively against the whole ${what}: those to ${action}. Cannot be set together with ${other}.`;

/** [new name, old name]. */
export const RENAMED_KEYS: ReadonlyArray<readonly [string, string]> = [
  ['topic.prefix', 'database.server.name'],
  ['database.include.list', 'database.whitelist'],
  ['database.exclude.list', 'database.blacklist'],
  ['table.include.list', 'table.whitelist'],
  ['table.exclude.list', 'table.blacklist'],
  ['column.include.list', 'column.whitelist'],
  ['column.exclude.list', 'column.blacklist'],
  ['schema.history.internal.kafka.topic', 'database.history.kafka.topic'],
  ['schema.history.internal.kafka.bootstrap.servers', 'database.history.kafka.bootstrap.servers'],
  ['schema.history.internal.skip.unparseable.ddl', 'database.history.skip.unparseable.ddl'],
  ['snapshot.chunk.size', 'snapshot.fetch.size'],
];

/** A key and its old name. */
const bothNames = (key: string): string[] => [key, ...RENAMED_KEYS.filter(([now]) => now === key).map(([, old]) => old)];

/** Include and exclude lists (each under its new and old name) that cannot both be set. */
const EXCLUSIVE = ['database', 'table', 'column'].map((what) => [bothNames(`${what}.include.list`), bothNames(`${what}.exclude.list`)] as const);

export const mysqlCdcConfig = defineConfig(
  [
    { name: 'database.hostname', type: 'string', required: true, validator: regex(/\S+/, 'a host name'), importance: 'high', group: CONNECTION, doc: 'Host name or IP address of the MySQL or MariaDB server.' },
    { name: 'database.port', type: 'int', default: 3306, validator: range(1, 65535), importance: 'high', group: CONNECTION, doc: 'Port of the MySQL or MariaDB server.' },
    { name: 'database.user', type: 'string', required: true, validator: regex(/\S+/, 'a user name'), importance: 'high', group: CONNECTION, doc: 'User to connect as (needs REPLICATION SLAVE, REPLICATION CLIENT and SELECT).' },
    { name: 'database.password', type: 'password', default: null, importance: 'high', group: CONNECTION, doc: 'Password of the user.' },
    {
      name: 'database.server.id',
      type: 'long',
      default: null,
      validator: range(1, 4294967295),
      importance: 'low',
      group: CONNECTION,
      doc: 'Replica server id of the binlog client; unique among the replicas of the server. Default: a stable number derived from topic.prefix.',
    },
    { name: 'connect.timeout.ms', type: 'long', default: 30000, validator: atLeast(1), importance: 'low', group: CONNECTION, doc: 'How long to wait for a connection to the server, in milliseconds.' },
    { name: 'topic.prefix', type: 'string', default: null, validator: topicPart, importance: 'high', group: EVENTS, doc: 'Logical name of the server: prefix of every topic and the source.name of every event. Required (or its old name database.server.name).' },
    { name: 'database.server.name', type: 'string', default: null, validator: topicPart, importance: 'low', group: EVENTS, doc: 'Old name of topic.prefix; topic.prefix wins when both are set.' },
    { name: 'database.include.list', type: 'string', default: null, validator: regexList, importance: 'high', group: FILTERS, doc: filterDoc('capture', 'database name', 'database.exclude.list') },
    { name: 'database.whitelist', type: 'string', default: null, validator: regexList, importance: 'low', group: FILTERS, doc: 'Old name of database.include.list.' },
    { name: 'database.exclude.list', type: 'string', default: null, validator: regexList, importance: 'medium', group: FILTERS, doc: filterDoc('leave out', 'database name', 'database.include.list') },
    { name: 'database.blacklist', type: 'string', default: null, validator: regexList, importance: 'low', group: FILTERS, doc: 'Old name of database.exclude.list.' },
    { name: 'table.include.list', type: 'string', default: null, validator: regexList, importance: 'high', group: FILTERS, doc: filterDoc('capture', '`db.table`', 'table.exclude.list') },
    { name: 'table.whitelist', type: 'string', default: null, validator: regexList, importance: 'low', group: FILTERS, doc: 'Old name of table.include.list.' },
    { name: 'table.exclude.list', type: 'string', default: null, validator: regexList, importance: 'medium', group: FILTERS, doc: filterDoc('leave out', '`db.table`', 'table.include.list') },
    { name: 'table.blacklist', type: 'string', default: null, validator: regexList, importance: 'low', group: FILTERS, doc: 'Old name of table.exclude.list.' },
    { name: 'column.include.list', type: 'string', default: null, validator: regexList, importance: 'medium', group: FILTERS, doc: filterDoc('capture', '`db.table.column`', 'column.exclude.list') },
    { name: 'column.whitelist', type: 'string', default: null, validator: regexList, importance: 'low', group: FILTERS, doc: 'Old name of column.include.list.' },
    { name: 'column.exclude.list', type: 'string', default: null, validator: regexList, importance: 'medium', group: FILTERS, doc: filterDoc('leave out', '`db.table.column`', 'column.include.list') },
    { name: 'column.blacklist', type: 'string', default: null, validator: regexList, importance: 'low', group: FILTERS, doc: 'Old name of column.exclude.list.' },
    { name: 'include.schema.changes', type: 'boolean', default: true, importance: 'medium', group: EVENTS, doc: 'Emit schema change events (DDL) to the topic named topic.prefix.' },
    { name: 'tombstones.on.delete', type: 'boolean', default: true, importance: 'medium', group: EVENTS, doc: 'Follow each delete event with a tombstone (null value), so compaction can drop the key.' },
    { name: 'heartbeat.interval.ms', type: 'int', default: 0, validator: atLeast(0), importance: 'low', group: EVENTS, doc: 'Interval of heartbeat events to __debezium-heartbeat.<topic.prefix>, in milliseconds; 0 disables them.' },
    {
      name: 'decimal.handling.mode',
      type: 'string',
      default: 'precise',
      validator: oneOf(['precise', 'double', 'string'], { caseInsensitive: true }),
      importance: 'medium',
      group: EVENTS,
      doc: 'DECIMAL and NUMERIC as exact Connect Decimals (precise), as doubles (double), or as strings (string).',
    },
    {
      name: 'time.precision.mode',
      type: 'string',
      default: 'adaptive_time_microseconds',
      validator: oneOf(['adaptive_time_microseconds', 'adaptive', 'connect'], { caseInsensitive: true }),
      importance: 'medium',
      group: EVENTS,
      doc: "Temporal values with Debezium's types at the column's precision (adaptive_time_microseconds: TIME always in µs; adaptive), or with Kafka Connect's Date, Time and Timestamp in milliseconds (connect).",
    },
    {
      name: 'bigint.unsigned.handling.mode',
      type: 'string',
      default: 'long',
      validator: oneOf(['long', 'precise'], { caseInsensitive: true }),
      importance: 'medium',
      group: EVENTS,
      doc: 'BIGINT UNSIGNED as int64 (long; values above 2^63-1 wrap) or as an exact Decimal with scale 0 (precise).',
    },
    {
      name: 'snapshot.mode',
      type: 'string',
      default: 'initial',
      validator: oneOf(SNAPSHOT_MODES, { caseInsensitive: true }),
      importance: 'high',
      group: SNAPSHOT,
      doc: 'initial: snapshot, then stream; initial_only: snapshot and stop; when_needed: snapshot when no offset is stored or the binlog position is gone; no_data (old name schema_only): schemas only, then stream; never: stream from the start of the binlog; always: snapshot at every start of the connector config (created or changed; an invocation continuing from its predecessor, a resume or a REST restart is not a new start, so those do not snapshot again).',
    },
    {
      name: 'snapshot.locking.mode',
      type: 'string',
      default: 'minimal',
      validator: oneOf(['minimal', 'none', 'extended'], { caseInsensitive: true }),
      importance: 'low',
      group: SNAPSHOT,
      doc: 'How long the snapshot holds the global read lock: while it reads the schemas and the binlog position (minimal), not at all (none), or for the whole snapshot (extended).',
    },
    { name: 'snapshot.chunk.size', type: 'int', default: 10000, validator: atLeast(1), importance: 'medium', group: SNAPSHOT, doc: 'Rows per primary-key chunk of the snapshot; the offset records the last key of each finished chunk.' },
    { name: 'snapshot.fetch.size', type: 'int', default: null, validator: atLeast(1), importance: 'low', group: SNAPSHOT, doc: "Debezium's name for the rows read at a time during the snapshot; taken as snapshot.chunk.size." },
    { name: 'schema.history.internal.kafka.topic', type: 'string', default: null, validator: topicPart, importance: 'low', group: HISTORY, doc: 'Kafka topic of the schema history, as in Debezium.' },
    { name: 'database.history.kafka.topic', type: 'string', default: null, validator: topicPart, importance: 'low', group: HISTORY, doc: 'Old name of schema.history.internal.kafka.topic.' },
    { name: 'schema.history.internal.kafka.bootstrap.servers', type: 'string', default: null, importance: 'low', group: HISTORY, doc: 'Bootstrap servers of the schema history topic, as in Debezium.' },
    { name: 'database.history.kafka.bootstrap.servers', type: 'string', default: null, importance: 'low', group: HISTORY, doc: 'Old name of schema.history.internal.kafka.bootstrap.servers.' },
    {
      name: 'schema.history.internal.skip.unparseable.ddl',
      type: 'boolean',
      default: false,
      importance: 'low',
      group: HISTORY,
      doc: 'Skip a DDL statement that cannot be parsed, with a warning, instead of failing the task.',
    },
    { name: 'database.history.skip.unparseable.ddl', type: 'boolean', default: null, importance: 'low', group: HISTORY, doc: 'Old name of schema.history.internal.skip.unparseable.ddl.' },
    { name: 'max.batch.size', type: 'int', default: 2048, validator: atLeast(1), importance: 'low', group: PERFORMANCE, doc: 'Maximum number of records returned by one poll.' },
    { name: 'poll.interval.ms', type: 'long', default: 500, validator: atLeast(0), importance: 'low', group: PERFORMANCE, doc: 'How long a poll waits for new events before returning none, in milliseconds.' },
  ],
  {
    checks: [
      (v) => (v['topic.prefix'] === null && v['database.server.name'] === null ? [{ field: 'topic.prefix', message: 'Missing required configuration "topic.prefix" (or its old name "database.server.name") which has no default value.' }] : []),
      (v) => {
        const issues: ConfigIssue[] = [];
        for (const [include, exclude] of EXCLUSIVE) {
          const inc = include.find((k) => v[k] !== null);
          const exc = exclude.find((k) => v[k] !== null);
          if (inc && exc) issues.push({ field: exc, message: `"${inc}" and "${exc}" cannot both be set: capture by an include list or by an exclude list, not both.` });
        }
        return issues;
      },
    ],
  },
);

/** Keys whose old name loses silently when both are given. */
const NEW_NAME_WINS = new Set(['topic.prefix']);

/** Which records the connector captures. */
export interface MySqlFilters {
  database(db: string): boolean;
  /** Includes the database check. */
  table(db: string, table: string): boolean;
  column(db: string, table: string, column: string): boolean;
}

export interface MySqlCdcConfig {
  readonly hostname: string;
  readonly port: number;
  readonly user: string;
  readonly password: string | null;
  /** Given, or derived from the topic prefix (stable across restarts). */
  readonly serverId: number;
  readonly connectTimeoutMs: number;
  readonly topicPrefix: string;
  readonly includeSchemaChanges: boolean;
  readonly tombstonesOnDelete: boolean;
  readonly heartbeatIntervalMs: number;
  readonly modes: TypeModes;
  readonly snapshotMode: SnapshotMode;
  readonly snapshotLockingMode: SnapshotLockingMode;
  readonly snapshotChunkSize: number;
  readonly history: { readonly kafkaTopic: string | null; readonly bootstrapServers: string | null; readonly skipUnparseableDdl: boolean };
  readonly maxBatchSize: number;
  readonly pollIntervalMs: number;
  readonly filters: MySqlFilters;
}

/** Old and new names of one key given with different values; topic.prefix simply wins. Every issue names both keys. */
export function renamedKeyIssues(raw: RawConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  for (const [now, old] of RENAMED_KEYS) {
    const a = raw[now];
    const b = raw[old];
    if (typeof a !== 'string' || typeof b !== 'string' || NEW_NAME_WINS.has(now)) continue;
    if (normalized(now, a) !== normalized(now, b)) {
      issues.push({ field: old, message: `"${old}" is the old name of "${now}" and both are set, to different values ("${b.trim()}" and "${a.trim()}"); remove "${old}".` });
    }
  }
  return issues;
}

/** A raw value as its key's type compares it: booleans case-insensitively, numbers by value, strings trimmed. */
function normalized(key: string, text: string): string {
  const type = mysqlCdcConfig.get(key)?.type;
  const t = text.trim();
  if (type === 'boolean') return t.toLowerCase();
  if (type === 'int' || type === 'long') return String(Number(t));
  return t;
}

/** The typed config, old names mapped to new. Throws one ConfigError listing every problem (a 400 naming each key). */
export function resolveMySqlConfig(raw: RawConfig): MySqlCdcConfig {
  const renamed = renamedKeyIssues(raw);
  let v: ReturnType<typeof mysqlCdcConfig.parse>;
  try {
    v = mysqlCdcConfig.parse(raw);
  } catch (err) {
    throw err instanceof ConfigError && renamed.length > 0 ? new ConfigError([...err.issues, ...renamed]) : err;
  }
  if (renamed.length > 0) throw new ConfigError(renamed);
  const topicPrefix = (v['topic.prefix'] ?? v['database.server.name'])!;
  const mode = v['snapshot.mode'].toLowerCase() as (typeof SNAPSHOT_MODES)[number];
  return {
    hostname: v['database.hostname'],
    port: v['database.port'],
    user: v['database.user'],
    password: v['database.password'],
    serverId: v['database.server.id'] ?? defaultServerId(topicPrefix),
    connectTimeoutMs: v['connect.timeout.ms'],
    topicPrefix,
    includeSchemaChanges: v['include.schema.changes'],
    tombstonesOnDelete: v['tombstones.on.delete'],
    heartbeatIntervalMs: v['heartbeat.interval.ms'],
    modes: {
      decimal: v['decimal.handling.mode'].toLowerCase() as DecimalHandlingMode,
      time: v['time.precision.mode'].toLowerCase() as TimePrecisionMode,
      bigintUnsigned: v['bigint.unsigned.handling.mode'].toLowerCase() as BigIntUnsignedHandlingMode,
    },
    snapshotMode: mode === 'schema_only' ? 'no_data' : mode,
    snapshotLockingMode: v['snapshot.locking.mode'].toLowerCase() as SnapshotLockingMode,
    snapshotChunkSize: raw['snapshot.chunk.size'] == null && v['snapshot.fetch.size'] !== null ? v['snapshot.fetch.size'] : v['snapshot.chunk.size'],
    history: {
      kafkaTopic: v['schema.history.internal.kafka.topic'] ?? v['database.history.kafka.topic'],
      bootstrapServers: v['schema.history.internal.kafka.bootstrap.servers'] ?? v['database.history.kafka.bootstrap.servers'],
      skipUnparseableDdl: raw['schema.history.internal.skip.unparseable.ddl'] == null ? (v['database.history.skip.unparseable.ddl'] ?? false) : v['schema.history.internal.skip.unparseable.ddl'],
    },
    maxBatchSize: v['max.batch.size'],
    pollIntervalMs: v['poll.interval.ms'],
    filters: makeFilters({
      databaseInclude: v['database.include.list'] ?? v['database.whitelist'],
      databaseExclude: v['database.exclude.list'] ?? v['database.blacklist'],
      tableInclude: v['table.include.list'] ?? v['table.whitelist'],
      tableExclude: v['table.exclude.list'] ?? v['table.blacklist'],
      columnInclude: v['column.include.list'] ?? v['column.whitelist'],
      columnExclude: v['column.exclude.list'] ?? v['column.blacklist'],
    }),
  };
}

/**
 * A replica server id from the topic prefix (FNV-1a), in [10000, 2^31): the
 * same after every restart, and unlikely to meet another connector's. Two
 * connectors on one server with the same prefix must set database.server.id.
 */
export function defaultServerId(topicPrefix: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(topicPrefix, 'utf8')) h = Math.imul(h ^ byte, 0x01000193) >>> 0;
  return 10000 + (h % (2 ** 31 - 10000));
}

/** The schemas of the server itself, never captured (Debezium's table.ignore.builtin). */
const BUILT_IN_DATABASES = new Set(['mysql', 'sys', 'performance_schema', 'information_schema']);

export interface FilterLists {
  databaseInclude?: string | null;
  databaseExclude?: string | null;
  tableInclude?: string | null;
  tableExclude?: string | null;
  columnInclude?: string | null;
  columnExclude?: string | null;
}

/** Include/exclude predicates from regex lists (a missing list matches everything, or nothing for excludes). */
export function makeFilters(lists: FilterLists): MySqlFilters {
  const matcher = (list: string | null | undefined, whenAbsent: boolean): ((name: string) => boolean) => {
    if (list === null || list === undefined) return () => whenAbsent;
    const res = splitRegexList(list).map((r) => new RegExp(`^(?:${r})$`, 'i'));
    return (name) => res.some((re) => re.test(name));
  };
  const dbIn = matcher(lists.databaseInclude, true);
  const dbOut = matcher(lists.databaseExclude, false);
  const tableIn = matcher(lists.tableInclude, true);
  const tableOut = matcher(lists.tableExclude, false);
  const colIn = matcher(lists.columnInclude, true);
  const colOut = matcher(lists.columnExclude, false);
  const database = (db: string) => !BUILT_IN_DATABASES.has(db.toLowerCase()) && dbIn(db) && !dbOut(db);
  return {
    database,
    table: (db, table) => database(db) && tableIn(`${db}.${table}`) && !tableOut(`${db}.${table}`),
    column: (db, table, column) => {
      const id = `${db}.${table}.${column}`;
      return colIn(id) && !colOut(id);
    },
  };
}
