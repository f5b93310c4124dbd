// Debezium's MySqlConnector and MariaDbConnector: one class each, the same
// code (the events differ only in source.connector and the source schema's
// name). tasks.max is effectively 1, as in Debezium: one binlog, one reader.
//
// validate() connects as the configured user and reports what would make the
// task fail at once, each on the field to change: an unreachable server
// (database.hostname), refused credentials or missing grants (database.user),
// and binlog settings other than log_bin + ROW + FULL (database.hostname).

import { randomUUID } from 'node:crypto';
import { ConfigError, ConnectError } from '../../connect/errors.js';
import type { ConfigProblems, SourceConnector, SourceTask, TaskConfig } from '../../connect/plugin.js';
import type { ConnectorRegistration } from '../../connect/registry.js';
import type { MysqlError } from './binlog.js';
import { mysqlCdcConfig, resolveMySqlConfig } from './config.js';
import type { ConnectorKind } from './envelope.js';
import { binlogSettingProblems, binlogStatus, openConnection } from './snapshot.js';
import { MySqlCdcTask, SNAPSHOT_TOKEN_KEY } from './task.js';

export const MYSQL_CONNECTOR_CLASS = 'io.debezium.connector.mysql.MySqlConnector';
export const MARIADB_CONNECTOR_CLASS = 'io.debezium.connector.mariadb.MariaDbConnector';

/** validate() waits at most this long for the server, whatever connect.timeout.ms says. */
const VALIDATE_CONNECT_TIMEOUT_MS = 10_000;

export class MySqlCdcConnector implements SourceConnector {
  readonly type = 'source';
  private props: Record<string, string> = {};

  constructor(
    private readonly kind: ConnectorKind,
    private readonly versionString: string,
  ) {}

  version(): string {
    return this.versionString;
  }

  config() {
    return mysqlCdcConfig;
  }

  async validate(config: Readonly<Record<string, string>>): Promise<ConfigProblems> {
    let cfg: ReturnType<typeof resolveMySqlConfig>;
    try {
      cfg = resolveMySqlConfig(config);
    } catch (err) {
      if (err instanceof ConfigError) return err.messages;
      throw err;
    }
    const problems: ConfigProblems = {};
    const add = (field: string, message: string) => (problems[field] ??= []).push(message);
    let conn: Awaited<ReturnType<typeof openConnection>>;
    try {
      conn = await openConnection({ ...cfg, connectTimeoutMs: Math.min(cfg.connectTimeoutMs, VALIDATE_CONNECT_TIMEOUT_MS) });
    } catch (err) {
      const e = err as MysqlError & { cause?: MysqlError };
      const server = e.cause ?? e;
      if (server.errno === 1045 || server.errno === 1698) add('database.user', e.message);
      else add('database.hostname', `Unable to connect to the server at ${cfg.hostname}:${cfg.port}: ${server.code ? `${server.code} ` : ''}${server.message}`);
      return problems;
    }
    try {
      for (const p of await binlogSettingProblems(conn)) add('database.hostname', p);
      for (const p of await missingGrants(conn, cfg.user)) add('database.user', p);
    } finally {
      await conn.end().catch(() => conn.destroy());
    }
    return problems;
  }

  start(config: Readonly<Record<string, string>>): void {
    this.props = { ...config };
  }

  /** One task; the token makes snapshot.mode=always snapshot once per connector config, not once per invocation. */
  taskConfigs(): TaskConfig[] {
    return [{ ...this.props, [SNAPSHOT_TOKEN_KEY]: randomUUID() }];
  }

  stop(): void {}

  createTask(): SourceTask {
    return new MySqlCdcTask(this.kind, this.versionString);
  }
}

/** What the user lacks of SELECT, REPLICATION SLAVE and REPLICATION CLIENT, one message each. */
async function missingGrants(conn: Awaited<ReturnType<typeof openConnection>>, user: string): Promise<string[]> {
  const out: string[] = [];
  try {
    await binlogStatus(conn, { user });
  } catch (err) {
    if (!(err instanceof ConnectError) || err.code !== 'CONFIG_INVALID') throw err;
    out.push(err.message);
  }
  const [rows] = (await conn.query('SHOW GRANTS FOR CURRENT_USER()')) as unknown as [Array<Record<string, string>>];
  const lines = rows.map((r) => String(Object.values(r)[0] ?? ''));
  // Privileges that arrive through roles cannot be read here: trust the server then.
  if (lines.some((l) => /^GRANT\s+[`'"]?[\w-]+[`'"]?(@\S+)?\s+TO\b/i.test(l) && !/\bON\b/i.test(l))) return out;
  const global = new Set<string>();
  let anySelect = false;
  for (const line of lines) {
    const m = /^GRANT\s+(.+?)\s+ON\s+(\S+)\s+TO\b/i.exec(line);
    if (!m) continue;
    const privileges = m[1]!.split(',').map((p) => p.trim().toUpperCase());
    if (m[2] === '*.*') for (const p of privileges) global.add(p);
    if (privileges.includes('SELECT') || privileges.includes('ALL PRIVILEGES') || privileges.includes('ALL')) anySelect = true;
  }
  const all = global.has('ALL PRIVILEGES') || global.has('ALL');
  const grant = `GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${user}'@'%';`;
  if (!all && !global.has('REPLICATION SLAVE')) out.push(`database.user '${user}' lacks the REPLICATION SLAVE privilege, needed to read the binlog: ${grant}`);
  if (!all && !anySelect) out.push(`database.user '${user}' lacks the SELECT privilege, needed to read the tables for the snapshot: ${grant}`);
  return out;
}

export function mysqlCdcRegistrations(version: string): ConnectorRegistration[] {
  return [
    { class: MYSQL_CONNECTOR_CLASS, aliases: ['MySqlCdc'], type: 'source', version, create: () => new MySqlCdcConnector('mysql', version) },
    { class: MARIADB_CONNECTOR_CLASS, aliases: ['MariaDbCdc'], type: 'source', version, create: () => new MySqlCdcConnector('mariadb', version) },
  ];
}
