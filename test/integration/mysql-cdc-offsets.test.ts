// The MySQL/MariaDB CDC connector's stored state, without a server: offsets as
// Slipway and Debezium write them, and the schema history folded back into the
// table structures that apply at a binlog position.
import { describe, expect, it } from 'vitest';
import { applyDdl, catalogOf, type SchemaCatalog } from '../../src/connectors/mysql-cdc/ddl.js';
import {
  compareBinlogPositions,
  loadOffset,
  snapshotCompletedOffset,
  snapshotOffset,
  streamingOffset,
  type BinlogPosition,
} from '../../src/connectors/mysql-cdc/offsets.js';
import { databaseChanges, SchemaHistory, type HistoryLog } from '../../src/connectors/mysql-cdc/schema-history.js';
import { tableSchemaFromCreateTable } from '../../src/connectors/mysql-cdc/table-schema.js';
import { createLogger } from '../../src/logging.js';

const logger = createLogger('test', { level: 'silent' });

describe('offsets', () => {
  it("reads Debezium's own streaming offsets, numbers written as text included", () => {
    expect(loadOffset({ ts_sec: 1725644339, file: 'mysql-bin.000004', pos: 138466, row: 1, server_id: 223344, event: 2 })).toEqual({
      kind: 'streaming',
      position: { file: 'mysql-bin.000004', pos: 138466, gtids: null, event: 2, row: 1 },
      token: null,
    });
    expect(loadOffset({ file: 'mysql-bin.000002', pos: '8592550', gtids: '0-1-37' })).toMatchObject({ kind: 'streaming', position: { pos: 8592550, gtids: '0-1-37', event: 0, row: 0 } });
    expect(loadOffset(null)).toBeNull();
  });

  it("takes a Debezium snapshot offset as a snapshot to run again from its position", () => {
    expect(loadOffset({ file: 'binlog.000003', pos: 154, snapshot: true })).toEqual({
      kind: 'snapshot',
      progress: { binlog: { file: 'binlog.000003', pos: 154, gtids: null }, table: null, lastKey: null, token: null },
    });
    // A completed one streams.
    expect(loadOffset({ file: 'binlog.000003', pos: 154, snapshot: true, snapshot_completed: true })?.kind).toBe('streaming');
  });

  it('round-trips snapshot progress, binary and composite keys included, and its completion', () => {
    const binlog: BinlogPosition = { file: 'binlog.000007', pos: 4242, gtids: '0-1-99' };
    const lastKey = [17, 'b', Buffer.from([0, 255, 7]), '2024-01-02 03:04:05'];
    const stored = snapshotOffset({ binlog, table: 'inventory.big', lastKey, token: 't1' }, 1700000000);
    expect(stored).toMatchObject({ file: 'binlog.000007', pos: 4242, snapshot: true, snapshot_table: 'inventory.big', snapshot_completed: false, snapshot_token: 't1' });
    expect(typeof stored.snapshot_last_key).toBe('string');
    expect(loadOffset(JSON.parse(JSON.stringify(stored)))).toEqual({ kind: 'snapshot', progress: { binlog, table: 'inventory.big', lastKey, token: 't1' } });
    expect(loadOffset(JSON.parse(JSON.stringify(snapshotCompletedOffset(binlog, 1700000001, 't1'))))).toEqual({
      kind: 'streaming',
      position: { ...binlog, event: 0, row: 0 },
      token: 't1',
    });
  });

  it('writes event and row only inside a transaction', () => {
    expect(streamingOffset({ file: 'binlog.000001', pos: 4, event: 0, row: 0 }, 1, 1, null)).toEqual({ file: 'binlog.000001', pos: 4, ts_sec: 1, server_id: 1 });
    expect(streamingOffset({ file: 'binlog.000001', pos: 4, gtids: '0-1-2', event: 1, row: 3 }, 1, null, null)).toEqual({ file: 'binlog.000001', pos: 4, gtids: '0-1-2', event: 1, row: 3, ts_sec: 1 });
  });

  it('refuses what cannot be a binlog position, naming the fix', () => {
    expect(() => loadOffset({ position: 12 })).toThrow(/not a MySQL\/MariaDB binlog position.*slipway offsets --reset/);
    expect(() => loadOffset({ file: 'binlog.000001', pos: 4, snapshot: true, snapshot_table: 'a.b', snapshot_last_key: '{' })).toThrow(/snapshot_last_key/);
  });

  it('orders positions by file sequence number, then position', () => {
    expect(compareBinlogPositions({ file: 'binlog.000009', pos: 900 }, { file: 'binlog.000010', pos: 4 })).toBeLessThan(0);
    expect(compareBinlogPositions({ file: 'binlog.000010', pos: 900 }, { file: 'binlog.000010', pos: 4 })).toBeGreaterThan(0);
    expect(compareBinlogPositions({ file: 'binlog.000010', pos: 4 }, { file: 'binlog.000010', pos: 4 })).toBe(0);
  });
});

/** A history kept in memory, as the Kafka topic keeps it: append-only, in order. */
function memoryLog(): HistoryLog & { values: string[] } {
  const values: string[] = [];
  return {
    values,
    readAll: async () => [...values],
    append: async (v) => void values.push(...v),
    close: async () => {},
  };
}

