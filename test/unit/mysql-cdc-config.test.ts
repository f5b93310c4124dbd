import { describe, expect, it } from 'vitest';
import { connectorBaseConfig } from '../../src/connect/config/connector-config.js';
import { ConfigError } from '../../src/connect/errors.js';
import { defaultServerId, makeFilters, mysqlCdcConfig, renamedKeyIssues, resolveMySqlConfig, splitRegexList } from '../../src/connectors/mysql-cdc/config.js';

// The Debezium tutorial's connector config, as users have it.
const TUTORIAL = {
  'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
  'tasks.max': '1',
  'database.hostname': 'mysql',
  'database.port': '3306',
  'database.user': 'debezium',
  'database.password': 'dbz',
  'database.server.id': '184054',
  'topic.prefix': 'dbserver1',
  'database.include.list': 'inventory',
  'schema.history.internal.kafka.bootstrap.servers': 'kafka:9092',
  'schema.history.internal.kafka.topic': 'schema-changes.inventory',
};

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveMySqlConfig', () => {
  it("reads the Debezium tutorial's config, with Debezium's defaults", () => {
    const c = resolveMySqlConfig(TUTORIAL);
    expect({ ...c, filters: undefined }).toEqual({
      hostname: 'mysql',
      port: 3306,
      user: 'debezium',
      password: 'dbz',
      serverId: 184054,
      connectTimeoutMs: 30000,
      topicPrefix: 'dbserver1',
      includeSchemaChanges: true,
      tombstonesOnDelete: true,
      heartbeatIntervalMs: 0,
      modes: { decimal: 'precise', time: 'adaptive_time_microseconds', bigintUnsigned: 'long' },
      snapshotMode: 'initial',
      snapshotLockingMode: 'minimal',
      snapshotChunkSize: 10000,
      history: { kafkaTopic: 'schema-changes.inventory', bootstrapServers: 'kafka:9092', skipUnparseableDdl: false },
      maxBatchSize: 2048,
      pollIntervalMs: 500,
      filters: undefined,
    });
    expect(c.filters.database('inventory')).toBe(true);
    expect(c.filters.database('inventory2')).toBe(false);
  });

  it('accepts every old name and maps it to the new one', () => {
    const c = resolveMySqlConfig({
      'database.hostname': 'h',
      'database.user': 'u',
      'database.server.name': 'legacy',
      'database.whitelist': 'shop',
      'table.blacklist': 'shop\\.audit',
      'column.blacklist': 'shop\\.customers\\.ssn',
      'database.history.kafka.topic': 'history',
      'database.history.kafka.bootstrap.servers': 'k:9092',
      'database.history.skip.unparseable.ddl': 'true',
      'snapshot.fetch.size': '500',
    });
    expect(c.topicPrefix).toBe('legacy');
    expect(c.history).toEqual({ kafkaTopic: 'history', bootstrapServers: 'k:9092', skipUnparseableDdl: true });
    expect(c.snapshotChunkSize).toBe(500);
    expect(c.filters.table('shop', 'orders')).toBe(true);
    expect(c.filters.table('shop', 'audit')).toBe(false);
    expect(c.filters.table('other', 'orders')).toBe(false);
    expect(c.filters.column('shop', 'customers', 'ssn')).toBe(false);
    expect(c.filters.column('shop', 'customers', 'name')).toBe(true);
    const white = resolveMySqlConfig({ 'database.hostname': 'h', 'database.user': 'u', 'topic.prefix': 'p', 'table.whitelist': 'shop\\.orders', 'column.whitelist': '.*\\.id' });
    expect([white.filters.table('shop', 'orders'), white.filters.table('shop', 'items')]).toEqual([true, false]);
    expect([white.filters.column('shop', 'orders', 'id'), white.filters.column('shop', 'orders', 'note')]).toEqual([true, false]);
  });

  it('a key under both names with different values is a 400 naming both', () => {
    const err = configError(() => resolveMySqlConfig({ ...TUTORIAL, 'database.whitelist': 'shop', 'database.history.skip.unparseable.ddl': 'true' }));
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.fields).toEqual(['database.whitelist']);
    expect(err.message).toContain('"database.whitelist" is the old name of "database.include.list"');
    const flags = configError(() => resolveMySqlConfig({ ...TUTORIAL, 'schema.history.internal.skip.unparseable.ddl': 'false', 'database.history.skip.unparseable.ddl': 'true' }));
    expect(flags.message).toMatch(/database\.history\.skip\.unparseable\.ddl.*schema\.history\.internal\.skip\.unparseable\.ddl/);
    // The same value under both names is fine (booleans case-insensitively, numbers by value).
    expect(() => resolveMySqlConfig({ ...TUTORIAL, 'database.whitelist': ' inventory ', 'snapshot.chunk.size': '100', 'snapshot.fetch.size': '0100' })).not.toThrow();
    expect(renamedKeyIssues({ 'schema.history.internal.skip.unparseable.ddl': 'TRUE', 'database.history.skip.unparseable.ddl': 'true' })).toEqual([]);
  });

  it('topic.prefix wins over database.server.name, as in Debezium 2.x', () => {
    expect(resolveMySqlConfig({ ...TUTORIAL, 'database.server.name': 'mysql-server-1' }).topicPrefix).toBe('dbserver1');
  });

  it('needs topic.prefix or database.server.name, and a valid topic name part', () => {
    const { 'topic.prefix': _prefix, ...rest } = TUTORIAL;
    expect(configError(() => resolveMySqlConfig(rest)).fields).toEqual(['topic.prefix']);
    const bad = configError(() => resolveMySqlConfig({ ...TUTORIAL, 'topic.prefix': 'db server/1' }));
    expect(bad.fields).toEqual(['topic.prefix']);
    expect(configError(() => resolveMySqlConfig({ ...rest, 'database.server.name': 'a b' })).fields).toEqual(['database.server.name']);
  });

  it('snapshot.mode: the listed modes, case-insensitively, schema_only as no_data; others are a 400 naming the key', () => {
    for (const mode of ['initial', 'initial_only', 'when_needed', 'no_data', 'never', 'always']) expect(resolveMySqlConfig({ ...TUTORIAL, 'snapshot.mode': mode }).snapshotMode).toBe(mode);
    expect(resolveMySqlConfig({ ...TUTORIAL, 'snapshot.mode': 'schema_only' }).snapshotMode).toBe('no_data');
    expect(resolveMySqlConfig({ ...TUTORIAL, 'snapshot.mode': 'INITIAL' }).snapshotMode).toBe('initial');
    const err = configError(() => resolveMySqlConfig({ ...TUTORIAL, 'snapshot.mode': 'recovery' }));
    expect(err.fields).toEqual(['snapshot.mode']);
    expect(err.message).toContain('Invalid value recovery for configuration snapshot.mode');
  });

  it('reads the modes and the other settings', () => {
    const c = resolveMySqlConfig({
      ...TUTORIAL,
      'decimal.handling.mode': 'STRING',
      'time.precision.mode': 'connect',
      'bigint.unsigned.handling.mode': 'precise',
      'snapshot.locking.mode': 'none',
      'tombstones.on.delete': 'false',
      'include.schema.changes': 'false',
      'heartbeat.interval.ms': '10000',
      'max.batch.size': '100',
      'poll.interval.ms': '50',
      'connect.timeout.ms': '1000',
    });
    expect(c.modes).toEqual({ decimal: 'string', time: 'connect', bigintUnsigned: 'precise' });
    expect([c.snapshotLockingMode, c.tombstonesOnDelete, c.includeSchemaChanges, c.heartbeatIntervalMs, c.maxBatchSize, c.pollIntervalMs, c.connectTimeoutMs]).toEqual(['none', false, false, 10000, 100, 50, 1000]);
    const bad = configError(() => resolveMySqlConfig({ ...TUTORIAL, 'decimal.handling.mode': 'exact', 'snapshot.locking.mode': 'always', 'database.port': 'x' }));
    expect(bad.fields.sort()).toEqual(['database.port', 'decimal.handling.mode', 'snapshot.locking.mode']);
  });

  it('an include list and its exclude list cannot both be set, under any of their names', () => {
    expect(configError(() => resolveMySqlConfig({ ...TUTORIAL, 'database.blacklist': 'x' })).fields).toEqual(['database.blacklist']);
    expect(configError(() => resolveMySqlConfig({ ...TUTORIAL, 'table.include.list': 'a\\.b', 'table.exclude.list': 'a\\.c' })).fields).toEqual(['table.exclude.list']);
    // reported together with a renamed-key conflict, in one 400
    expect(configError(() => resolveMySqlConfig({ ...TUTORIAL, 'database.blacklist': 'x', 'database.whitelist': 'y' })).fields).toEqual(['database.blacklist', 'database.whitelist']);
  });

  it('an invalid regular expression is a 400 naming the key', () => {
    const err = configError(() => resolveMySqlConfig({ ...TUTORIAL, 'table.include.list': 'inventory\\.(orders' }));
    expect(err.fields).toEqual(['table.include.list']);
    expect(err.message).toMatch(/Invalid regular expression/);
  });

  it('database.server.id defaults to a stable number derived from the topic prefix', () => {
    const { 'database.server.id': _id, ...rest } = TUTORIAL;
    const id = resolveMySqlConfig(rest).serverId;
    expect(id).toBe(defaultServerId('dbserver1'));
    expect(resolveMySqlConfig(rest).serverId).toBe(id);
    expect(id).toBeGreaterThanOrEqual(10000);
    expect(id).toBeLessThan(2 ** 31);
    expect(defaultServerId('dbserver2')).not.toBe(id);
    expect(configError(() => resolveMySqlConfig({ ...TUTORIAL, 'database.server.id': '0' })).fields).toEqual(['database.server.id']);
  });

  it('merges onto the base connector config and masks the password in validate', () => {
    const spec = connectorBaseConfig.merge(mysqlCdcConfig);
    const infos = spec.validate({ ...TUTORIAL, name: 'inventory-connector' });
    expect(infos.error_count).toBe(0);
    expect(infos.configs.find((c) => c.value.name === 'database.password')!.value.value).toBe('[hidden]');
    const { 'topic.prefix': _prefix, ...rest } = TUTORIAL;
    const missing = spec.validate({ ...rest, name: 'x' });
    expect(missing.configs.find((c) => c.value.name === 'topic.prefix')!.value.errors).toEqual([expect.stringContaining('topic.prefix')]);
  });
});

