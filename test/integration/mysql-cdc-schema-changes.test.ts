// The MySQL/MariaDB CDC connector through the DDL matrix while it streams, run
// by real worker invocations in-process (dynalite, the embedded broker, a
// private MariaDB). Each step writes rows with the structure before the
// statement, the statement, and rows with the structure after it, all while no
// invocation runs; the next invocation resumes after the previous step's
// statement (its structure comes from the schema history) and before this one
// (its structure comes from the binlog). Every step is checked by the data
// events (fields present, absent, retyped, renamed in the value schema and the
// payload) and by the schema change event on the topic named topic.prefix.
// Last, the offset is moved back before several of the statements: the rows are
// decoded again exactly as the first time, with the structure of their time.
import { beforeAll, describe, expect, it } from 'vitest';
import { connectorConfig, createConnector, invoke, keyPayload, readTopic, store, topicSize, untilRecords, useCdcHarness, type Message } from '../helpers/cdc.js';

const mariadb = useCdcHarness({ serverIdBase: 8400 });

const NAME = 'ddlm';
const PREFIX = 'ddlm1';
const DB = 'ddlm';
const topicOf = (table: string) => `${PREFIX}.${DB}.${table}`;
const TABLES = ['items', 'fresh', 'renamed', 'copy'];
const TOPICS = [...TABLES.map(topicOf), PREFIX];

interface Field {
  field: string;
  type: string;
  optional: boolean;
  name?: string;
  version?: number;
  default?: unknown;
  parameters?: Record<string, string>;
}

/** A data record: its key, envelope payload and the fields of its row schema. */
interface DataRecord {
  key: Record<string, unknown>;
  op: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
  source: Record<string, unknown>;
  fields: Field[];
  valueSchemaName: string;
}

interface ColumnChange {
  name: string;
  jdbcType: number;
  typeName: string;
  charsetName: string | null;
  length: number | null;
  scale: number | null;
  position: number;
  optional: boolean;
  defaultValueExpression: string | null;
}

interface SchemaChange {
  key: Record<string, unknown>;
  databaseName: string;
  ddl: string;
  source: Record<string, unknown>;
  tableChanges: Array<{ type: string; id: string; table: { primaryKeyColumnNames: string[]; defaultCharsetName: string | null; columns: ColumnChange[] } }>;
}

function dataRecord(m: Message): DataRecord {
  const v = JSON.parse(m.value!);
  const after = v.schema.fields.find((f: { field: string }) => f.field === 'after');
  return { key: keyPayload(m), ...v.payload, fields: after.fields, valueSchemaName: after.name };
}

function schemaChange(m: Message): SchemaChange {
  const v = JSON.parse(m.value!);
  return { key: keyPayload(m), ...v.payload };
}

const fieldNames = (r: DataRecord) => r.fields.map((f) => f.field);
const field = (r: DataRecord, name: string) => r.fields.find((f) => f.field === name);
const columns = (c: SchemaChange, i = 0) => c.tableChanges[i]!.table.columns;
const column = (c: SchemaChange, name: string, i = 0) => columns(c, i).find((col) => col.name === name);

/** Where the binlog ends now. */
async function binlogEnd(): Promise<{ file: string; pos: number }> {
  const [{ File: file, Position: pos }] = (await mariadb().db.query('SHOW MASTER STATUS')) as [{ File: string; Position: number }];
  return { file, pos: Number(pos) };
}

async function sizes(): Promise<Record<string, number>> {
  return Object.fromEntries(await Promise.all(TOPICS.map(async (t) => [t, await topicSize(t)] as const)));
}

/** Where each step began (binlog position and topic sizes), for the rewinds at the end. */
const stepStarts: Array<{ label: string; position: { file: string; pos: number }; sizes: Record<string, number> }> = [];

interface StepResult {
  /** New records by table, in order. */
  rows: Record<string, DataRecord[]>;
  /** New schema change events, in order. */
  changes: SchemaChange[];
}

/**
 * Rows with the structure before `ddl` (pre), `ddl`, rows with the structure after it (post), while no
 * invocation runs; then invocations until each table of `expected` has that many new records.
 */
