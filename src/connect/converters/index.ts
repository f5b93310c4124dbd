// Key and value converters for a connector, as Kafka Connect picks them:
// `key.converter` / `value.converter` from the connector config, else from the
// worker defaults, else JsonConverter. A converter is configured with the keys
// under its prefix (`value.converter.schemas.enable` → `schemas.enable`):
// - the connector names the class: its own prefixed keys only (as Kafka Connect);
// - it does not: the worker's prefixed keys, overridden by the connector's.
//   Kafka Connect ignores a lone `value.converter.schemas.enable` in a
//   connector config; users expect it to work, so here it does.

import { subset, type RawConfig } from '../config/config-def.js';
import { ConfigError, type ConfigIssue } from '../errors.js';
import { createPluginRegistry, type PluginRegistry } from '../registry.js';
import type { Converter } from './converter.js';
import { JsonConverter } from './json.js';

export type { Converter, SchemaAndValue } from './converter.js';
export { asBuffer } from './converter.js';
export { ByteArrayConverter } from './bytearray.js';
export { JsonConverter } from './json.js';
export { StringConverter } from './string.js';

export interface Converters {
  key: Converter;
  value: Converter;
}

let builtins: PluginRegistry | undefined;

/**
 * The configured key and value converters. Throws one ConfigError naming the
 * full keys (`value.converter`, `key.converter.schemas.enable`) of every problem.
 */
export function createConverters(connectorConfig: RawConfig, workerDefaults: RawConfig = {}, opts: { registry?: PluginRegistry } = {}): Converters {
  const registry = opts.registry ?? (builtins ??= createPluginRegistry());
  const issues: ConfigIssue[] = [];
  const make = (field: 'key.converter' | 'value.converter'): Converter | undefined => {
    const own = connectorConfig[field]?.trim() || undefined;
    const worker = workerDefaults[field]?.trim() || JsonConverter.CLASS;
    try {
      const plugin = registry.resolveConverter(own ?? worker, field);
      const props = { ...(own ? {} : subset(workerDefaults, field + '.')), ...subset(connectorConfig, field + '.') };
      const converter = plugin.create();
      try {
        converter.configure(props, field === 'key.converter');
      } catch (err) {
        throw err instanceof ConfigError ? err.withPrefix(field + '.') : err;
      }
      return converter;
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      issues.push(...err.issues);
      return undefined;
    }
  };
  const key = make('key.converter');
  const value = make('value.converter');
  if (!key || !value) throw new ConfigError(issues);
  return { key, value };
}