describe('filters', () => {
  it('match whole names, case-insensitively', () => {
    const f = makeFilters({ databaseInclude: 'inv.*,shop', tableExclude: 'inventory\\.geom' });
    expect([f.database('inventory'), f.database('INVENTORY'), f.database('shop'), f.database('shopping'), f.database('xinventory')]).toEqual([true, true, true, false, false]);
    expect([f.table('inventory', 'customers'), f.table('inventory', 'geom'), f.table('inventory', 'geometry'), f.table('other', 'customers')]).toEqual([true, false, true, false]);
  });

  it("never capture the server's own schemas", () => {
    const f = makeFilters({});
    for (const db of ['mysql', 'sys', 'performance_schema', 'information_schema']) expect(f.table(db, 't')).toBe(false);
    expect(f.table('app', 't')).toBe(true);
  });

  it("split lists at commas, except '\\,' and commas inside a quantifier or a group", () => {
    expect(splitRegexList(' a , b\\,c,d{1,3},(e|f,g) ,, ')).toEqual(['a', 'b,c', 'd{1,3}', '(e|f,g)']);
    const f = makeFilters({ tableInclude: 'db\\.t{1,2}' });
    expect([f.table('db', 't'), f.table('db', 'tt'), f.table('db', 'ttt')]).toEqual([true, true, false]);
  });
});