async function step(label: string, sql: { pre?: string; ddl: string; post?: string }, expected: Record<string, number>): Promise<StepResult> {
  const { db } = mariadb();
  const before = await sizes();
  stepStarts.push({ label, position: await binlogEnd(), sizes: before });
  if (sql.pre) await db.query(sql.pre);
  await db.query(sql.ddl);
  if (sql.post) await db.query(sql.post);
  let running: ReturnType<typeof invoke> | undefined = invoke(NAME, 2_000);
  for (const [table, n] of Object.entries(expected)) {
    await untilRecords(NAME, topicOf(table), before[topicOf(table)]! + n, running);
    running = undefined;
  }
  const rows: Record<string, DataRecord[]> = {};
  for (const table of TABLES) {
    const all = await readTopic(topicOf(table));
    rows[table] = all.slice(before[topicOf(table)]).map(dataRecord);
    // Nothing beyond what the step wrote: no truncate, delete or repeated record.
    expect(rows[table], `${label}: records of ${table}`).toHaveLength(expected[table] ?? 0);
  }
  const changes = (await readTopic(PREFIX)).slice(before[PREFIX]).map(schemaChange);
  return { rows, changes };
}

describe('the DDL matrix while streaming', () => {
  beforeAll(async () => {
    const { db } = mariadb();
    await db.query(`CREATE DATABASE ${DB}`);
    await db.query(`CREATE TABLE ${DB}.items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL, qty INT NOT NULL, note VARCHAR(10))`);
    await db.query(`INSERT INTO ${DB}.items VALUES (1, 'anvil', 3, 'heavy')`);
    await createConnector(NAME, await connectorConfig(PREFIX, { 'database.include.list': DB, 'include.schema.changes': 'true' }));
    await untilRecords(NAME, topicOf('items'), 1, invoke(NAME, 2_000));
    // The snapshot's CREATE TABLE event is the first on the schema change topic.
    const [create] = (await readTopic(PREFIX)).map(schemaChange);
    expect(create).toMatchObject({ key: { databaseName: DB }, databaseName: DB, tableChanges: [{ type: 'CREATE', id: `"${DB}"."items"` }] });
  }, 60_000);

  it('ADD COLUMN … NOT NULL DEFAULT … AFTER: the new field in place, the default in schema and rows, also in rows written before it', async () => {
    const { rows, changes } = await step(
      'add after',
      {
        pre: `INSERT INTO ${DB}.items VALUES (2, 'bolt', 10, 'small')`,
        ddl: `ALTER TABLE ${DB}.items ADD COLUMN colour VARCHAR(10) NOT NULL DEFAULT 'red' AFTER name`,
        post: `INSERT INTO ${DB}.items (id, name, qty) VALUES (3, 'cog', 5); UPDATE ${DB}.items SET qty = 4 WHERE id = 1`,
      },
      { items: 3 },
    );
    const [pre, created, updated] = rows.items!;
    expect(fieldNames(pre!)).toEqual(['id', 'name', 'qty', 'note']);
    expect(pre!.after).toEqual({ id: 2, name: 'bolt', qty: 10, note: 'small' });
    expect(fieldNames(created!)).toEqual(['id', 'name', 'colour', 'qty', 'note']);
    expect(field(created!, 'colour')).toMatchObject({ type: 'string', optional: false, default: 'red' });
    expect(created!.after).toEqual({ id: 3, name: 'cog', colour: 'red', qty: 5, note: null });
    // A row written before the column existed reads with the default.
    expect([updated!.op, updated!.before, updated!.after]).toEqual(['u', { id: 1, name: 'anvil', colour: 'red', qty: 3, note: 'heavy' }, { id: 1, name: 'anvil', colour: 'red', qty: 4, note: 'heavy' }]);

    expect(changes).toHaveLength(1);
    const [alter] = changes;
    expect(alter).toMatchObject({ key: { databaseName: DB }, databaseName: DB, ddl: expect.stringMatching(/^ALTER TABLE ddlm\.items ADD COLUMN colour/), source: { db: DB, table: 'items' } });
    expect(alter!.tableChanges).toHaveLength(1);
    expect(alter!.tableChanges[0]).toMatchObject({ type: 'ALTER', id: `"${DB}"."items"`, table: { primaryKeyColumnNames: ['id'] } });
    expect(columns(alter!).map((c) => [c.name, c.position])).toEqual([
      ['id', 1],
      ['name', 2],
      ['colour', 3],
      ['qty', 4],
      ['note', 5],
    ]);
    expect(column(alter!, 'colour')).toMatchObject({ typeName: 'VARCHAR', jdbcType: 12, length: 10, optional: false, defaultValueExpression: 'red', charsetName: 'utf8mb4' });
  });

  it('ADD COLUMN … FIRST: the new optional field leads', async () => {
    const { rows, changes } = await step(
      'add first',
      {
        pre: `INSERT INTO ${DB}.items VALUES (4, 'dial', 'blue', 1, NULL)`,
        ddl: `ALTER TABLE ${DB}.items ADD COLUMN batch SMALLINT FIRST`,
        post: `INSERT INTO ${DB}.items VALUES (7, 5, 'edge', 'red', 2, 'sharp')`,
      },
      { items: 2 },
    );
    const [pre, post] = rows.items!;
    expect(pre!.after).toEqual({ id: 4, name: 'dial', colour: 'blue', qty: 1, note: null });
    expect(fieldNames(pre!)).toEqual(['id', 'name', 'colour', 'qty', 'note']);
    expect(fieldNames(post!)).toEqual(['batch', 'id', 'name', 'colour', 'qty', 'note']);
    expect(field(post!, 'batch')).toMatchObject({ type: 'int16', optional: true });
    expect(post!.after).toEqual({ batch: 7, id: 5, name: 'edge', colour: 'red', qty: 2, note: 'sharp' });

    expect(changes.map((c) => c.tableChanges[0]?.type)).toEqual(['ALTER']);
    expect(columns(changes[0]!).map((c) => c.name)).toEqual(['batch', 'id', 'name', 'colour', 'qty', 'note']);
    expect(column(changes[0]!, 'batch')).toMatchObject({ typeName: 'SMALLINT', jdbcType: 5, position: 1, optional: true, defaultValueExpression: null });
  });

  it('DROP COLUMN: the field is gone from schema and payload', async () => {
    const { rows, changes } = await step(
      'drop column',
      {
        pre: `INSERT INTO ${DB}.items VALUES (7, 6, 'fan', 'red', 1, 'n')`,
        ddl: `ALTER TABLE ${DB}.items DROP COLUMN note`,
        post: `INSERT INTO ${DB}.items VALUES (7, 7, 'gear', 'red', 2)`,
      },
      { items: 2 },
    );
    const [pre, post] = rows.items!;
    expect(pre!.after).toEqual({ batch: 7, id: 6, name: 'fan', colour: 'red', qty: 1, note: 'n' });
    expect(fieldNames(post!)).toEqual(['batch', 'id', 'name', 'colour', 'qty']);
    expect(post!.after).toEqual({ batch: 7, id: 7, name: 'gear', colour: 'red', qty: 2 });
    expect(changes).toHaveLength(1);
    expect(columns(changes[0]!).map((c) => c.name)).toEqual(['batch', 'id', 'name', 'colour', 'qty']);
  });

  it('MODIFY COLUMN INT → BIGINT: int32 before, int64 after (a value beyond 2^31 exact)', async () => {
    const { rows, changes } = await step(
      'modify type',
      {
        pre: `INSERT INTO ${DB}.items VALUES (7, 8, 'hook', 'red', 2147483647)`,
        ddl: `ALTER TABLE ${DB}.items MODIFY COLUMN qty BIGINT NOT NULL`,
        post: `INSERT INTO ${DB}.items VALUES (7, 9, 'jack', 'red', 5000000000)`,
      },
      { items: 2 },
    );
    const [pre, post] = rows.items!;
    expect(field(pre!, 'qty')).toMatchObject({ type: 'int32', optional: false });
    expect(pre!.after!.qty).toBe(2147483647);
    expect(field(post!, 'qty')).toMatchObject({ type: 'int64', optional: false });
    expect(post!.after!.qty).toBe(5000000000);
    expect(column(changes[0]!, 'qty')).toMatchObject({ typeName: 'BIGINT', jdbcType: -5, position: 5, optional: false });
  });

  it('MODIFY COLUMN VARCHAR(20) NOT NULL → VARCHAR(60) NULL: longer values and NULL, the field optional', async () => {
    const longName = 'a name of more than twenty characters';
    const { rows, changes } = await step(
      'modify length and nullability',
      {
        pre: `INSERT INTO ${DB}.items VALUES (7, 10, 'knob', 'red', 1)`,
        ddl: `ALTER TABLE ${DB}.items MODIFY COLUMN name VARCHAR(60) NULL`,
        post: `INSERT INTO ${DB}.items VALUES (7, 11, NULL, 'red', 1), (7, 12, '${longName}', 'red', 1)`,
      },
      { items: 3 },
    );
    const [pre, nul, long] = rows.items!;
    expect(field(pre!, 'name')).toMatchObject({ type: 'string', optional: false });
    expect(field(nul!, 'name')).toMatchObject({ type: 'string', optional: true });
    expect([nul!.after!.name, long!.after!.name]).toEqual([null, longName]);
    expect(column(changes[0]!, 'name')).toMatchObject({ typeName: 'VARCHAR', length: 60, optional: true, position: 3 });
  });

  it('CHANGE COLUMN old new: renamed and retyped (BIGINT → DECIMAL(12,2)) in one statement', async () => {
    const { rows, changes } = await step(
      'change column',
      {
        pre: `INSERT INTO ${DB}.items VALUES (7, 13, 'lid', 'red', 7)`,
        ddl: `ALTER TABLE ${DB}.items CHANGE COLUMN qty quantity DECIMAL(12,2) NOT NULL`,
        post: `INSERT INTO ${DB}.items VALUES (7, 14, 'mast', 'red', 12.50)`,
      },
      { items: 2 },
    );
    const [pre, post] = rows.items!;
    expect(pre!.after).toEqual({ batch: 7, id: 13, name: 'lid', colour: 'red', qty: 7 });
    expect(fieldNames(post!)).toEqual(['batch', 'id', 'name', 'colour', 'quantity']);
    expect(field(post!, 'quantity')).toMatchObject({
      type: 'bytes',
      optional: false,
      name: 'org.apache.kafka.connect.data.Decimal',
      parameters: { scale: '2', 'connect.decimal.precision': '12' },
    });
    // 12.50 at scale 2: the unscaled 1250 = 0x04E2, base64.
    expect(post!.after!.quantity).toBe(Buffer.from([0x04, 0xe2]).toString('base64'));
    expect(columns(changes[0]!).map((c) => c.name)).toEqual(['batch', 'id', 'name', 'colour', 'quantity']);
    expect(column(changes[0]!, 'quantity')).toMatchObject({ typeName: 'DECIMAL', jdbcType: 3, length: 12, scale: 2, position: 5, optional: false });
  });

  it('RENAME COLUMN: the field under its new name, same type', async () => {
    const { rows, changes } = await step(
      'rename column',
      {
        pre: `INSERT INTO ${DB}.items VALUES (7, 15, 'nut', 'red', 0.5)`,
        ddl: `ALTER TABLE ${DB}.items RENAME COLUMN name TO title`,
        post: `INSERT INTO ${DB}.items VALUES (7, 16, 'oar', 'red', 1)`,
      },
      { items: 2 },
    );
    const [pre, post] = rows.items!;
    expect(pre!.after).toMatchObject({ id: 15, name: 'nut' });
    expect(fieldNames(post!)).toEqual(['batch', 'id', 'title', 'colour', 'quantity']);
    expect(field(post!, 'title')).toMatchObject({ type: 'string', optional: true });
    expect(post!.after).toMatchObject({ id: 16, title: 'oar' });
    expect(column(changes[0]!, 'title')).toMatchObject({ typeName: 'VARCHAR', length: 60, optional: true, position: 3 });
    expect(column(changes[0]!, 'name')).toBeUndefined();
  });

  it('CREATE TABLE: its rows are captured on <prefix>.<db>.<table>, its key from its primary key', async () => {
    const { rows, changes } = await step(
      'create table',
      {
        pre: `UPDATE ${DB}.items SET colour = 'green' WHERE id = 16`,
        ddl: `CREATE TABLE ${DB}.fresh (code CHAR(3) NOT NULL PRIMARY KEY, label TEXT)`,
        post: `INSERT INTO ${DB}.fresh VALUES ('abc', 'first')`,
      },
      { items: 1, fresh: 1 },
    );
    expect(rows.items![0]).toMatchObject({ op: 'u', after: { id: 16, title: 'oar', colour: 'green' } });
    const [row] = rows.fresh!;
    expect(row).toMatchObject({ key: { code: 'abc' }, op: 'c', after: { code: 'abc', label: 'first' }, valueSchemaName: `${topicOf('fresh')}.Value` });
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ databaseName: DB, ddl: `CREATE TABLE ${DB}.fresh (code CHAR(3) NOT NULL PRIMARY KEY, label TEXT)` });
    expect(changes[0]!.tableChanges).toMatchObject([{ type: 'CREATE', id: `"${DB}"."fresh"`, table: { primaryKeyColumnNames: ['code'] } }]);
    expect(columns(changes[0]!)).toMatchObject([
      { name: 'code', typeName: 'CHAR', jdbcType: 1, length: 3, position: 1, optional: false },
      { name: 'label', typeName: 'TEXT', jdbcType: 12, position: 2, optional: true },
    ]);
  });

  it('RENAME TABLE a TO b: rows before on a’s topic, rows after on prefix.db.b', async () => {
    const { rows, changes } = await step(
      'rename table',
      {
        pre: `INSERT INTO ${DB}.fresh VALUES ('def', 'before the rename')`,
        ddl: `RENAME TABLE ${DB}.fresh TO ${DB}.renamed`,
        post: `INSERT INTO ${DB}.renamed VALUES ('ghi', 'after the rename')`,
      },
      { fresh: 1, renamed: 1 },
    );
    expect(rows.fresh![0]).toMatchObject({ key: { code: 'def' }, after: { code: 'def', label: 'before the rename' } });
    expect(rows.renamed![0]).toMatchObject({ key: { code: 'ghi' }, after: { code: 'ghi', label: 'after the rename' }, valueSchemaName: `${topicOf('renamed')}.Value` });
    expect(rows.renamed![0]!.source).toMatchObject({ db: DB, table: 'renamed' });
    expect(changes).toHaveLength(1);
    expect(changes[0]!.tableChanges).toMatchObject([{ type: 'ALTER', id: `"${DB}"."renamed"` }]);
    expect(columns(changes[0]!).map((c) => c.name)).toEqual(['code', 'label']);
  });

  it('CREATE TABLE … LIKE: the copy has the source table’s structure as it is at that point', async () => {
    const { rows, changes } = await step(
      'create like',
      {
        pre: `INSERT INTO ${DB}.renamed VALUES ('jkl', 'renamed')`,
        ddl: `CREATE TABLE ${DB}.copy LIKE ${DB}.items`,
        post: `INSERT INTO ${DB}.copy VALUES (1, 100, 'pen', 'red', 2)`,
      },
      { renamed: 1, copy: 1 },
    );
    expect(rows.renamed![0]!.after).toEqual({ code: 'jkl', label: 'renamed' });
    const [row] = rows.copy!;
    expect(fieldNames(row!)).toEqual(['batch', 'id', 'title', 'colour', 'quantity']);
    expect(row!.after).toEqual({ batch: 1, id: 100, title: 'pen', colour: 'red', quantity: Buffer.from([0x00, 0xc8]).toString('base64') }); // 2.00: unscaled 200, a leading 0 byte keeps it positive
    expect(changes).toHaveLength(1);
    expect(changes[0]!.tableChanges).toMatchObject([{ type: 'CREATE', id: `"${DB}"."copy"`, table: { primaryKeyColumnNames: ['id'] } }]);
    expect(columns(changes[0]!).map((c) => [c.name, c.typeName])).toEqual([
      ['batch', 'SMALLINT'],
      ['id', 'INT'],
      ['title', 'VARCHAR'],
      ['colour', 'VARCHAR'],
      ['quantity', 'DECIMAL'],
    ]);
  });

  it('TRUNCATE: no row events (no deletes, no op t), and the rows after it are captured', async () => {
    const { rows, changes } = await step(
      'truncate',
      {
        pre: `INSERT INTO ${DB}.copy VALUES (1, 101, 'quill', 'red', 3)`,
        ddl: `TRUNCATE TABLE ${DB}.copy`,
        post: `INSERT INTO ${DB}.copy VALUES (1, 102, 'rod', 'red', 4)`,
      },
      { copy: 2 },
    );
    expect(rows.copy!.map((r) => [r.op, r.after!.id])).toEqual([
      ['c', 101],
      ['c', 102],
    ]);
    // TRUNCATE changes no structure: no schema change event names a table for it.
    expect(changes.flatMap((c) => c.tableChanges)).toEqual([]);
  });

  it('DROP TABLE: a DROP change with the last structure; a table created again under that name has the new one', async () => {
    const { rows, changes } = await step(
      'drop table',
      {
        pre: `INSERT INTO ${DB}.renamed VALUES ('mno', 'last one')`,
        ddl: `DROP TABLE ${DB}.renamed`,
        post: `CREATE TABLE ${DB}.renamed (code INT PRIMARY KEY, weight DOUBLE NOT NULL); INSERT INTO ${DB}.renamed VALUES (1, 2.5)`,
      },
      { renamed: 2 },
    );
    const [last, reborn] = rows.renamed!;
    expect(last).toMatchObject({ key: { code: 'mno' }, after: { code: 'mno', label: 'last one' } });
    expect(reborn).toMatchObject({ key: { code: 1 }, after: { code: 1, weight: 2.5 } });
    expect(reborn!.fields.map((f) => [f.field, f.type])).toEqual([
      ['code', 'int32'],
      ['weight', 'double'],
    ]);
    expect(changes.map((c) => c.ddl)).toEqual([`DROP TABLE \`${DB}\`.\`renamed\` /* generated by server */`, `CREATE TABLE ${DB}.renamed (code INT PRIMARY KEY, weight DOUBLE NOT NULL)`]);
    expect(changes.map((c) => c.tableChanges.map((t) => [t.type, t.id]))).toEqual([[['DROP', `"${DB}"."renamed"`]], [['CREATE', `"${DB}"."renamed"`]]]);
    expect(columns(changes[0]!).map((c) => [c.name, c.typeName])).toEqual([
      ['code', 'CHAR'],
      ['label', 'TEXT'],
    ]);
    expect(columns(changes[1]!).map((c) => [c.name, c.typeName])).toEqual([
      ['code', 'INT'],
      ['weight', 'DOUBLE'],
    ]);
  });

  it('a task resuming before later statements decodes every row with the structure of its time, as the first time', async () => {
    // The stored offset moved back, as a restore of older offsets would: to the step of the type change, then
    // to the first step. The history then holds statements after the resume position, which must not apply yet.
    const original = await sizes();
    for (const label of ['modify type', 'add after']) {
      const from = stepStarts.find((s) => s.label === label)!;
      const now = await sizes();
      const [stored] = await store.readOffsets(NAME);
      await store.writeOffset(NAME, { server: PREFIX }, { file: from.position.file, pos: from.position.pos }, stored!.epoch);
      const expected = (topic: string) => now[topic]! + original[topic]! - from.sizes[topic]!;
      let running: ReturnType<typeof invoke> | undefined = invoke(NAME, 2_500);
      for (const topic of TOPICS) {
        await untilRecords(NAME, topic, expected(topic), running);
        running = undefined;
      }
      for (const topic of TOPICS) {
        const all = await readTopic(topic);
        expect(all, `${label}: ${topic} replayed once`).toHaveLength(expected(topic));
        const first = all.slice(from.sizes[topic], original[topic]);
        const again = all.slice(now[topic]);
        if (topic === PREFIX) {
          expect(again.map(schemaChange), `${label}: ${topic}`).toEqual(first.map(schemaChange));
        } else {
          const strip = ({ key, op, before, after, source, fields, valueSchemaName }: DataRecord) => ({ key, op, before, after, fields, valueSchemaName, where: [source.file, source.pos, source.row, source.gtid] });
          expect(again.map(dataRecord).map(strip), `${label}: ${topic}`).toEqual(first.map(dataRecord).map(strip));
        }
      }
    }
  });
});
