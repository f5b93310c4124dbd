import { describe, expect, it } from 'vitest';
import { JsonConverter } from '../../src/connect/converters/json.js';
import type { Schema } from '../../src/connect/data/schema.js';
import { DataError } from '../../src/connect/errors.js';
import { makeFilters } from '../../src/connectors/mysql-cdc/config.js';
import {
  tableRecordSchemas,
  tableSchemaFromCreateTable,
  tableSchemaFromInformationSchema,
  topicNameOf,
  type InformationSchemaColumn,
  type TableSchema,
} from '../../src/connectors/mysql-cdc/table-schema.js';

const json = new JsonConverter();
json.configure({});
const wire = (schema: Schema | null, value: unknown) => JSON.parse(json.fromConnectData('t', schema, value)!.toString('utf8')) as { schema: unknown; payload: unknown };

// What MariaDB 10.11 answers for the table of SHOW_CREATE below.
const MARIADB_COLUMNS: InformationSchemaColumn[] = [
  { COLUMN_NAME: 'name', COLUMN_TYPE: 'varchar(20)', IS_NULLABLE: 'NO', COLUMN_DEFAULT: "'it''s'", ORDINAL_POSITION: 3, COLUMN_KEY: 'PRI', CHARACTER_SET_NAME: 'utf8mb4', EXTRA: '', COLUMN_COMMENT: '' },
  { COLUMN_NAME: 'id', COLUMN_TYPE: 'int(10) unsigned', IS_NULLABLE: 'NO', COLUMN_DEFAULT: null, ORDINAL_POSITION: 1, COLUMN_KEY: 'PRI', CHARACTER_SET_NAME: null, EXTRA: 'auto_increment', COLUMN_COMMENT: 'the id' },
  { COLUMN_NAME: 'price', COLUMN_TYPE: 'decimal(6,2)', IS_NULLABLE: 'YES', COLUMN_DEFAULT: 'NULL', ORDINAL_POSITION: 2, COLUMN_KEY: '', CHARACTER_SET_NAME: null, EXTRA: '', COLUMN_COMMENT: '' },
  { COLUMN_NAME: 'flags', COLUMN_TYPE: 'bit(3)', IS_NULLABLE: 'YES', COLUMN_DEFAULT: "b'101'", ORDINAL_POSITION: 4, COLUMN_KEY: '', CHARACTER_SET_NAME: null, EXTRA: '', COLUMN_COMMENT: '' },
  { COLUMN_NAME: 'qty', COLUMN_TYPE: 'int(11)', IS_NULLABLE: 'NO', COLUMN_DEFAULT: '0', ORDINAL_POSITION: 5, COLUMN_KEY: '', CHARACTER_SET_NAME: null, EXTRA: '', COLUMN_COMMENT: '' },
  {
    COLUMN_NAME: 'updated',
    COLUMN_TYPE: 'timestamp(3)',
    IS_NULLABLE: 'NO',
    COLUMN_DEFAULT: 'current_timestamp(3)',
    ORDINAL_POSITION: 6,
    COLUMN_KEY: '',
    CHARACTER_SET_NAME: null,
    EXTRA: 'on update current_timestamp(3)',
    COLUMN_COMMENT: '',
  },
  { COLUMN_NAME: 'shape', COLUMN_TYPE: 'geometry', IS_NULLABLE: 'YES', COLUMN_DEFAULT: 'NULL', ORDINAL_POSITION: 7, COLUMN_KEY: '', CHARACTER_SET_NAME: null, EXTRA: '', COLUMN_COMMENT: '' },
];
const KEY_COLUMNS = [
  { CONSTRAINT_NAME: 'PRIMARY', COLUMN_NAME: 'name', ORDINAL_POSITION: 2 },
  { CONSTRAINT_NAME: 'PRIMARY', COLUMN_NAME: 'id', ORDINAL_POSITION: 1 },
];
const SHOW_CREATE = `CREATE TABLE \`products\` (
  \`id\` int(10) unsigned NOT NULL AUTO_INCREMENT COMMENT 'the id',
  \`price\` decimal(6,2) DEFAULT NULL,
  \`name\` varchar(20) NOT NULL DEFAULT 'it''s',
  \`flags\` bit(3) DEFAULT b'101',
  \`qty\` int(11) NOT NULL DEFAULT 0,
  \`updated\` timestamp(3) NOT NULL DEFAULT current_timestamp(3) ON UPDATE current_timestamp(3),
  \`shape\` geometry DEFAULT NULL,
  PRIMARY KEY (\`id\`,\`name\`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_general_ci`;

