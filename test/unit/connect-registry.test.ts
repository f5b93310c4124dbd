import { describe, expect, it } from 'vitest';
import { ConfigError, ConflictError } from '../../src/connect/errors.js';
import type { Connector } from '../../src/connect/plugin.js';
import { createPluginRegistry, slipwayVersion } from '../../src/connect/registry.js';

const fakeConnector = (): Connector => {
  throw new Error('not created in these tests');
};

function registry() {
  const r = createPluginRegistry();
  r.registerConnector({ class: 'org.apache.kafka.connect.file.FileStreamSourceConnector', type: 'source', version: '3.9.0', create: fakeConnector });
  r.registerConnector({ class: 'org.apache.kafka.connect.file.FileStreamSinkConnector', type: 'sink', version: '3.9.0', create: fakeConnector });
  r.registerConnector({ class: 'io.debezium.connector.mysql.MySqlConnector', aliases: ['mysql-cdc'], type: 'source', version: '3.0.0', create: fakeConnector });
  return r;
}

describe('PluginRegistry', () => {
  it('finds connectors by class name, simple name, pruned name and explicit alias', () => {
    const r = registry();
    for (const name of ['org.apache.kafka.connect.file.FileStreamSourceConnector', 'FileStreamSourceConnector', 'FileStreamSource', ' FileStreamSource ']) {
      expect(r.resolveConnector(name).class, name).toBe('org.apache.kafka.connect.file.FileStreamSourceConnector');
    }
    const mysql = r.resolveConnector('mysql-cdc');
    expect([mysql.class, mysql.type, mysql.version]).toEqual(['io.debezium.connector.mysql.MySqlConnector', 'source', '3.0.0']);
    expect(mysql.aliases).toEqual(['io.debezium.connector.mysql.MySqlConnector', 'mysql-cdc', 'MySqlConnector', 'MySql']);
    expect(r.findConnector('filestreamsource')).toBeUndefined();
  });

  it('an unknown connector class is a ConfigError for connector.class naming the value', () => {
    let err: unknown;
    try {
      registry().resolveConnector('com.acme.NopeConnector');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).fields).toEqual(['connector.class']);
    expect((err as ConfigError).message).toMatch(/^Invalid value com.acme.NopeConnector for configuration connector.class: Failed to find any class that implements Connector and which name matches com.acme.NopeConnector; available: .*FileStreamSinkConnector/);
  });

  it('refuses a second registration of a class or a clashing explicit alias', () => {
    const r = registry();
    expect(() => r.registerConnector({ class: 'io.debezium.connector.mysql.MySqlConnector', type: 'source', version: '1', create: fakeConnector })).toThrow(ConflictError);
    expect(() => r.registerConnector({ class: 'com.acme.Other', aliases: ['mysql-cdc'], type: 'source', version: '1', create: fakeConnector })).toThrow(/Alias mysql-cdc .* already taken/);
  });

  it('a simple name two classes share is ambiguous, and the error says which', () => {
    const r = registry();
    r.registerConnector({ class: 'com.acme.MySqlConnector', type: 'source', version: '1', create: fakeConnector });
    expect(() => r.resolveConnector('MySqlConnector')).toThrow(/MySqlConnector is ambiguous: .*io.debezium.connector.mysql.MySqlConnector and com.acme.MySqlConnector/);
    expect(r.resolveConnector('mysql-cdc').class).toBe('io.debezium.connector.mysql.MySqlConnector');
    expect(r.resolveConnector('com.acme.MySqlConnector').class).toBe('com.acme.MySqlConnector');
  });

  it('resolves the built-in converters by class and alias', () => {
    const r = registry();
    expect(r.resolveConverter('org.apache.kafka.connect.json.JsonConverter').class).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(r.resolveConverter('Json').class).toBe('org.apache.kafka.connect.json.JsonConverter');
    expect(r.resolveConverter('StringConverter').class).toBe('org.apache.kafka.connect.storage.StringConverter');
    expect(r.resolveConverter('ByteArray').class).toBe('org.apache.kafka.connect.converters.ByteArrayConverter');
    expect(() => r.resolveConverter('Avro', 'key.converter')).toThrow(/configuration key.converter/);
  });

  it('lists plugins in the shape of GET /connector-plugins', () => {
    const r = registry();
    expect(r.listPlugins()).toEqual([
      { class: 'io.debezium.connector.mysql.MySqlConnector', type: 'source', version: '3.0.0' },
      { class: 'org.apache.kafka.connect.file.FileStreamSinkConnector', type: 'sink', version: '3.9.0' },
      { class: 'org.apache.kafka.connect.file.FileStreamSourceConnector', type: 'source', version: '3.9.0' },
    ]);
    const all = r.listPlugins({ connectorsOnly: false });
    expect(all).toHaveLength(6);
    expect(all).toContainEqual({ class: 'org.apache.kafka.connect.json.JsonConverter', type: 'converter', version: slipwayVersion() });
    expect(slipwayVersion()).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('the runtime registry', () => {
  it("merges every built-in connector's config spec with the base config of its type (no key declared twice)", async () => {
    const { createRuntimeRegistry } = await import('../../src/runtime/plugins.js');
    const { connectorBaseConfig, sinkConnectorBaseConfig } = await import('../../src/connect/config/connector-config.js');
    const registry = createRuntimeRegistry();
    const connectors = registry.listPlugins().filter((p) => p.type === 'source' || p.type === 'sink');
    expect(connectors.map((p) => p.class)).toEqual(expect.arrayContaining(['io.confluent.connect.jdbc.JdbcSinkConnector', 'org.apache.kafka.connect.file.FileStreamSinkConnector', 'io.debezium.connector.mariadb.MariaDbConnector']));
    for (const info of connectors) {
      const plugin = registry.resolveConnector(info.class);
      const base = plugin.type === 'sink' ? sinkConnectorBaseConfig : connectorBaseConfig;
      expect(() => base.merge(plugin.create().config()), info.class).not.toThrow();
    }
  });
});
