// The MySQL/MariaDB CDC connector's initial snapshot, run by real worker
// invocations in-process (dynalite for the store, the embedded broker, a
// private MariaDB with the tutorial's inventory database): every table in
// primary-key order with Debezium's markers and JSON, and a snapshot that an
// invocation's deadline cuts short continuing from its last acknowledged row.
import { describe, expect, it } from 'vitest';
import type { WorkerResult } from '../../src/runtime/worker.js';
import { connectorConfig, createConnector as createFromConfig, invoke, keyPayload, payload, readTopic, store, useCdcHarness, type Message } from '../helpers/cdc.js';
import { INVENTORY_ROWS } from '../helpers/mariadb.js';

const mariadb = useCdcHarness({ serverIdBase: 5400 });

/** A MySqlConnector on the test MariaDB, its task items written by the coordinator as in production. */
async function createConnector(name: string, prefix: string, extra: Record<string, string> = {}): Promise<void> {
  await createFromConfig(name, await connectorConfig(prefix, { 'connector.class': 'io.debezium.connector.mysql.MySqlConnector', ...extra }));
}

// Debezium 3.2.1's value schema of a customers event (MySqlConnector, the tutorial's NOT NULL columns), as JsonConverter writes it.
const DEBEZIUM_CUSTOMERS_VALUE_SCHEMA = (() => {
  const row = (field: string) =>
    `{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":false,"field":"first_name"},{"type":"string","optional":false,"field":"last_name"},{"type":"string","optional":false,"field":"email"}],"optional":true,"name":"dbserver1.inventory.customers.Value","field":"${field}"}`;
  return (
    `{"type":"struct","fields":[${row('before')},${row('after')},` +
    '{"type":"struct","fields":[{"type":"string","optional":false,"field":"version"},{"type":"string","optional":false,"field":"connector"},{"type":"string","optional":false,"field":"name"},{"type":"int64","optional":false,"field":"ts_ms"},{"type":"string","optional":true,"name":"io.debezium.data.Enum","version":1,"parameters":{"allowed":"true,first,first_in_data_collection,last_in_data_collection,last,false,incremental"},"default":"false","field":"snapshot"},{"type":"string","optional":false,"field":"db"},{"type":"string","optional":true,"field":"sequence"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"},{"type":"string","optional":true,"field":"table"},{"type":"int64","optional":false,"field":"server_id"},{"type":"string","optional":true,"field":"gtid"},{"type":"string","optional":false,"field":"file"},{"type":"int64","optional":false,"field":"pos"},{"type":"int32","optional":false,"field":"row"},{"type":"int64","optional":true,"field":"thread"},{"type":"string","optional":true,"field":"query"}],"optional":false,"name":"io.debezium.connector.mysql.Source","version":1,"field":"source"},' +
    '{"type":"struct","fields":[{"type":"string","optional":false,"field":"id"},{"type":"int64","optional":false,"field":"total_order"},{"type":"int64","optional":false,"field":"data_collection_order"}],"optional":true,"name":"event.block","version":1,"field":"transaction"},' +
    '{"type":"string","optional":false,"field":"op"},{"type":"int64","optional":true,"field":"ts_ms"},{"type":"int64","optional":true,"field":"ts_us"},{"type":"int64","optional":true,"field":"ts_ns"}],"optional":false,"name":"dbserver1.inventory.customers.Envelope","version":2}'
  );
})();