const at = (file: number, pos: number): BinlogPosition => ({ file: `binlog.${String(file).padStart(6, '0')}`, pos });
const columns = (catalog: SchemaCatalog | null, table: string) => catalog?.get('shop')?.tables.get(table)?.columns.map((c) => c.name);

/** Applies `ddl` to `catalog` and records it at `position`, as the streaming reader does. */
async function ddl(history: SchemaHistory, catalog: SchemaCatalog, position: BinlogPosition, statement: string): Promise<SchemaCatalog> {
  const r = applyDdl(catalog, statement, 'shop');
  if (r.kind !== 'changed') throw new Error(`${statement}: ${r.kind}`);
  await history.recordDdl(position, 'shop', statement, r.changes, databaseChanges(r.catalog, r.databases));
  return r.catalog;
}

describe('the schema history', () => {
  const items = tableSchemaFromCreateTable('shop', 'CREATE TABLE `items` (`id` int NOT NULL, `name` varchar(20), PRIMARY KEY (`id`))');
  const start = catalogOf([items], [{ name: 'shop', charset: 'utf8mb4' }]);

  it('gives the structures that apply at a position: the snapshot, then the DDL up to it, never after it', async () => {
    const log = memoryLog();
    const history = new SchemaHistory(log, 'srv', logger);
    await history.recordSnapshot(at(3, 500), start);
    let catalog = await ddl(history, start, at(3, 900), 'ALTER TABLE items ADD COLUMN price DECIMAL(6,2)');
    catalog = await ddl(history, catalog, at(4, 200), 'CREATE TABLE tags (id INT PRIMARY KEY)');
    await ddl(history, catalog, at(4, 700), 'DROP TABLE items');

    expect(await history.recover(at(3, 499))).toBeNull();
    expect(columns(await history.recover(at(3, 500)), 'items')).toEqual(['id', 'name']);
    expect(columns(await history.recover(at(3, 899)), 'items')).toEqual(['id', 'name']);
    expect(columns(await history.recover(at(3, 900)), 'items')).toEqual(['id', 'name', 'price']);
    expect([...(await history.recover(at(4, 200)))!.get('shop')!.tables.keys()].sort()).toEqual(['items', 'tags']);
    expect([...(await history.recover(at(9, 4)))!.get('shop')!.tables.keys()]).toEqual(['tags']);
  });

  it('applies a DDL record written twice (by an invocation that died and by its successor) once in effect', async () => {
    const log = memoryLog();
    const history = new SchemaHistory(log, 'srv', logger);
    await history.recordSnapshot(at(3, 500), start);
    await ddl(history, start, at(3, 900), 'ALTER TABLE items ADD COLUMN price DECIMAL(6,2)');
    await ddl(history, start, at(3, 900), 'ALTER TABLE items ADD COLUMN price DECIMAL(6,2)');
    expect(columns(await history.recover(at(5, 4)), 'items')).toEqual(['id', 'name', 'price']);
  });

  it('starts over at a later snapshot, ignores one not completely written and records of other servers', async () => {
    const log = memoryLog();
    const history = new SchemaHistory(log, 'srv', logger);
    await history.recordSnapshot(at(3, 500), start);
    await ddl(history, start, at(3, 900), 'ALTER TABLE items ADD COLUMN price DECIMAL(6,2)');
    // A re-snapshot (after a purge) at a later position, of a table rebuilt since.
    const rebuilt = tableSchemaFromCreateTable('shop', 'CREATE TABLE `items` (`id` int NOT NULL, `sku` varchar(8), PRIMARY KEY (`id`))');
    await history.recordSnapshot(at(8, 100), catalogOf([rebuilt]));
    expect(columns(await history.recover(at(8, 100)), 'items')).toEqual(['id', 'sku']);
    expect(columns(await history.recover(at(3, 950)), 'items')).toEqual(['id', 'name', 'price']);

    // Only the first part of a two-part snapshot: it does not count.
    const partial = JSON.parse(log.values[log.values.length - 1]!);
    log.values.push(JSON.stringify({ ...partial, id: 'torn', parts: 2, position: at(9, 4), databases: [] }));
    // Another connector's records in a shared topic.
    log.values.push(JSON.stringify({ ...partial, server: 'other', id: 'x', position: at(9, 8), databases: [] }));
    expect(columns(await history.recover(at(9, 500)), 'items')).toEqual(['id', 'sku']);
  });

  it('splits the snapshot of many tables into parts that each stay far below a Kafka message limit', async () => {
    const log = memoryLog();
    const history = new SchemaHistory(log, 'srv', logger);
    const wide = Array.from({ length: 300 }, (_, i) =>
      tableSchemaFromCreateTable('shop', `CREATE TABLE \`t${i}\` (\`id\` int NOT NULL, ${Array.from({ length: 30 }, (_, c) => `\`column_${c}\` varchar(255) DEFAULT 'value ${c}'`).join(', ')}, PRIMARY KEY (\`id\`))`),
    );
    await history.recordSnapshot(at(2, 4), catalogOf(wide));
    expect(log.values.length).toBeGreaterThan(1);
    expect(Math.max(...log.values.map((v) => v.length))).toBeLessThan(512 * 1024);
    expect((await history.recover(at(2, 4)))!.get('shop')!.tables.size).toBe(300);
  });
});
