// Issue 5, end to end: MariaDB → CDC source → broker → JDBC sink → PostgreSQL
// in `slipway dev` (the whole stack; the worker and the sink function in child
// processes). A MariaDbConnector streams inventory.customers of a private
// MariaDB with a row binlog; a JdbcSinkConnector, created through the REST API
// like the source, is run by the coordinator's alias + event source mapping on
// the emulator, whose kafkajs poller invokes the sink function. The sink's
// chain is the usual Debezium one: ExtractNewRecordState (unwrap), ReplaceField
// $Value (first_name → given_name) and TimestampRouter (`${topic}_${YYYYMM}`).
//
// Deletes: Debezium sends a delete event (op d) and then a tombstone. With
// `delete.tombstone.handling.mode=tombstone` the unwrap turns the delete event
// into a tombstone too and keeps the connector's own one, so the sink
// (`delete.enabled=true`, `pk.mode=record_key`) gets a null value with the
// key {id} and deletes the row (the second delete is a no-op). `rewrite` would
// instead upsert the old row with `__deleted=true`: the row would stay.
//
// Table name: TimestampRouter gives `cdc.inventory.customers_<YYYYMM>`;
// `table.name.format=${topic}` keeps it, and the sink quotes every identifier,
// so the dotted name is one PostgreSQL table (30 characters, under the 63 limit),
// not schema.table.
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { DevHarness } from '../helpers/dev.js';
import { waitFor } from '../helpers/env.js';
import { INVENTORY_ROWS, mariaDbConnectorConfig, useTestMariaDb } from '../helpers/mariadb.js';
import { useTestPostgres } from '../helpers/postgres.js';

const PREFIX = 'cdc';
const TOPIC = `${PREFIX}.inventory.customers`;
const SOURCE = 'customers-cdc';
const SINK = 'customers-pg';

type Row = [id: number, firstName: string, lastName: string, email: string];

const json = { 'key.converter': 'org.apache.kafka.connect.json.JsonConverter', 'key.converter.schemas.enable': 'true', 'value.converter': 'org.apache.kafka.connect.json.JsonConverter', 'value.converter.schemas.enable': 'true' };

/** The first difference between two row sets sorted by id, for a readable failure. */
function diff(got: Row[], want: Row[]): string {
  const g = new Map(got.map((r) => [r[0], r]));
  const w = new Map(want.map((r) => [r[0], r]));
  const missing = want.filter((r) => !g.has(r[0])).map((r) => r[0]);
  const extra = got.filter((r) => !w.has(r[0])).map((r) => r[0]);
  const changed = want.filter((r) => g.has(r[0]) && JSON.stringify(g.get(r[0])) !== JSON.stringify(r)).map((r) => r[0]);
  return `${got.length} rows vs ${want.length}; missing ${missing.slice(0, 5).join(',')}; extra ${extra.slice(0, 5).join(',')}; different ${changed.slice(0, 5).join(',')}`;
}