const PRODUCTS: TableSchema = {
  db: 'inventory',
  table: 'products',
  charset: 'utf8mb4',
  comment: null,
  primaryKey: ['id', 'name'],
  columns: [
    { name: 'id', type: 'int(10) unsigned', nullable: false, charset: null, position: 1, autoIncrement: true, comment: 'the id' },
    { name: 'price', type: 'decimal(6,2)', nullable: true, charset: null, position: 2, default: null },
    { name: 'name', type: 'varchar(20)', nullable: false, charset: 'utf8mb4', position: 3, default: "it's" },
    { name: 'flags', type: 'bit(3)', nullable: true, charset: null, position: 4, default: '5' },
    { name: 'qty', type: 'int(11)', nullable: false, charset: null, position: 5, default: '0' },
    { name: 'updated', type: 'timestamp(3)', nullable: false, charset: null, position: 6, defaultExpression: 'current_timestamp(3)' },
    { name: 'shape', type: 'geometry', nullable: true, charset: null, position: 7, default: null },
  ],
};

describe('reading a table structure', () => {
  it('from MariaDB INFORMATION_SCHEMA rows (quoted defaults, NULL, expressions, bit literals; key order from KEY_COLUMN_USAGE)', () => {
    const t = tableSchemaFromInformationSchema('inventory', 'products', MARIADB_COLUMNS, { keyColumns: KEY_COLUMNS, charset: 'utf8mb4' });
    expect(t).toEqual(PRODUCTS);
  });

  it('from SHOW CREATE TABLE, agreeing with INFORMATION_SCHEMA', () => {
    const fromDdl = tableSchemaFromCreateTable('inventory', SHOW_CREATE);
    expect(fromDdl).toEqual(PRODUCTS);
    // The two readings give the same record schemas.
    const a = tableRecordSchemas(fromDdl, { prefix: 'p' });
    const b = tableRecordSchemas(tableSchemaFromInformationSchema('inventory', 'products', MARIADB_COLUMNS, { keyColumns: KEY_COLUMNS, charset: 'utf8mb4' }), { prefix: 'p' });
    expect(a.valueSchema.equals(b.valueSchema)).toBe(true);
    expect(a.keySchema!.equals(b.keySchema)).toBe(true);
  });

  it('from MySQL 8 INFORMATION_SCHEMA rows (unquoted literals, DEFAULT_GENERATED expressions), key from COLUMN_KEY', () => {
    const t = tableSchemaFromInformationSchema(
      'db',
      't',
      [
        { column_name: 'id', column_type: 'bigint', is_nullable: 'NO', column_default: null, ordinal_position: '1', column_key: 'PRI', extra: '' } as unknown as InformationSchemaColumn,
        { COLUMN_NAME: 'note', COLUMN_TYPE: 'varchar(9)', IS_NULLABLE: 'YES', COLUMN_DEFAULT: "it's", ORDINAL_POSITION: 2, CHARACTER_SET_NAME: 'utf8mb4', EXTRA: '' },
        { COLUMN_NAME: 'at', COLUMN_TYPE: 'datetime', IS_NULLABLE: 'YES', COLUMN_DEFAULT: 'CURRENT_TIMESTAMP', ORDINAL_POSITION: 3, EXTRA: 'DEFAULT_GENERATED' },
        { COLUMN_NAME: 'v', COLUMN_TYPE: 'int', IS_NULLABLE: 'YES', COLUMN_DEFAULT: null, ORDINAL_POSITION: 4, EXTRA: 'VIRTUAL GENERATED' },
      ],
      { flavor: 'mysql' },
    );
    expect(t.primaryKey).toEqual(['id']);
    expect(t.columns).toEqual([
      { name: 'id', type: 'bigint', nullable: false, charset: null, position: 1 },
      { name: 'note', type: 'varchar(9)', nullable: true, charset: 'utf8mb4', position: 2, default: "it's" },
      { name: 'at', type: 'datetime', nullable: true, charset: null, position: 3, defaultExpression: 'CURRENT_TIMESTAMP' },
      { name: 'v', type: 'int', nullable: true, charset: null, position: 4, generated: true },
    ]);
  });
});

