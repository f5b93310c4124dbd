// The JDBC sink's config spec, under Confluent's names (io.confluent.connect.jdbc.JdbcSinkConnector),
// so an existing Confluent sink config runs unchanged.
//
// connection.url is a JDBC URL: jdbc:mysql://host[:port]/db[?k=v&…],
// jdbc:mariadb://… (both through mysql2) or jdbc:postgresql://host[:port]/db[?…]
// (through pg). `user` and `password` may sit in the URL's query as JDBC
// drivers allow; connection.user / connection.password win over them. No
// message ever shows the URL's query or a password.
//
// TLS from the query, as the JDBC drivers spell it: PostgreSQL ssl=true or
// sslmode=require|verify-ca|verify-full; MySQL useSSL=true / requireSSL=true
// or sslMode=REQUIRED|VERIFY_CA|VERIFY_IDENTITY; MariaDB useSsl=true or
// sslMode=trust|verify-ca|verify-full. The verify modes check the server's
// certificate against Node's CA store; the others encrypt without checking.

import { atLeast, defineConfig, oneOf, range, validator, type RawConfig } from '../../connect/config/config-def.js';
import { ConfigError, type ConfigIssue } from '../../connect/errors.js';

const CONNECTION = 'Connection';
const WRITES = 'Writes';
const DATA_MAPPING = 'Data Mapping';
const DDL = 'DDL Support';
const RETRIES = 'Retries';

export type InsertMode = 'insert' | 'upsert' | 'update';
export type PkMode = 'none' | 'kafka' | 'record_key' | 'record_value';
export type DialectName = 'mysql' | 'postgres';

/** The default pk.fields of pk.mode=kafka, as Confluent names them. */
export const KAFKA_PK_FIELDS = ['__connect_topic', '__connect_partition', '__connect_offset'] as const;
/** The column of a primitive record key when pk.fields is empty. */
export const DEFAULT_KEY_FIELD = '__connect_key';

export interface ConnectionTarget {
  readonly dialect: DialectName;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** From the URL's query; connection.user / connection.password win. */
  readonly user: string | null;
  readonly password: string | null;
  /** null: no TLS. */
  readonly tls: { readonly verify: boolean } | null;
}

/** Parses a JDBC URL; the message of a failure never repeats the query (it may hold a password). */
export function parseConnectionUrl(url: string): ConnectionTarget {
  const m = /^jdbc:(mysql|mariadb|postgresql):\/\/(\[[^\]]+\]|[^/:?]+)(?::(\d+))?\/([^?]+)(?:\?(.*))?$/.exec(url.trim());
  if (!m) throw new Error('Expected jdbc:mysql://host[:port]/database, jdbc:mariadb://… or jdbc:postgresql://host[:port]/database (with an optional ?query)');
  const dialect: DialectName = m[1] === 'postgresql' ? 'postgres' : 'mysql';
  const port = m[3] === undefined ? (dialect === 'postgres' ? 5432 : 3306) : Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`Port ${port} is out of range [1, 65535]`);
  const query = new URLSearchParams(m[5] ?? '');
  return {
    dialect,
    host: m[2]!.replace(/^\[|\]$/g, ''),
    port,
    database: decodeURIComponent(m[4]!),
    user: query.get('user'),
    password: query.get('password'),
    tls: tlsOf(query),
  };
}

function tlsOf(query: URLSearchParams): { verify: boolean } | null {
  const get = (k: string) => query.get(k)?.toLowerCase() ?? null;
  const mode = get('sslmode');
  if (mode !== null && !['disable', 'allow', 'prefer', 'disabled', 'preferred'].includes(mode)) return { verify: mode.startsWith('verify') };
  if (['ssl', 'usessl', 'requiressl'].some((k) => [...query.keys()].some((q) => q.toLowerCase() === k && get(q) === 'true'))) return { verify: false };
  return null;
}

