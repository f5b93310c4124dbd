// The JDBC sink connector (MySQL, MariaDB, PostgreSQL) and its registration.
import type { PluginRegistry } from '../../connect/registry.js';
import { slipwayVersion } from '../../connect/registry.js';
import { jdbcSinkRegistration } from './connector.js';

export { JDBC_SINK_CLASS, JdbcSinkConnector, jdbcSinkRegistration } from './connector.js';
export { JdbcSinkTask } from './task.js';
export { jdbcSinkConfig, resolveJdbcSinkConfig, type JdbcSinkConfig } from './config.js';

/** Registers io.confluent.connect.jdbc.JdbcSinkConnector (aliases JdbcSink, JdbcSinkConnector). */
export function registerJdbcSink(registry: PluginRegistry, version = slipwayVersion()): void {
  registry.registerConnector(jdbcSinkRegistration(version));
}