describe('record schemas and row converters', () => {
  const products = tableRecordSchemas(PRODUCTS, { prefix: 'dbserver1' });
  const row = { id: 7, price: '1.50', name: 'x', flags: Buffer.from([5]), qty: 3, updated: '2024-01-02 03:04:05.678', shape: { x: 1, y: 2 } };

  it('names the topic and the schemas <prefix>.<db>.<table>[.Key|.Value], sanitized as Debezium', () => {
    expect(products.topic).toBe('dbserver1.inventory.products');
    expect(products.keySchema!.name).toBe('dbserver1.inventory.products.Key');
    expect(products.valueSchema.name).toBe('dbserver1.inventory.products.Value');
    expect(topicNameOf('srv', 'my db', 'tåble$1')).toBe('srv.my_db.t_ble_1');
  });

  it('the key schema holds the primary key columns in key order', () => {
    expect(wire(products.keySchema, products.key(row))).toEqual({
      schema: {
        type: 'struct',
        fields: [
          { type: 'int64', optional: false, field: 'id' },
          { type: 'string', optional: false, default: "it's", field: 'name' },
        ],
        optional: false,
        name: 'dbserver1.inventory.products.Key',
      },
      payload: { id: 7, name: 'x' },
    });
  });

  it('the value schema holds every supported column in table order, optional as a whole', () => {
    expect(wire(products.valueSchema, products.value(row))).toEqual({
      schema: {
        type: 'struct',
        fields: [
          { type: 'int64', optional: false, field: 'id' },
          { type: 'bytes', optional: true, name: 'org.apache.kafka.connect.data.Decimal', version: 1, parameters: { scale: '2', 'connect.decimal.precision': '6' }, field: 'price' },
          { type: 'string', optional: false, default: "it's", field: 'name' },
          { type: 'bytes', optional: true, name: 'io.debezium.data.Bits', version: 1, parameters: { length: '3' }, default: 'BQ==', field: 'flags' },
          { type: 'int32', optional: false, default: 0, field: 'qty' },
          { type: 'string', optional: false, name: 'io.debezium.time.ZonedTimestamp', version: 1, default: '1970-01-01T00:00:00Z', field: 'updated' },
        ],
        optional: true,
        name: 'dbserver1.inventory.products.Value',
      },
      payload: { id: 7, price: 'AJY=', name: 'x', flags: 'BQ==', qty: 3, updated: '2024-01-02T03:04:05.678Z' },
    });
    expect(products.skipped).toEqual([{ column: 'shape', reason: expect.stringMatching(/GEOMETRY/) }]);
    expect(products.valueColumns.map((c) => c.name)).toEqual(['id', 'price', 'name', 'flags', 'qty', 'updated']);
  });

  it('builds the schemas once: every row shares them', () => {
    const a = products.value({ id: 1, name: 'a', qty: 0, updated: '2024-01-01 00:00:00' });
    const b = products.value({ id: 2, name: 'b', qty: 0, updated: '2024-01-01 00:00:00' });
    expect(a.schema).toBe(products.valueSchema);
    expect(b.schema).toBe(products.valueSchema);
    a.validate();
  });

  it('a binlog row and a query row of the same data give equal structs', () => {
    const binlog = { id: 9007199254740991, price: '12.30', name: 'n', flags: Buffer.from([1]), qty: -4, updated: '2024-01-02 03:04:05.600', shape: null };
    const query = { id: '9007199254740991', price: '12.30', name: 'n', flags: Buffer.from([1]), qty: -4, updated: '2024-01-02 03:04:05.600', shape: null };
    expect(products.value(binlog).equals(products.value(query))).toBe(true);
    expect(products.key(binlog)!.equals(products.key(query))).toBe(true);
  });

  it('a table without a primary key has no key schema and null keys, as Debezium', () => {
    const log = tableRecordSchemas({ db: 'd', table: 'log', charset: null, primaryKey: [], columns: [{ name: 'line', type: 'text', nullable: true, position: 1 }] }, { prefix: 'p' });
    expect(log.keySchema).toBeNull();
    expect(log.key({ line: 'x' })).toBeNull();
  });

  it('column filters leave excluded columns out of the value, not out of the key', () => {
    const filters = makeFilters({ columnExclude: 'inventory\\.products\\.(name|qty)' });
    const r = tableRecordSchemas(PRODUCTS, { prefix: 'p', columnFilter: filters.column });
    expect(r.valueSchema.fields.map((f) => f.name)).toEqual(['id', 'price', 'flags', 'updated']);
    expect(r.keySchema!.fields.map((f) => f.name)).toEqual(['id', 'name']);
  });

  it('a value that does not fit its column is a DataError naming the column', () => {
    let err: unknown;
    try {
      products.value({ id: 1, name: 'a', qty: 'many', updated: '2024-01-01 00:00:00' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DataError);
    expect((err as DataError).path).toBe('qty');
    expect((err as DataError).message).toMatch(/inventory\.products\.qty \(int\(11\)\)/);
  });
});
