// The plugins every Slipway function knows: the built-in converters (from
// src/connect) and the built-in connectors, each from its own folder.
import { createPluginRegistry, slipwayVersion, type PluginRegistry } from '../connect/registry.js';
import { fileConnectorsRegistration } from '../connectors/file/file-stream-source.js';
import { mysqlCdcRegistrations } from '../connectors/mysql-cdc/connector.js';

export function createRuntimeRegistry(): PluginRegistry {
  const registry = createPluginRegistry();
  registry.registerConnector(fileConnectorsRegistration(slipwayVersion()));
  for (const r of mysqlCdcRegistrations(slipwayVersion())) registry.registerConnector(r);
  return registry;
}
