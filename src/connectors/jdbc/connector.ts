// Confluent's JdbcSinkConnector: every task gets the connector's config, and
// validate() connects once with it, so refused credentials or an unreachable
// server are a 400 on the field to change instead of a failing task.

import { sinkConnectorConfig } from '../../connect/config/connector-config.js';
import { ConfigError, ConnectError, RetriableError } from '../../connect/errors.js';
import type { ConfigProblems, SinkConnector, SinkTask, TaskConfig } from '../../connect/plugin.js';
import type { ConnectorRegistration } from '../../connect/registry.js';
import { jdbcSinkConfig, resolveJdbcSinkConfig } from './config.js';
import { connect } from './database.js';
import { JdbcSinkTask } from './task.js';

export const JDBC_SINK_CLASS = 'io.confluent.connect.jdbc.JdbcSinkConnector';

/** validate() waits at most this long for the server. */
const VALIDATE_CONNECT_TIMEOUT_MS = 10_000;

export class JdbcSinkConnector implements SinkConnector {
  readonly type = 'sink';
  #props: Record<string, string> = {};

  constructor(private readonly versionString: string) {}

  version(): string {
    return this.versionString;
  }

  config() {
    return jdbcSinkConfig;
  }

  async validate(config: Readonly<Record<string, string>>): Promise<ConfigProblems> {
    let cfg: ReturnType<typeof resolveJdbcSinkConfig>;
    try {
      // topics / topics.regex are the sink base config's (src/connect/config/connector-config.ts), checked here too.
      sinkConnectorConfig.merge(jdbcSinkConfig).parse(config);
      cfg = resolveJdbcSinkConfig(config);
    } catch (err) {
      if (err instanceof ConfigError) return err.messages;
      throw err;
    }
    try {
      const db = await connect({ target: cfg.target, user: cfg.user, password: cfg.password, connectTimeoutMs: VALIDATE_CONNECT_TIMEOUT_MS });
      await db.close();
      return {};
    } catch (err) {
      if (!(err instanceof ConnectError)) throw err;
      const field = err instanceof RetriableError ? 'connection.url' : err.code === 'CONFIG_INVALID' ? 'connection.password' : 'connection.url';
      return { [field]: [err.message] };
    }
  }

  start(config: Readonly<Record<string, string>>): void {
    resolveJdbcSinkConfig(config);
    this.#props = { ...config };
  }

  taskConfigs(maxTasks: number): TaskConfig[] {
    return Array.from({ length: maxTasks }, () => ({ ...this.#props }));
  }

  stop(): void {}

  createTask(): SinkTask {
    return new JdbcSinkTask(this.versionString);
  }
}

export function jdbcSinkRegistration(version: string): ConnectorRegistration {
  return { class: JDBC_SINK_CLASS, type: 'sink', aliases: ['JdbcSink'], version, create: () => new JdbcSinkConnector(version) };
}
