// The plugins every Slipway function knows: the built-in converters (from
// src/connect), transforms and predicates (src/connect/transforms) and the
// built-in connectors, each from its own folder.
import { createPluginRegistry, slipwayVersion, type PluginRegistry } from '../connect/registry.js';
import { registerTransforms } from '../connect/transforms/index.js';
import { registerFileStreamSink } from '../connectors/file/file-stream-sink.js';
import { fileConnectorsRegistration } from '../connectors/file/file-stream-source.js';
import { registerJdbcSink } from '../connectors/jdbc/index.js';
import { mysqlCdcRegistrations } from '../connectors/mysql-cdc/connector.js';

export function createRuntimeRegistry(): PluginRegistry {
  const registry = createPluginRegistry();
  registry.registerConnector(fileConnectorsRegistration(slipwayVersion()));
  registerFileStreamSink(registry);
  for (const r of mysqlCdcRegistrations(slipwayVersion())) registry.registerConnector(r);
  registerJdbcSink(registry);
  registerTransforms(registry);
  return registry;
}
