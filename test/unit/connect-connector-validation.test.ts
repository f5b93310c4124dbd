import { describe, expect, it } from 'vitest';
import { defineConfig, nonEmptyString } from '../../src/connect/config/config-def.js';
import { checkConnectorConfig, validateConnectorConfig } from '../../src/connect/config/connector-validation.js';
import { ConfigError } from '../../src/connect/errors.js';
import type { SourceConnector } from '../../src/connect/plugin.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { rejected } from '../helpers/errors.js';

const spec = defineConfig([
  { name: 'file', type: 'string', required: true, validator: nonEmptyString, importance: 'high', doc: 'File to read.' },
  { name: 'topic', type: 'string', required: true, importance: 'high', doc: 'Topic to write.' },
  { name: 'api.password', type: 'password', default: null, importance: 'high', doc: 'A secret.' },
]);

const validated: Array<Readonly<Record<string, string>>> = [];

function testConnector(): SourceConnector {
  return {
    type: 'source',
    version: () => '1.0.0',
    config: () => spec,
    validate: (config): Record<string, string[]> => {
      validated.push(config);
      return config['file'] === '/forbidden' ? { file: ['File /forbidden is not readable'] } : {};
    },
    start: () => {},
    taskConfigs: () => [],
    stop: () => {},
    createTask: () => {
      throw new Error('not used');
    },
  };
}

const registry = createPluginRegistry();
registry.registerConnector({ class: 'com.example.TestSourceConnector', type: 'source', version: '1.0.0', create: testConnector });
const env = { IN_FILE: '/data/in.txt', API_PASSWORD: 'p@ss' };
const opts = { registry, resolve: { env } };
const good = { name: 'c1', 'connector.class': 'TestSource', file: '${env:IN_FILE}', topic: 'lines', 'api.password': '${env:API_PASSWORD}' };

describe('checkConnectorConfig', () => {
  it('resolves placeholders, applies defaults, and hands the plugin the resolved config', async () => {
    validated.length = 0;
    const checked = await checkConnectorConfig(good, opts);
    expect(checked.plugin.class).toBe('com.example.TestSourceConnector');
    expect(checked.resolved).toEqual({ ...good, file: '/data/in.txt', 'api.password': 'p@ss' });
    expect(checked.values).toMatchObject({ name: 'c1', file: '/data/in.txt', 'tasks.max': 1, 'errors.tolerance': 'none' });
    expect(validated).toEqual([checked.resolved]);
  });

  it('reports every problem of every stage at once, under full config keys', async () => {
    validated.length = 0;
    const err = await rejected(ConfigError, 
      checkConnectorConfig({ name: 'c1', 'connector.class': 'TestSource', 'tasks.max': '0', topic: '${env:NOPE}', 'value.converter.schemas.enable': 'maybe' }, opts),
    );
    expect(err.fields.sort()).toEqual(['file', 'tasks.max', 'topic', 'value.converter.schemas.enable']);
    expect(validated).toEqual([]);
  });

  it('runs the plugin\'s own validate() only after everything else passed', async () => {
    const err = await rejected(ConfigError, checkConnectorConfig({ ...good, file: '/forbidden' }, opts));
    expect(err.issues).toEqual([{ field: 'file', message: 'File /forbidden is not readable' }]);
  });

  it('an unknown or missing connector class is a ConfigError for connector.class', async () => {
    expect((await rejected(ConfigError, checkConnectorConfig({ ...good, 'connector.class': 'Nope' }, opts))).fields).toEqual(['connector.class']);
    const { 'connector.class': _omit, ...noClass } = good;
    expect((await rejected(ConfigError, checkConnectorConfig(noClass, opts))).fields).toEqual(['connector.class']);
  });
});

describe('validateConnectorConfig', () => {
  it('answers in Kafka Connect\'s shape, showing what the user wrote, never resolved secrets', async () => {
    const infos = await validateConnectorConfig({ ...good, 'tasks.max': '0' }, opts);
    expect(infos.name).toBe('com.example.TestSourceConnector');
    expect(infos.error_count).toBe(1);
    expect(infos.groups).toContain('Common');
    const byName = Object.fromEntries(infos.configs.map((c) => [c.definition.name, c.value]));
    expect(byName['tasks.max']!.errors).toEqual(['Invalid value 0 for configuration tasks.max: Value must be at least 1']);
    expect(byName['file']!.value).toBe('${env:IN_FILE}');
    expect(byName['api.password']!.value).toBe('${env:API_PASSWORD}');
    expect(JSON.stringify(infos)).not.toContain('p@ss');
    const literal = await validateConnectorConfig({ ...good, 'api.password': 'p@ss' }, opts);
    expect(literal.configs.find((c) => c.definition.name === 'api.password')!.value.value).toBe('[hidden]');
    expect(JSON.stringify(literal)).not.toContain('p@ss');
  });

  it('adds the plugin\'s own errors and the problems of other stages to the fields they name', async () => {
    const own = await validateConnectorConfig({ ...good, file: '/forbidden' }, opts);
    expect(own.error_count).toBe(1);
    expect(own.configs.find((c) => c.definition.name === 'file')!.value.errors).toEqual(['File /forbidden is not readable']);
    const unknown = await validateConnectorConfig({ ...good, 'connector.class': 'Nope', 'key.converter': 'Avro' }, opts);
    expect(unknown.name).toBe('Nope');
    expect(unknown.configs.find((c) => c.definition.name === 'connector.class')!.value.errors[0]).toMatch(/Failed to find any class that implements Connector/);
    expect(unknown.configs.find((c) => c.definition.name === 'key.converter')!.value.errors[0]).toMatch(/Failed to find any class that implements Converter/);
    expect(unknown.error_count).toBe(2);
  });
});