describe('MariaDB → CDC → JDBC sink → PostgreSQL in slipway dev (issue 5)', () => {
  const mariadb = useTestMariaDb({ inventory: true });
  const postgres = useTestPostgres();
  let dev: DevHarness;

  beforeAll(async () => {
    dev = await DevHarness.start({ schedulePeriodMs: 500 });
  }, 120_000);

  afterAll(async () => {
    await dev?.close();
  });

  const sourceRows = async (): Promise<Row[]> => {
    const rows = await mariadb().db.query<Array<{ id: number; first_name: string; last_name: string; email: string }>>('SELECT id, first_name, last_name, email FROM inventory.customers ORDER BY id');
    return rows.map((r) => [Number(r.id), r.first_name, r.last_name, r.email]);
  };

  /** The sink's tables: what TimestampRouter made of the topic. */
  const sinkTables = async (): Promise<string[]> =>
    (await postgres().query<{ table_name: string }>(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name LIKE $1 ORDER BY 1`, [`${TOPIC}%`])).map((r) => r.table_name);

  const targetRows = async (table: string): Promise<Row[]> => {
    const rows = await postgres().query<{ id: number; given_name: string; last_name: string; email: string }>(`SELECT id, given_name, last_name, email FROM "${table}" ORDER BY id`);
    return rows.map((r) => [Number(r.id), r.given_name, r.last_name, r.email]);
  };

  /** Waits until PostgreSQL's table holds exactly MariaDB's rows. */
  async function untilEqual(table: string, what: string): Promise<Row[]> {
    const want = await sourceRows();
    let got: Row[] = [];
    await waitFor(
      async () => {
        got = await targetRows(table).catch(() => []);
        return JSON.stringify(got) === JSON.stringify(want);
      },
      { what, timeoutMs: 60_000, intervalMs: 250 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}: ${diff(got, want)}`);
    });
    return want;
  }

  it('snapshot, then 200 mixed changes: the PostgreSQL table equals the MariaDB table', { timeout: 150_000 }, async () => {
    onTestFailed(() => dev.logs.print());
    const t0 = Date.now();
    const { db } = mariadb();
    const pg = postgres();
    const user = await db.createCdcUser('cdc', 'cdc-pw');

    const source = await dev.api('POST', '/connectors', {
      name: SOURCE,
      config: mariaDbConnectorConfig(user, { serverId: 8501, prefix: PREFIX, bootstrap: dev.stack.bootstrap }, { 'database.include.list': 'inventory', 'table.include.list': 'inventory.customers', ...json }),
    });
    expect(source.status, JSON.stringify(source.body)).toBe(201);
    await waitFor(async () => (await dev.kafka.admin().listTopics()).includes(TOPIC), { what: `topic ${TOPIC}`, timeoutMs: 60_000 });

    const sink = await dev.api('POST', '/connectors', {
      name: SINK,
      config: {
        'connector.class': 'io.confluent.connect.jdbc.JdbcSinkConnector',
        topics: TOPIC,
        'connection.url': pg.jdbcUrl,
        'connection.user': pg.user,
        'connection.password': pg.password,
        'insert.mode': 'upsert',
        'pk.mode': 'record_key',
        'pk.fields': 'id',
        'delete.enabled': 'true',
        'auto.create': 'true',
        'auto.evolve': 'true',
        'table.name.format': '${topic}',
        transforms: 'unwrap,rename,route',
        'transforms.unwrap.type': 'io.debezium.transforms.ExtractNewRecordState',
        'transforms.unwrap.delete.tombstone.handling.mode': 'tombstone',
        'transforms.rename.type': 'org.apache.kafka.connect.transforms.ReplaceField$Value',
        'transforms.rename.renames': 'first_name:given_name',
        'transforms.route.type': 'org.apache.kafka.connect.transforms.TimestampRouter',
        'transforms.route.topic.format': '${topic}_${timestamp}',
        'transforms.route.timestamp.format': 'YYYYMM',
        ...json,
      },
    });
    expect(sink.status, JSON.stringify(sink.body)).toBe(201);

    // The snapshot lands, in the routed table, first_name renamed.
    const month = new Date().toISOString().slice(0, 7).replace('-', '');
    const table = `${TOPIC}_${month}`;
    await waitFor(async () => (await sinkTables()).includes(table), { what: `table "${table}" in PostgreSQL`, timeoutMs: 60_000, intervalMs: 250 });
    const snap = await untilEqual(table, 'the snapshot in PostgreSQL');
    expect(snap).toHaveLength(INVENTORY_ROWS.customers);
    const columns = (await pg.query<{ column_name: string }>(`SELECT column_name FROM information_schema.columns WHERE table_name = $1 ORDER BY ordinal_position`, [table])).map((r) => r.column_name);
    expect(columns).toEqual(['id', 'given_name', 'last_name', 'email']);
    const pk = await pg.query<{ column_name: string }>(
      `SELECT k.column_name FROM information_schema.table_constraints c JOIN information_schema.key_column_usage k USING (constraint_schema, constraint_name) WHERE c.table_name = $1 AND c.constraint_type = 'PRIMARY KEY'`,
      [table],
    );
    expect(pk.map((r) => r.column_name)).toEqual(['id']);
    const tSnapshot = Date.now() - t0;

    // A burst: 10 transactions of 20 operations, every kind mixed in each one:
    // inserts, updates keeping the key, updates changing it (a delete and a create
    // in the topic), deletes; rows touched again in the transaction that made them.
    // The snapshot's customers are referenced by inventory.addresses and .orders
    // (foreign keys), so they are only updated; the burst's own rows get everything.
    const kept = snap.map((r) => r[0]);
    const live: number[] = [];
    let nextId = 2000;
    let n = 0;
    const counts = { insert: 0, update: 0, rekey: 0, delete: 0 };
    const pick = (i: number) => (i % 4 === 0 ? kept[i % kept.length]! : live[(i * 7919) % live.length]!);
    for (let tx = 0; tx < 10; tx++) {
      const stmts: string[] = [];
      for (let k = 0; k < 20; k++) {
        const i = tx * 20 + k;
        n++;
        const kind = live.length < 3 ? 0 : [0, 1, 0, 2, 3, 0, 1, 3, 1, 2][i % 10]!;
        if (kind === 0) {
          const id = nextId++;
          stmts.push(`INSERT INTO inventory.customers (id, first_name, last_name, email) VALUES (${id}, 'First${i}', 'Last${i}', 'c${id}.${n}@example.org')`);
          live.push(id);
          counts.insert++;
        } else if (kind === 1) {
          const id = pick(i);
          stmts.push(`UPDATE inventory.customers SET first_name = CONCAT(first_name, '+${i}'), email = 'u${id}.${n}@example.org' WHERE id = ${id}`);
          counts.update++;
        } else if (kind === 2) {
          const idx = (i * 7919) % live.length;
          const id = live[idx]!;
          const to = 5000 + i;
          stmts.push(`UPDATE inventory.customers SET id = ${to}, last_name = 'Rekeyed${i}' WHERE id = ${id}`);
          live[idx] = to;
          counts.rekey++;
        } else {
          const idx = (i * 7919) % live.length;
          stmts.push(`DELETE FROM inventory.customers WHERE id = ${live[idx]!}`);
          live.splice(idx, 1);
          counts.delete++;
        }
      }
      await db.query(`START TRANSACTION; ${stmts.join('; ')}; COMMIT`);
    }
    expect((await sourceRows()).map((r) => r[0]).sort((a, b) => a - b)).toEqual([...kept, ...live].sort((a, b) => a - b));

    const final = await untilEqual(table, 'PostgreSQL equal to MariaDB after the burst');
    expect(await sinkTables()).toEqual([table]);
    // Deletes really deleted: no id that MariaDB no longer has.
    expect(final.length).toBe(kept.length + live.length);

    console.info(
      `cdc → postgres: snapshot of ${snap.length} rows equal after ${tSnapshot} ms; ${n} changes (${counts.insert} inserts, ${counts.update} updates, ${counts.rekey} key changes, ${counts.delete} deletes) in 10 transactions, ${final.length} rows equal after ${Date.now() - t0} ms in all`,
    );

    // Both connectors RUNNING; the sink's offsets are its group's, at the topic's end.
    for (const name of [SOURCE, SINK]) {
      const s = await dev.status(name);
      expect(s?.connector.state, name).toBe('RUNNING');
      expect(s?.tasks.map((t) => t.state), name).toEqual(['RUNNING']);
    }
    const admin = dev.kafka.admin();
    await admin.connect();
    const end = await admin.fetchTopicOffsets(TOPIC).finally(() => admin.disconnect());
    type Offsets = { offsets: Array<{ partition: { kafka_topic: string; kafka_partition: number }; offset: { kafka_offset: number } }> };
    // The poller commits after the batch the table already shows: wait for it.
    let seen: unknown;
    const offsets = await waitFor(
      async () => {
        const got = (await dev.api('GET', `/connectors/${SINK}/offsets`)).body as Offsets;
        seen = got;
        return end.every((p) => got.offsets.some((o) => o.partition.kafka_topic === TOPIC && o.partition.kafka_partition === p.partition && o.offset.kafka_offset === Number(p.high))) ? got : undefined;
      },
      { what: 'the sink offsets at the topic end', timeoutMs: 20_000, intervalMs: 250 },
    ).catch(async (err: Error) => {
      // What the mapping's consumer group has committed in Kafka, for the message.
      const a = dev.kafka.admin();
      await a.connect();
      const group = await a.fetchOffsets({ groupId: `connect-${SINK}`, topics: [TOPIC] }).finally(() => a.disconnect());
      throw new Error(`${err.message}: topic end ${JSON.stringify(end)}, GET /connectors/${SINK}/offsets ${JSON.stringify(seen)}, group connect-${SINK} in Kafka ${JSON.stringify(group)}`);
    });
    expect(offsets.offsets.length).toBeGreaterThan(0);
    expect(offsets.offsets.every((o) => o.partition.kafka_topic === TOPIC && typeof o.offset.kafka_offset === 'number')).toBe(true);
  });
});