describe('the initial snapshot', () => {
  it('reads every inventory table in key order as op r records, marked first/true/last, in Debezium JSON', async () => {
    await createConnector('snap', 'dbserver1');
    const res = await invoke('snap', 3_000);
    expect(res.outcome, res.reason).toBe('handed-off');

    const topics = Object.keys(INVENTORY_ROWS).sort();
    const byTable = new Map<string, Message[]>();
    for (const t of topics) byTable.set(t, await readTopic(`dbserver1.inventory.${t}`));
    for (const t of topics) expect(byTable.get(t)!.length, t).toBe(INVENTORY_ROWS[t as keyof typeof INVENTORY_ROWS]);

    const all = topics.flatMap((t) => byTable.get(t)!.map(payload));
    expect(all.every((p) => p.op === 'r' && p.before === null)).toBe(true);
    // Tables are read in db.table order, so the markers sit on the first addresses row and the last products_on_hand row.
    const markers = all.map((p) => p.source.snapshot);
    expect(markers[0]).toBe('first');
    expect(markers[markers.length - 1]).toBe('last');
    expect(markers.slice(1, -1).every((m) => m === 'true')).toBe(true);
    expect(byTable.get('products')!.map((m) => keyPayload(m).id)).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(byTable.get('orders')!.map((m) => payload(m).after)).toContainEqual({ order_number: 10004, order_date: 16852, purchaser: 1003, quantity: 1, product_id: 107 });

    const sally = byTable.get('customers')![0]!;
    expect(sally.key).toBe('{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"dbserver1.inventory.customers.Key"},"payload":{"id":1001}}');
    const value = JSON.parse(sally.value!);
    expect(JSON.stringify(value.schema)).toBe(DEBEZIUM_CUSTOMERS_VALUE_SCHEMA);
    const { file, pos } = value.payload.source;
    expect(value.payload).toEqual({
      before: null,
      after: { id: 1001, first_name: 'Sally', last_name: 'Thomas', email: 'sally.thomas@acme.com' },
      source: {
        version: expect.any(String),
        connector: 'mysql',
        name: 'dbserver1',
        ts_ms: expect.any(Number),
        snapshot: 'true',
        db: 'inventory',
        sequence: null,
        ts_us: expect.any(Number),
        ts_ns: expect.any(Number),
        table: 'customers',
        server_id: 1,
        gtid: null,
        file: expect.stringMatching(/^binlog\.\d{6}$/),
        pos: expect.any(Number),
        row: 0,
        thread: null,
        query: null,
      },
      transaction: null,
      op: 'r',
      ts_ms: expect.any(Number),
      ts_us: expect.any(Number),
      ts_ns: expect.any(Number),
    });

    // One CREATE TABLE schema change per table, keyed by the database, before any row.
    const changes = await readTopic('dbserver1');
    expect(changes.map((m) => payload(m).tableChanges[0].id)).toEqual(topics.map((t) => `"inventory"."${t}"`));
    expect(changes.map((m) => keyPayload(m))).toEqual(topics.map(() => ({ databaseName: 'inventory' })));
    expect(payload(changes[0]!).ddl).toMatch(/^CREATE TABLE `addresses`/);

    // The stored offset says the snapshot completed at the binlog position it started from.
    const [offset] = await store.readOffsets('snap');
    expect(offset!.partition).toEqual({ server: 'dbserver1' });
    expect(offset!.offset).toMatchObject({ file, pos, snapshot_completed: true });
  });

  it('continues a snapshot cut short by the deadline after its last acknowledged row, reading no row twice', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE IF NOT EXISTS inventory.big (id INT PRIMARY KEY, label VARCHAR(20))');
    const total = 4000;
    await db.query(`INSERT INTO inventory.big VALUES ${Array.from({ length: total }, (_, i) => `(${i + 1}, 'row ${i + 1}')`).join(',')}`);
    // Small chunks and batches: invocations end in the middle of the table.
    await createConnector('resume', 'resume1', { 'table.include.list': 'inventory.big', 'snapshot.chunk.size': '7', 'max.batch.size': '2', 'include.schema.changes': 'false' });
    const outcomes: WorkerResult[] = [];
    const midTable: unknown[] = [];
    let read: Message[] = [];
    for (let i = 0; i < 40 && read.length < total; i++) {
      outcomes.push(await invoke('resume', 1_200));
      const [offset] = await store.readOffsets('resume');
      if (offset?.offset?.snapshot_completed === false) midTable.push(offset.offset);
      read = await readTopic('resume1.inventory.big');
    }
    expect(outcomes.length).toBeGreaterThan(1);
    expect(midTable.length).toBeGreaterThan(0);
    expect(midTable[0]).toMatchObject({ snapshot: true, snapshot_table: 'inventory.big', snapshot_last_key: expect.stringMatching(/^\[\d+\]$/) });
    expect(outcomes.every((o) => o.outcome === 'handed-off')).toBe(true);
    const ids = read.map((m) => keyPayload(m).id as number);
    const counts = new Map<number, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    expect(counts.size).toBe(total);
    expect([...counts.values()].every((n) => n === 1)).toBe(true);
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    expect(payload(read[0]!).source.snapshot).toBe('first');
    expect(payload(read[read.length - 1]!).source.snapshot).toBe('last');
  });
});
