// A connector config is handled once, always in this order:
//   resolve config providers → find the plugin → defaults and validation against
//   connectorBaseConfig (+ sink keys) merged with the plugin's spec → the
//   converters' own configs and the transforms' and predicates' → the plugin's
//   own validate(), only when all of that found nothing (and not for the
//   coordinator: validate() reaches the connector's servers, and a server that
//   is down for a moment must not fail a connector; its tasks retry instead).
// checkConnectorConfig() throws one ConfigError with every problem (for the
// REST API's 400 and for the coordinator before it starts a connector);
// validateConnectorConfig() answers `PUT /connector-plugins/{p}/config/validate`.
// Values shown back are the ones the user wrote (placeholders unresolved,
// passwords masked), never resolved secrets.

import { createConverters } from '../converters/index.js';
import { validateTransforms } from '../transforms/chain.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import type { Connector } from '../plugin.js';
import type { ConnectorPlugin, PluginRegistry } from '../registry.js';
import type { ConfigInfos, ConfigSpec, ConfigValue, RawConfig } from './config-def.js';
import { connectorBaseConfig, sinkConnectorBaseConfig } from './connector-config.js';
import { resolveConfigPartial, type ResolveOptions } from './providers.js';

export interface ConnectorCheckOptions {
  registry: PluginRegistry;
  /** Where ${env:...} and relative ${file:...} paths are looked up; default the process's. */
  resolve?: ResolveOptions;
  /** Worker-level converter settings (key.converter, value.converter, …). */
  workerDefaults?: RawConfig;
  /** Whether to run the plugin's own validate(); default true. */
  pluginValidate?: boolean;
}

export interface CheckedConnectorConfig {
  plugin: ConnectorPlugin;
  connector: Connector;
  spec: ConfigSpec<unknown>;
  /** The config with placeholders resolved: what the connector's start() receives. Never store or return it. */
  resolved: Record<string, string>;
  /** Parsed values of every key of `spec`. */
  values: Record<string, ConfigValue>;
}

/** The whole spec a connector's config is checked against. A plugin must not redefine a base key. */
export function connectorSpec(plugin: ConnectorPlugin, connector: Connector): ConfigSpec<unknown> {
  return (plugin.type === 'sink' ? sinkConnectorBaseConfig : connectorBaseConfig).merge(connector.config());
}

interface Stages {
  resolved: Record<string, string>;
  /** Unresolvable placeholders, unknown connector class, converter problems. */
  issues: ConfigIssue[];
  found?: { plugin: ConnectorPlugin; connector: Connector; spec: ConfigSpec<unknown> };
  /** The plugin's spec, or connectorBaseConfig when the plugin is unknown. */
  spec: ConfigSpec<unknown>;
}

async function runStages(raw: Readonly<Record<string, string>>, opts: ConnectorCheckOptions): Promise<Stages> {
  const { resolved, issues } = await resolveConfigPartial(raw, opts.resolve);
  const collect = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
    }
  };
  let found: Stages['found'];
  if (raw['connector.class'] !== undefined) {
    collect(() => {
      const plugin = opts.registry.resolveConnector(raw['connector.class']!);
      const connector = plugin.create();
      found = { plugin, connector, spec: connectorSpec(plugin, connector) };
    });
  }
  collect(() => createConverters(resolved, opts.workerDefaults ?? {}, { registry: opts.registry }));
  issues.push(...validateTransforms(resolved, opts.registry));
  return { resolved, issues, found, spec: found?.spec ?? connectorBaseConfig };
}

/** Problems the plugin's own validate() reports, as issues. */
async function pluginIssues(connector: Connector, resolved: Record<string, string>): Promise<ConfigIssue[]> {
  if (!connector.validate) return [];
  const problems = await connector.validate(resolved);
  return Object.entries(problems).flatMap(([field, msgs]) => msgs.map((message) => ({ field, message })));
}

/** Resolves, validates and parses a connector config; throws one ConfigError listing every problem. */
export async function checkConnectorConfig(raw: Readonly<Record<string, string>>, opts: ConnectorCheckOptions): Promise<CheckedConnectorConfig> {
  const { resolved, issues, found, spec } = await runStages(raw, opts);
  let values: Record<string, ConfigValue> | undefined;
  try {
    values = spec.parse(resolved) as Record<string, ConfigValue>;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    issues.unshift(...err.issues);
  }
  if (!found || !values || issues.length > 0) throw new ConfigError(issues);
  const own = opts.pluginValidate === false ? [] : await pluginIssues(found.connector, resolved);
  if (own.length > 0) throw new ConfigError(own);
  return { ...found, resolved, values };
}

/** The `PUT /connector-plugins/{p}/config/validate` response for a connector config. */
export async function validateConnectorConfig(raw: Readonly<Record<string, string>>, opts: ConnectorCheckOptions): Promise<ConfigInfos> {
  const { resolved, issues, found, spec } = await runStages(raw, opts);
  const extraErrors: Record<string, string[]> = {};
  const add = (list: ConfigIssue[]) => list.forEach((i) => (extraErrors[i.field] ??= []).push(i.message));
  add(issues);
  const name = found?.plugin.class ?? raw['connector.class'] ?? '';
  let infos = spec.validate(resolved, { name, extraErrors, display: raw });
  if (found && infos.error_count === 0) {
    const own = await pluginIssues(found.connector, resolved);
    if (own.length > 0) {
      add(own);
      infos = spec.validate(resolved, { name, extraErrors, display: raw });
    }
  }
  return infos;
}
