// The MySQL/MariaDB CDC connector streaming the binlog, run by real worker
// invocations in-process (dynalite, the embedded broker, a private MariaDB
// with the inventory database): row changes as Debezium events, hand-offs at
// the deadline that lose nothing (also inside a transaction), DDL tracked
// across a restart through the schema history, and a user without grants.
import { describe, expect, it } from 'vitest';
import { MySqlCdcConnector } from '../../src/connectors/mysql-cdc/connector.js';

import type { WorkerEvent, WorkerResult } from '../../src/runtime/worker.js';
import { connectorConfig, createConnector, invoke, keyPayload, payload, readTopic, store, topicSize, untilRecords, useCdcHarness } from '../helpers/cdc.js';

const mariadb = useCdcHarness({ serverIdBase: 6400 });


describe('streaming the binlog', () => {
  it('emits inserts, updates and deletes (each followed by a tombstone); a primary key change is a delete and a create', async () => {
    const { db } = mariadb();
    await createConnector('crud', await connectorConfig('crud1', { 'table.include.list': 'inventory.customers' }));
    const topic = 'crud1.inventory.customers';
    await untilRecords('crud', topic, 4, invoke('crud', 1_500));
    const running = invoke('crud', 3_000);

    await db.query("INSERT INTO inventory.customers (id, first_name, last_name, email) VALUES (1005, 'Zoë', 'Ørsted', 'zoe@example.com')");
    await db.query("UPDATE inventory.customers SET email = 'zoe@example.org' WHERE id = 1005");
    await db.query('UPDATE inventory.customers SET id = 2005 WHERE id = 1005');
    await db.query('DELETE FROM inventory.customers WHERE id = 2005');
    await untilRecords('crud', topic, 4 + 1 + 1 + 3 + 2, running);

    const changes = (await readTopic(topic)).slice(4);
    expect(changes.map((m) => payload(m)?.op ?? null)).toEqual(['c', 'u', 'd', null, 'c', 'd', null]);
    expect(changes.map((m) => keyPayload(m).id)).toEqual([1005, 1005, 1005, 1005, 2005, 2005, 2005]);
    const zoe = { id: 1005, first_name: 'Zoë', last_name: 'Ørsted', email: 'zoe@example.com' };
    const [c, u, d, , c2, d2] = changes.map(payload);
    expect([c.before, c.after]).toEqual([null, zoe]);
    expect([u.before, u.after]).toEqual([zoe, { ...zoe, email: 'zoe@example.org' }]);
    expect([d.before, d.after]).toEqual([{ ...zoe, email: 'zoe@example.org' }, null]);
    expect([c2.before, c2.after]).toEqual([null, { ...zoe, id: 2005, email: 'zoe@example.org' }]);
    expect([d2.before, d2.after]).toEqual([{ ...zoe, id: 2005, email: 'zoe@example.org' }, null]);
    expect(c.source).toMatchObject({ connector: 'mariadb', name: 'crud1', snapshot: 'false', db: 'inventory', table: 'customers', server_id: 1, row: 0 });
    expect(c.source.gtid).toMatch(/^0-1-\d+$/);
    expect(c.source.file).toMatch(/^binlog\.\d{6}$/);
    // Each row change is found by its binlog position and row; a key change's delete and create share its row.
    const where = (p: { source: { file: string; pos: number; row: number } }) => `${p.source.file}:${p.source.pos}:${p.source.row}`;
    expect(new Set([c, u, d, d2].map(where)).size).toBe(4);
    expect(where(c2)).toBe(where(d));

    // The offset stored last is a transaction boundary: the delete's commit.
    const [offset] = await store.readOffsets('crud');
    expect(offset!.offset).toMatchObject({ file: d2.source.file, gtids: d2.source.gtid });
    expect(offset!.offset!.event).toBeUndefined();
  });

  it('loses no row across hand-offs at the deadline, also inside transactions larger than a batch', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE inventory.ticks (id INT PRIMARY KEY, batch INT NOT NULL)');
    await createConnector('handoff', await connectorConfig('hand1', { 'table.include.list': 'inventory.ticks', 'max.batch.size': '7' }));
    const topic = 'hand1.inventory.ticks';

    // Transactions of 25 rows (several batches each) written while invocations come and go.
    let next = 1;
    let writing = true;
    const writer = (async () => {
      while (writing) {
        const rows = Array.from({ length: 25 }, () => next++);
        await db.query(`INSERT INTO inventory.ticks VALUES ${rows.map((id) => `(${id}, ${rows[0]})`).join(',')}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const successors: WorkerEvent[] = [];
    const outcomes: WorkerResult[] = [];
    try {
      for (let i = 0; i < 4; i++) outcomes.push(await invoke('handoff', 1_200, successors));
    } finally {
      writing = false;
      await writer;
    }
    const written = next - 1;
    for (let i = 0; i < 10 && (await topicSize(topic)) < written; i++) outcomes.push(await invoke('handoff', 1_500, successors));
    expect(outcomes.every((o) => o.outcome === 'handed-off')).toBe(true);
    expect(successors.length).toBe(outcomes.length);

    const ids = (await readTopic(topic)).map((m) => keyPayload(m).id as number);
    const seen = new Map<number, number>();
    for (const id of ids) seen.set(id, (seen.get(id) ?? 0) + 1);
    const missing = Array.from({ length: written }, (_, i) => i + 1).filter((id) => !seen.has(id));
    expect(missing).toEqual([]);
    expect([...seen.values()].filter((n) => n > 1)).toEqual([]);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  it('resumes inside a transaction from the stored event and row: the rows after them, each once', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE inventory.midtx (id INT PRIMARY KEY)');
    await createConnector('midtx', await connectorConfig('midtx1', { 'table.include.list': 'inventory.midtx', 'snapshot.mode': 'no_data' }));
    const first = await invoke('midtx', 1_500);
    expect(first.outcome).toBe('handed-off');

    // One transaction of 25 rows (one row event) at a known position, and an offset saying its first 10 rows were sent.
    const [{ File: file, Position: pos }] = (await db.query('SHOW MASTER STATUS')) as [{ File: string; Position: number }];
    await db.query(`INSERT INTO inventory.midtx VALUES ${Array.from({ length: 25 }, (_, i) => `(${i + 1})`).join(',')}`);
    await store.writeOffset('midtx', { server: 'midtx1' }, { file, pos, event: 0, row: 10 }, first.epoch!);

    await untilRecords('midtx', 'midtx1.inventory.midtx', 15, invoke('midtx', 2_000));
    const records = await readTopic('midtx1.inventory.midtx');
    expect(records.map((m) => keyPayload(m).id)).toEqual(Array.from({ length: 15 }, (_, i) => i + 11));
    expect(records.map((m) => payload(m).source.row)).toEqual(Array.from({ length: 15 }, (_, i) => i + 10));
    // Its last record carried the transaction's commit: the next start skips nothing.
    const [offset] = await store.readOffsets('midtx');
    expect(offset!.offset!.row).toBeUndefined();
    expect(offset!.offset!.pos).toBeGreaterThan(pos);
  });

  it('decodes the rows before an ALTER TABLE with the old structure and those after it with the new one, also after a restart', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE inventory.gadgets (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)');
    await createConnector('ddl', await connectorConfig('ddl1', { 'table.include.list': 'inventory.gadgets' }));
    const topic = 'ddl1.inventory.gadgets';
    const first = invoke('ddl', 2_500);
    await db.query("INSERT INTO inventory.gadgets VALUES (1, 'lever')");
    await untilRecords('ddl', topic, 1, first);

    // No invocation runs: the next one resumes before all of this.
    await db.query("INSERT INTO inventory.gadgets VALUES (2, 'pulley')");
    await db.query("ALTER TABLE inventory.gadgets ADD COLUMN weight_g INT NOT NULL DEFAULT 0 COMMENT 'grams'");
    await db.query("INSERT INTO inventory.gadgets VALUES (3, 'wedge', 250)");
    await untilRecords('ddl', topic, 3, invoke('ddl', 2_500));

    const rows = (await readTopic(topic)).map((m) => JSON.parse(m.value!));
    expect(rows.map((r) => r.payload.after)).toEqual([
      { id: 1, name: 'lever' },
      { id: 2, name: 'pulley' },
      { id: 3, name: 'wedge', weight_g: 250 },
    ]);
    expect(rows[2].schema.fields[1].fields.map((f: { field: string }) => f.field)).toEqual(['id', 'name', 'weight_g']);
    expect(rows[2].schema.fields[1].fields[2]).toMatchObject({ type: 'int32', optional: false, default: 0 });

    const changes = (await readTopic('ddl1')).map(payload);
    const alter = changes.find((c) => /^ALTER TABLE/.test(c.ddl));
    expect(alter).toMatchObject({ databaseName: 'inventory', source: { db: 'inventory', table: 'gadgets', snapshot: 'false' } });
    expect(alter.tableChanges).toHaveLength(1);
    expect(alter.tableChanges[0]).toMatchObject({ type: 'ALTER', id: '"inventory"."gadgets"' });
    expect(alter.tableChanges[0].table.columns.map((c: { name: string }) => c.name)).toEqual(['id', 'name', 'weight_g']);

    // A third start recovers the new structure from the history alone.
    const third = invoke('ddl', 2_500);
    await db.query("INSERT INTO inventory.gadgets VALUES (4, 'screw', 5)");
    await untilRecords('ddl', topic, 4, third);
    expect(payload((await readTopic(topic))[3]!).after).toEqual({ id: 4, name: 'screw', weight_g: 5 });
  });
});

describe('a user without the grants', () => {
  it('fails the task with a trace naming the missing privilege, and validate() says so on database.user', async () => {
    const config = await connectorConfig('nogrants1', {}, 'none');
    await createConnector('nogrants', config);
    const res = await invoke('nogrants', 5_000);
    expect(res.outcome).toBe('failed');
    const task = await store.getTask('nogrants', 0);
    expect(task?.state).toBe('FAILED');
    expect(task?.trace).toMatch(/BINLOG MONITOR/);
    expect(task?.trace).toMatch(/GRANT SELECT, REPLICATION SLAVE, REPLICATION CLIENT ON \*\.\* TO 'cdc_none'/);

    const connector = new MySqlCdcConnector('mariadb', 'test');
    const problems = await connector.validate(config);
    expect(Object.keys(problems)).toEqual(['database.user']);
    expect(problems['database.user']!.join('\n')).toMatch(/BINLOG MONITOR/);
    expect(problems['database.user']!.join('\n')).toMatch(/REPLICATION SLAVE/);
    expect(await connector.validate(await connectorConfig('grants1'))).toEqual({});
    const refused = await connector.validate({ ...config, 'database.password': 'wrong' });
    expect(Object.keys(refused)).toEqual(['database.user']);
    expect(refused['database.user']![0]).toMatch(/refused database.user 'cdc_none'.*Access denied/);
    const unreachable = await connector.validate({ ...config, 'database.port': '1' });
    expect(Object.keys(unreachable)).toEqual(['database.hostname']);
    expect(unreachable['database.hostname']![0]).toMatch(/Unable to connect to the server at 127\.0\.0\.1:1: ECONNREFUSED/);
  });
});
