// One connection to the target database, behind the few operations the sink
// needs: a query with bind parameters, and a transaction. mysql2 runs each
// statement as a server-side prepared statement (execute), pg as an extended
// query with $n parameters, so values never become SQL text.
//
// Errors leave here classified (the one place that decides): a connection or
// transient server error is a RetriableError, refused credentials a
// ConnectError that names user and server (never the password), a statement
// the server rejected for its data a DataError. The caller adds which records.

import mysql from 'mysql2/promise';
import pg from 'pg';
import { ConnectError, DataError, RetriableError } from '../../connect/errors.js';
import type { ConnectionTarget } from './config.js';

export interface SinkDatabase {
  query(sql: string, params?: readonly unknown[]): Promise<Array<Record<string, unknown>>>;
  begin(): Promise<void>;
  commit(): Promise<void>;
  rollback(): Promise<void>;
  close(): Promise<void>;
}

export interface ConnectOptions {
  readonly target: ConnectionTarget;
  readonly user: string | null;
  readonly password: string | null;
  readonly connectTimeoutMs?: number;
}

/** Where, for messages: host, port and database, never the URL's query. */
export function describeTarget(t: ConnectionTarget): string {
  return `${t.dialect === 'postgres' ? 'PostgreSQL' : 'MySQL/MariaDB'} at ${t.host}:${t.port}/${t.database}`;
}

export async function connect(opts: ConnectOptions): Promise<SinkDatabase> {
  try {
    return opts.target.dialect === 'postgres' ? await connectPostgres(opts) : await connectMySql(opts);
  } catch (err) {
    throw classify(err, opts, 'connect');
  }
}

async function connectMySql(opts: ConnectOptions): Promise<SinkDatabase> {
  const conn = await mysql.createConnection({
    host: opts.target.host,
    port: opts.target.port,
    database: opts.target.database,
    user: opts.user ?? undefined,
    password: opts.password ?? undefined,
    connectTimeout: opts.connectTimeoutMs ?? 10_000,
    ssl: opts.target.tls ? { rejectUnauthorized: opts.target.tls.verify } : undefined,
    charset: 'utf8mb4',
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    // Each multi-row statement size is its own prepared statement; the server's
    // max_prepared_stmt_count is shared by every client, so keep few per connection.
    maxPreparedStatements: 64,
  });
  conn.on('error', () => {
    // A dropped connection surfaces as the next statement's error.
  });
  // Literal SQL: keep the session in UTC and strict, so bad data fails instead of being cut.
  await conn.query("SET time_zone = '+00:00', sql_mode = CONCAT(@@sql_mode, ',STRICT_ALL_TABLES,NO_BACKSLASH_ESCAPES')");
  const run = async (sql: string, params?: readonly unknown[]) => {
    try {
      if (!params || params.length === 0) {
        const [rows] = await conn.query(sql);
        return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
      }
      const [rows] = await conn.execute(sql, params as mysql.ExecuteValues[]);
      return Array.isArray(rows) ? (rows as Array<Record<string, unknown>>) : [];
    } catch (err) {
      throw classify(err, opts, 'statement');
    }
  };
  return withTransactions(run, () => conn.end().catch(() => conn.destroy()));
}

async function connectPostgres(opts: ConnectOptions): Promise<SinkDatabase> {
  const client = new pg.Client({
    host: opts.target.host,
    port: opts.target.port,
    database: opts.target.database,
    user: opts.user ?? undefined,
    password: opts.password ?? undefined,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    ssl: opts.target.tls ? { rejectUnauthorized: opts.target.tls.verify } : undefined,
  });
  client.on('error', () => {
    // A dropped connection surfaces as the next statement's error.
  });
  try {
    await client.connect();
    // A statement, not a startup option: poolers such as PgBouncer refuse those.
    await client.query("SET TIME ZONE 'UTC'");
  } catch (err) {
    await client.end().catch(() => undefined);
    throw err;
  }
  const run = async (sql: string, params?: readonly unknown[]) => {
    try {
      const res = await client.query(sql, params as unknown[] | undefined);
      return res.rows as Array<Record<string, unknown>>;
    } catch (err) {
      throw classify(err, opts, 'statement');
    }
  };
  return withTransactions(run, () => client.end().catch(() => undefined));
}

/** BEGIN, COMMIT and ROLLBACK are spelled alike in both dialects. */
function withTransactions(run: SinkDatabase['query'], close: () => Promise<unknown>): SinkDatabase {
  return {
    query: run,
    begin: () => run('BEGIN').then(() => undefined),
    commit: () => run('COMMIT').then(() => undefined),
    rollback: () => run('ROLLBACK').then(() => undefined),
    close: () => close().then(() => undefined),
  };
}

// MySQL/MariaDB server errors that a retry may get past.
const MYSQL_RETRIABLE_ERRNO = new Set([1040, 1053, 1205, 1213, 1927, 2002, 2003, 2006, 2013]);
const MYSQL_AUTH_ERRNO = new Set([1044, 1045, 1698]);
// Node socket and driver codes of a lost or unreachable server.
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'PROTOCOL_CONNECTION_LOST', 'PROTOCOL_SEQUENCE_TIMEOUT']);

interface DriverError {
  message?: string;
  code?: string;
  errno?: number;
  sqlState?: string;
}

/** The one place that decides what a driver error means for the sink. */
export function classify(err: unknown, opts: ConnectOptions, during: 'connect' | 'statement'): ConnectError {
  if (err instanceof ConnectError) return err;
  const e = (err ?? {}) as DriverError;
  const where = describeTarget(opts.target);
  const message = redact(String(e.message ?? err), opts.password);
  const code = e.code ?? '';
  const sqlState = opts.target.dialect === 'postgres' ? code : (e.sqlState ?? '');
  if (MYSQL_AUTH_ERRNO.has(e.errno ?? 0) || sqlState === '28P01' || sqlState === '28000') {
    return new ConnectError(`Authentication to ${where} failed for user ${JSON.stringify(opts.user ?? '')}: ${message} (check connection.user and connection.password)`, { code: 'CONFIG_INVALID' });
  }
  if (NETWORK_CODES.has(code) || MYSQL_RETRIABLE_ERRNO.has(e.errno ?? 0) || /^(08|53|57P|40)/.test(sqlState) || /Connection terminated|not queryable|timeout|closed state/i.test(message)) {
    return new RetriableError(`${during === 'connect' ? 'Cannot connect to' : 'Lost'} ${where}: ${code ? code + ' ' : ''}${message}`);
  }
  if (during === 'connect') return new ConnectError(`Cannot connect to ${where}: ${code ? code + ' ' : ''}${message}`);
  return new DataError(`${where} refused the statement: ${code ? code + ' ' : ''}${message}`);
}

function redact(text: string, password: string | null): string {
  return password ? text.split(password).join('[hidden]') : text;
}