const jdbcUrl = validator('jdbc:mysql://, jdbc:mariadb:// or jdbc:postgresql:// URL', (v) => {
  try {
    parseConnectionUrl(String(v));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
});

export const jdbcSinkConfig = defineConfig(
  [
    { name: 'connection.url', type: 'string', required: true, validator: jdbcUrl, importance: 'high', group: CONNECTION, doc: 'JDBC connection URL: jdbc:mysql://host:port/db, jdbc:mariadb://host:port/db or jdbc:postgresql://host:port/db.' },
    { name: 'connection.user', type: 'string', default: null, importance: 'high', group: CONNECTION, doc: 'JDBC connection user.' },
    { name: 'connection.password', type: 'password', default: null, importance: 'high', group: CONNECTION, doc: 'JDBC connection password.' },
    { name: 'connection.attempts', type: 'int', default: 3, validator: atLeast(1), importance: 'low', group: CONNECTION, doc: 'Accepted for compatibility; a failed connection is a retriable error and the runtime retries the batch.' },
    { name: 'connection.backoff.ms', type: 'long', default: 10000, validator: atLeast(0), importance: 'low', group: CONNECTION, doc: 'Accepted for compatibility (see connection.attempts).' },
    { name: 'insert.mode', type: 'string', default: 'insert', validator: oneOf(['insert', 'upsert', 'update'], { caseInsensitive: true }), importance: 'high', group: WRITES, doc: 'insert: INSERT only; upsert: INSERT … ON DUPLICATE KEY UPDATE (MySQL, MariaDB) or INSERT … ON CONFLICT DO UPDATE (PostgreSQL), so redelivered records are harmless; update: UPDATE … WHERE the primary key.' },
    { name: 'batch.size', type: 'int', default: 3000, validator: atLeast(1), importance: 'medium', group: WRITES, doc: 'Rows per multi-row statement. All statements of one put run in one transaction.' },
    { name: 'delete.enabled', type: 'boolean', default: false, importance: 'medium', group: WRITES, doc: 'Delete the row of a tombstone (null value). Requires pk.mode=record_key. Without it tombstones are skipped.' },
    { name: 'table.name.format', type: 'string', default: '${topic}', validator: validator('non-empty string', (v) => (String(v).length > 0 ? undefined : 'String must be non-empty')), importance: 'medium', group: DATA_MAPPING, doc: 'Destination table name; ${topic} is replaced by the record topic. The result is one identifier (quoted unless quote.sql.identifiers=never).' },
    { name: 'pk.mode', type: 'string', default: 'none', validator: oneOf(['none', 'kafka', 'record_key', 'record_value'], { caseInsensitive: true }), importance: 'high', group: DATA_MAPPING, doc: 'Primary key: none; kafka (topic, partition, offset); record_key (fields of the key, or the primitive key); record_value (fields of the value).' },
    { name: 'pk.fields', type: 'list', default: [], importance: 'medium', group: DATA_MAPPING, doc: `pk.mode=kafka: three column names (default ${KAFKA_PK_FIELDS.join(',')}); record_key: the key fields (default all; a primitive key's column, default ${DEFAULT_KEY_FIELD}); record_value: the value fields (default all).` },
    { name: 'fields.whitelist', type: 'list', default: [], importance: 'medium', group: DATA_MAPPING, doc: 'Value fields to write (besides the primary key); empty: all.' },
    { name: 'db.timezone', type: 'string', default: 'UTC', validator: oneOf(['UTC'], { caseInsensitive: true }), importance: 'medium', group: DATA_MAPPING, doc: 'Time zone of DATETIME/TIMESTAMP columns; UTC only.' },
    { name: 'auto.create', type: 'boolean', default: false, importance: 'medium', group: DDL, doc: 'CREATE TABLE a missing table from the record schema, with the primary key of pk.mode.' },
    { name: 'auto.evolve', type: 'boolean', default: false, importance: 'medium', group: DDL, doc: 'ALTER TABLE … ADD a nullable column for each new optional field (or field with a default). A new required field without a default is an error.' },
    { name: 'quote.sql.identifiers', type: 'string', default: 'always', validator: oneOf(['always', 'never'], { caseInsensitive: true }), importance: 'medium', group: DDL, doc: 'always: quote every table and column name; never: write them bare, which only plain names (letters, digits, _ and $, not starting with a digit) may be.' },
    { name: 'max.retries', type: 'int', default: 10, validator: atLeast(0), importance: 'medium', group: RETRIES, doc: 'Accepted for compatibility: a transient failure is a retriable error and the event source mapping retries the batch.' },
    { name: 'retry.backoff.ms', type: 'int', default: 3000, validator: range(0), importance: 'medium', group: RETRIES, doc: 'Accepted for compatibility (see max.retries).' },
  ],
  {
    checks: [
      (v) => {
        const issues: ConfigIssue[] = [];
        const pkMode = String(v['pk.mode']).toLowerCase();
        const insertMode = String(v['insert.mode']).toLowerCase();
        if (v['delete.enabled'] === true && pkMode !== 'record_key') issues.push({ field: 'delete.enabled', message: `Primary key mode must be 'record_key' when delete support is enabled (delete.enabled=true, pk.mode=${pkMode})` });
        if (pkMode === 'none' && insertMode !== 'insert') issues.push({ field: 'pk.mode', message: `insert.mode=${insertMode} needs a primary key: set pk.mode to kafka, record_key or record_value` });
        const pkFields = v['pk.fields'] as string[];
        if (pkMode === 'kafka' && pkFields.length !== 0 && pkFields.length !== 3) issues.push({ field: 'pk.fields', message: `pk.mode=kafka needs exactly 3 pk.fields (topic, partition and offset columns) or none for the defaults, got ${pkFields.length}` });
        return issues;
      },
    ],
  },
);

export interface JdbcSinkConfig {
  readonly target: ConnectionTarget;
  readonly user: string | null;
  readonly password: string | null;
  readonly insertMode: InsertMode;
  readonly pkMode: PkMode;
  readonly pkFields: readonly string[];
  readonly fieldsWhitelist: ReadonlySet<string>;
  readonly tableNameFormat: string;
  readonly autoCreate: boolean;
  readonly autoEvolve: boolean;
  readonly deleteEnabled: boolean;
  readonly batchSize: number;
  readonly quoteIdentifiers: boolean;
}

/** The typed config; a ConfigError naming every bad key. */
export function resolveJdbcSinkConfig(raw: RawConfig): JdbcSinkConfig {
  const v = jdbcSinkConfig.parse(raw);
  let target: ConnectionTarget;
  try {
    target = parseConnectionUrl(v['connection.url']);
  } catch (err) {
    throw new ConfigError({ field: 'connection.url', message: `Invalid value for configuration connection.url: ${(err as Error).message}` });
  }
  return {
    target,
    user: v['connection.user'] ?? target.user,
    password: v['connection.password'] ?? target.password,
    insertMode: v['insert.mode'].toLowerCase() as InsertMode,
    pkMode: v['pk.mode'].toLowerCase() as PkMode,
    pkFields: v['pk.fields'],
    fieldsWhitelist: new Set(v['fields.whitelist']),
    tableNameFormat: v['table.name.format'],
    autoCreate: v['auto.create'],
    autoEvolve: v['auto.evolve'],
    deleteEnabled: v['delete.enabled'],
    batchSize: v['batch.size'],
    quoteIdentifiers: v['quote.sql.identifiers'].toLowerCase() === 'always',
  };
}
