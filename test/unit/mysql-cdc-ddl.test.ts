import { describe, expect, it } from 'vitest';
import { DataError } from '../../src/connect/errors.js';
import { applyDdl, catalogOf, parseCreateTable, type DdlResult, type SchemaCatalog } from '../../src/connectors/mysql-cdc/ddl.js';
import type { TableSchema } from '../../src/connectors/mysql-cdc/table-schema.js';

// SHOW CREATE TABLE output of MariaDB 10.11 for the tutorial's inventory.customers, plus a few column kinds.
const CUSTOMERS = `CREATE TABLE \`customers\` (
  \`id\` int(11) NOT NULL AUTO_INCREMENT,
  \`first_name\` varchar(255) NOT NULL,
  \`last_name\` varchar(255) NOT NULL COMMENT 'family name',
  \`email\` varchar(255) NOT NULL DEFAULT 'n/a',
  \`score\` decimal(6,2) DEFAULT 0.00,
  \`flags\` bit(3) DEFAULT b'101',
  \`updated\` timestamp NOT NULL DEFAULT current_timestamp() ON UPDATE current_timestamp(),
  \`doc\` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(\`doc\`)),
  \`size\` enum('S','M','L') NOT NULL DEFAULT 'M',
  PRIMARY KEY (\`id\`),
  UNIQUE KEY \`email\` (\`email\`),
  KEY \`name\` (\`last_name\`,\`first_name\`)
) ENGINE=InnoDB AUTO_INCREMENT=1005 DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci COMMENT='people'`;

function inventory(): SchemaCatalog {
  return catalogOf([parseCreateTable(CUSTOMERS, 'inventory')], [{ name: 'inventory', charset: 'latin1' }]);
}

function changed(r: DdlResult) {
  if (r.kind !== 'changed') throw new Error(`expected a change, got ${JSON.stringify(r)}`);
  return r;
}

function table(catalog: SchemaCatalog, db: string, name: string): TableSchema {
  const t = catalog.get(db)?.tables.get(name);
  if (!t) throw new Error(`no table ${db}.${name}`);
  return t;
}

const columnNames = (t: TableSchema) => t.columns.map((c) => c.name);
const column = (t: TableSchema, name: string) => t.columns.find((c) => c.name === name);

describe('parseCreateTable (SHOW CREATE TABLE)', () => {
  it('reads columns, types, nullability, defaults, charsets, comments and the primary key', () => {
    expect(parseCreateTable(CUSTOMERS, 'inventory')).toEqual({
      db: 'inventory',
      table: 'customers',
      charset: 'latin1',
      comment: 'people',
      primaryKey: ['id'],
      columns: [
        { name: 'id', type: 'int(11)', nullable: false, charset: null, position: 1, autoIncrement: true },
        { name: 'first_name', type: 'varchar(255)', nullable: false, charset: 'latin1', position: 2 },
        { name: 'last_name', type: 'varchar(255)', nullable: false, charset: 'latin1', position: 3, comment: 'family name' },
        { name: 'email', type: 'varchar(255)', nullable: false, charset: 'latin1', position: 4, default: 'n/a' },
        { name: 'score', type: 'decimal(6,2)', nullable: true, charset: null, position: 5, default: '0.00' },
        { name: 'flags', type: 'bit(3)', nullable: true, charset: null, position: 6, default: '5' },
        { name: 'updated', type: 'timestamp', nullable: false, charset: null, position: 7, defaultExpression: 'current_timestamp()' },
        { name: 'doc', type: 'json', nullable: true, charset: null, position: 8, default: null },
        { name: 'size', type: "enum('S','M','L')", nullable: false, charset: 'latin1', position: 9, default: 'M' },
      ],
    });
  });

  it('takes the database charset when the table names none, and a composite key in key order', () => {
    const t = parseCreateTable('CREATE TABLE t (a INT, b VARCHAR(3), c INT, PRIMARY KEY (c, a))', 'shop', 'utf8mb4');
    expect(t.charset).toBe('utf8mb4');
    expect(t.primaryKey).toEqual(['c', 'a']);
    expect(t.columns.map((c) => [c.name, c.nullable, c.charset])).toEqual([
      ['a', false, null],
      ['b', true, 'utf8mb4'],
      ['c', false, null],
    ]);
  });

  it("reads MariaDB's JSON (a TEXT type with CHECK (json_valid(col)) on the column itself) as JSON, as a CREATE TABLE saying JSON", () => {
    // SHOW CREATE TABLE of MariaDB 10.11 for: a JSON, b..e TEXT types CHECK (json_valid(own column)), f a check on another
    // column, g a table-level constraint, h another check, i VARCHAR, j a named column constraint, k json_valid inside more.
    const shown = `CREATE TABLE \`t\` (
  \`a\` longtext CHARACTER SET utf8mb4 COLLATE utf8mb4_bin DEFAULT NULL CHECK (json_valid(\`a\`)),
  \`b\` longtext NOT NULL DEFAULT '{}' CHECK (json_valid(\`b\`)),
  \`c\` text DEFAULT NULL CHECK (json_valid(\`c\`)),
  \`d\` mediumtext DEFAULT NULL CHECK (JSON_VALID(\`D\`)),
  \`e\` tinytext CHECK (json_valid(e)) COLLATE utf8mb4_bin,
  \`f\` longtext DEFAULT NULL CHECK (json_valid(\`a\`)),
  \`g\` longtext DEFAULT NULL,
  \`h\` longtext DEFAULT NULL CHECK (octet_length(\`h\`) < 100),
  \`i\` varchar(20) DEFAULT NULL CHECK (json_valid(\`i\`)),
  \`j\` longtext DEFAULT NULL CONSTRAINT \`j_ok\` CHECK (json_valid(\`j\`)),
  \`k\` longtext DEFAULT NULL CHECK (json_valid(\`k\`) and \`k\` <> '[]'),
  CONSTRAINT \`g_ok\` CHECK (json_valid(\`g\`))
) ENGINE=InnoDB DEFAULT CHARSET=latin1 COLLATE=latin1_swedish_ci`;
    const t = parseCreateTable(shown, 'db');
    expect(t.columns.map((c) => [c.name, c.type, c.charset])).toEqual([
      ['a', 'json', null],
      ['b', 'json', null],
      ['c', 'json', null],
      ['d', 'json', null],
      ['e', 'json', null],
      ['f', 'longtext', 'latin1'],
      ['g', 'longtext', 'latin1'],
      ['h', 'longtext', 'latin1'],
      ['i', 'varchar(20)', 'latin1'],
      ['j', 'json', null],
      ['k', 'longtext', 'latin1'],
    ]);
    expect(t.columns[1]).toEqual({ name: 'b', type: 'json', nullable: false, charset: null, position: 2, default: '{}' });
    // The same structure as a table whose CREATE TABLE says JSON.
    const declared = changed(applyDdl(catalogOf([], [{ name: 'db', charset: 'latin1' }]), 'CREATE TABLE t (a JSON DEFAULT NULL, b JSON NOT NULL DEFAULT \'{}\')', 'db'));
    expect(table(declared.catalog, 'db', 't').columns).toEqual(t.columns.slice(0, 2));
    // ALTER TABLE … MODIFY with the check makes a column JSON too.
    const altered = changed(applyDdl(catalogOf([t], [{ name: 'db', charset: 'latin1' }]), 'ALTER TABLE t MODIFY g LONGTEXT CHECK (json_valid(g))', 'db'));
    expect(column(table(altered.catalog, 'db', 't'), 'g')).toMatchObject({ type: 'json', charset: null });
  });

  it('throws a DataError naming the problem when it cannot read the statement', () => {
    expect(() => parseCreateTable('CREATE TABLE t (a INT FROBNICATE)', 'db')).toThrow(DataError);
    expect(() => parseCreateTable('CREATE TABLE t (a INT FROBNICATE)', 'db')).toThrow(/column a/);
  });
});

describe('applyDdl: CREATE TABLE', () => {
  it('creates a table in the current database and reports a CREATE change', () => {
    const r = changed(applyDdl(inventory(), 'CREATE TABLE orders (order_number INT NOT NULL PRIMARY KEY, purchaser INT, quantity INT UNSIGNED DEFAULT 1)', 'inventory'));
    const orders = table(r.catalog, 'inventory', 'orders');
    expect(r.changes).toEqual([{ type: 'CREATE', table: orders }]);
    expect(r.databases).toEqual(['inventory']);
    expect(orders.primaryKey).toEqual(['order_number']);
    expect(orders.columns[2]).toEqual({ name: 'quantity', type: 'int unsigned', nullable: true, charset: null, position: 3, default: '1' });
    expect(orders.charset).toBe('latin1'); // the database's
  });

  it('reads quoted names, qualified names, comments and executable comments', () => {
    const sql = "/* made by hand */ CREATE TABLE `other db`.`we``ird` ( -- the key\n `a.b` INT /*!50000 NOT NULL */, # note\n `c` VARCHAR(3) CHARACTER SET utf8mb4 DEFAULT _utf8mb4'x' ) /*!40101 DEFAULT CHARSET=latin1 */";
    const r = changed(applyDdl(inventory(), sql, 'inventory'));
    const t = table(r.catalog, 'other db', 'we`ird');
    expect(t.columns).toEqual([
      { name: 'a.b', type: 'int', nullable: false, charset: null, position: 1 },
      { name: 'c', type: 'varchar(3)', nullable: true, charset: 'utf8mb4', position: 2, default: 'x' },
    ]);
    expect(t.charset).toBe('latin1');
  });

  it('CREATE TABLE … LIKE copies the structure; IF NOT EXISTS on an existing table changes nothing', () => {
    const r = changed(applyDdl(inventory(), 'CREATE TABLE customers_copy LIKE customers', 'inventory'));
    const copy = table(r.catalog, 'inventory', 'customers_copy');
    expect(copy.columns).toEqual(table(inventory(), 'inventory', 'customers').columns);
    expect(changed(applyDdl(inventory(), 'CREATE TABLE c2 (LIKE inventory.customers)', 'x')).changes[0]!.table.db).toBe('x');
    expect(applyDdl(inventory(), 'CREATE TABLE IF NOT EXISTS customers (id INT)', 'inventory').kind).toBe('unchanged');
  });

  it('CREATE OR REPLACE TABLE replaces the table', () => {
    const r = changed(applyDdl(inventory(), 'CREATE OR REPLACE TABLE customers (id BIGINT PRIMARY KEY)', 'inventory'));
    expect(columnNames(table(r.catalog, 'inventory', 'customers'))).toEqual(['id']);
    expect(r.changes[0]!.type).toBe('CREATE');
  });

  it('reads BOOLEAN, SERIAL and type synonyms as Debezium does', () => {
    const r = changed(applyDdl(inventory(), 'CREATE TABLE s (id SERIAL, ok BOOLEAN, n INTEGER(5) UNSIGNED ZEROFILL, d DOUBLE PRECISION, v CHARACTER VARYING(9))', 'inventory'));
    const s = table(r.catalog, 'inventory', 's');
    expect(s.columns.map((c) => [c.type, c.nullable])).toEqual([
      ['bigint unsigned', false],
      ['boolean', true],
      ['integer(5) unsigned zerofill', true],
      ['double precision', true],
      ['character varying(9)', true],
    ]);
    expect(s.columns[0]!.autoIncrement).toBe(true);
  });

  it('temporary tables are not tracked', () => {
    expect(applyDdl(inventory(), 'CREATE TEMPORARY TABLE tmp (a INT)', 'inventory').kind).toBe('unchanged');
    expect(applyDdl(inventory(), 'DROP TEMPORARY TABLE IF EXISTS tmp', 'inventory').kind).toBe('unchanged');
  });
});

describe('applyDdl: ALTER TABLE', () => {
  const alter = (sql: string) => {
    const r = changed(applyDdl(inventory(), sql, 'inventory'));
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0]!.type).toBe('ALTER');
    return r.changes[0]!.table;
  };

  it('ADD COLUMN at the end, FIRST, AFTER a column, and several at once', () => {
    expect(columnNames(alter('ALTER TABLE customers ADD COLUMN age INT'))).toEqual(['id', 'first_name', 'last_name', 'email', 'score', 'flags', 'updated', 'doc', 'size', 'age']);
    expect(columnNames(alter('ALTER TABLE customers ADD age INT FIRST')).slice(0, 2)).toEqual(['age', 'id']);
    const t = alter('ALTER TABLE customers ADD COLUMN age INT NOT NULL DEFAULT 0 AFTER last_name, ADD (x INT, y CHAR(1))');
    expect(columnNames(t)).toEqual(['id', 'first_name', 'last_name', 'age', 'email', 'score', 'flags', 'updated', 'doc', 'size', 'x', 'y']);
    expect(column(t, 'age')).toEqual({ name: 'age', type: 'int', nullable: false, charset: null, position: 4, default: '0' });
    expect(column(t, 'y')!.charset).toBe('latin1');
    expect(t.columns.map((c) => c.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });

  it('DROP COLUMN, also of a primary key column', () => {
    expect(columnNames(alter('ALTER TABLE customers DROP COLUMN doc, DROP size'))).toEqual(['id', 'first_name', 'last_name', 'email', 'score', 'flags', 'updated']);
    const t = alter('ALTER TABLE customers DROP id');
    expect(t.primaryKey).toEqual([]);
    expect(t.columns[0]!.position).toBe(1);
    expect(columnNames(alter('ALTER TABLE customers DROP COLUMN IF EXISTS nope'))).toHaveLength(9);
  });

  it('MODIFY replaces the definition in place or moves it', () => {
    const t = alter('ALTER TABLE customers MODIFY score DECIMAL(10,4) NOT NULL');
    expect(column(t, 'score')).toEqual({ name: 'score', type: 'decimal(10,4)', nullable: false, charset: null, position: 5 });
    expect(columnNames(alter('ALTER TABLE customers MODIFY COLUMN email VARCHAR(100) FIRST'))[0]).toBe('email');
    // a primary key column stays NOT NULL
    expect(column(alter('ALTER TABLE customers MODIFY id BIGINT'), 'id')!.nullable).toBe(false);
  });

  it('CHANGE renames and redefines, also in the primary key; RENAME COLUMN renames', () => {
    const t = alter('ALTER TABLE customers CHANGE COLUMN id customer_id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT');
    expect(t.primaryKey).toEqual(['customer_id']);
    expect(column(t, 'customer_id')).toMatchObject({ type: 'bigint unsigned', position: 1, autoIncrement: true });
    const r = alter('ALTER TABLE customers RENAME COLUMN first_name TO given_name');
    expect(columnNames(r)[1]).toBe('given_name');
    expect(column(r, 'given_name')).toMatchObject({ type: 'varchar(255)', nullable: false });
  });

  it('ADD and DROP PRIMARY KEY; key columns become NOT NULL', () => {
    let t = alter('ALTER TABLE customers DROP PRIMARY KEY');
    expect(t.primaryKey).toEqual([]);
    t = alter('ALTER TABLE customers ADD CONSTRAINT pk PRIMARY KEY (score, email)');
    expect(t.primaryKey).toEqual(['score', 'email']);
    expect(column(t, 'score')!.nullable).toBe(false);
  });

  it('ALTER COLUMN SET/DROP DEFAULT, CONVERT TO CHARACTER SET, table options', () => {
    expect(column(alter("ALTER TABLE customers ALTER COLUMN email SET DEFAULT 'none'"), 'email')!.default).toBe('none');
    expect(column(alter('ALTER TABLE customers ALTER email DROP DEFAULT'), 'email')).not.toHaveProperty('default');
    const t = alter('ALTER TABLE customers CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    expect(t.charset).toBe('utf8mb4');
    // doc is JSON, which has no character set (as a column declared JSON).
    expect(t.columns.filter((c) => c.charset !== null).map((c) => [c.name, c.charset])).toEqual([
      ['first_name', 'utf8mb4'],
      ['last_name', 'utf8mb4'],
      ['email', 'utf8mb4'],
      ['size', 'utf8mb4'],
    ]);
    const o = alter("ALTER TABLE customers ENGINE=InnoDB, COMMENT 'clients', DEFAULT CHARSET=utf8mb4");
    expect([o.comment, o.charset]).toEqual(['clients', 'utf8mb4']);
  });

  it('index, constraint and algorithm clauses change no column', () => {
    const before = table(inventory(), 'inventory', 'customers');
    const t = alter('ALTER TABLE customers ADD INDEX idx (email), ADD UNIQUE KEY u (first_name), ADD CONSTRAINT fk FOREIGN KEY (id) REFERENCES o (id), DROP INDEX name, ALGORITHM=INPLACE, LOCK=NONE');
    expect(t).toEqual(before);
  });

  it('RENAME TO moves the table, with the previous id', () => {
    const r = changed(applyDdl(inventory(), 'ALTER TABLE customers RENAME TO clients', 'inventory'));
    expect(r.catalog.get('inventory')!.tables.has('customers')).toBe(false);
    expect(r.changes[0]).toMatchObject({ type: 'ALTER', table: { db: 'inventory', table: 'clients' }, previousId: { db: 'inventory', table: 'customers' } });
  });

  it('matches table and column names case-insensitively, and qualified table names', () => {
    const r = changed(applyDdl(inventory(), 'ALTER TABLE inventory.CUSTOMERS DROP COLUMN EMAIL', null));
    expect(r.changes[0]!.table.table).toBe('customers');
    expect(columnNames(r.changes[0]!.table)).not.toContain('email');
  });

  it('an ALTER of a table it does not know changes nothing and says so', () => {
    expect(applyDdl(inventory(), 'ALTER TABLE nope ADD x INT', 'inventory')).toEqual({ kind: 'unchanged', note: 'unknown table inventory.nope' });
  });
});

describe('applyDdl: DROP, RENAME, TRUNCATE, databases', () => {
  it('DROP TABLE drops each named table, reporting it as it was', () => {
    const cat = changed(applyDdl(inventory(), 'CREATE TABLE orders (id INT)', 'inventory')).catalog;
    const r = changed(applyDdl(cat, 'DROP TABLE IF EXISTS `customers`,`orders`,`ghost` /* generated by server */', 'inventory'));
    expect(r.changes.map((c) => [c.type, c.table.table])).toEqual([
      ['DROP', 'customers'],
      ['DROP', 'orders'],
    ]);
    expect(r.catalog.get('inventory')!.tables.size).toBe(0);
  });

  it('RENAME TABLE renames, in order (a swap works)', () => {
    const cat = changed(applyDdl(inventory(), 'CREATE TABLE b (x INT)', 'inventory')).catalog;
    const r = changed(applyDdl(cat, 'RENAME TABLE customers TO tmp, b TO customers, tmp TO b', 'inventory'));
    expect(columnNames(table(r.catalog, 'inventory', 'customers'))).toEqual(['x']);
    expect(columnNames(table(r.catalog, 'inventory', 'b'))).toHaveLength(9);
    const moved = changed(applyDdl(inventory(), 'RENAME TABLE inventory.customers TO archive.customers', null));
    expect(moved.catalog.get('archive')!.tables.has('customers')).toBe(true);
    expect(moved.databases).toEqual(['archive']);
  });

  it('TRUNCATE changes no schema and says which table', () => {
    expect(applyDdl(inventory(), 'TRUNCATE TABLE customers', 'inventory')).toEqual({ kind: 'truncate', tables: [{ db: 'inventory', table: 'customers' }] });
    expect(applyDdl(inventory(), 'truncate other.t', null)).toEqual({ kind: 'truncate', tables: [{ db: 'other', table: 't' }] });
  });

  it('CREATE DATABASE with a charset its new tables inherit; DROP DATABASE drops its tables', () => {
    const created = changed(applyDdl(inventory(), 'CREATE DATABASE IF NOT EXISTS shop DEFAULT CHARACTER SET utf8mb4', null));
    expect(created.changes).toEqual([]);
    expect(created.databases).toEqual(['shop']);
    expect(created.catalog.get('shop')).toEqual({ name: 'shop', charset: 'utf8mb4', tables: new Map() });
    const withTable = changed(applyDdl(created.catalog, 'CREATE TABLE shop.items (name VARCHAR(5))', null)).catalog;
    expect(table(withTable, 'shop', 'items').columns[0]!.charset).toBe('utf8mb4');
    expect(changed(applyDdl(withTable, 'ALTER DATABASE shop CHARACTER SET latin1', null)).catalog.get('shop')!.charset).toBe('latin1');
    const dropped = changed(applyDdl(withTable, 'DROP DATABASE shop', null));
    expect(dropped.changes.map((c) => [c.type, c.table.table])).toEqual([['DROP', 'items']]);
    expect(dropped.catalog.has('shop')).toBe(false);
    expect(applyDdl(inventory(), 'DROP SCHEMA IF EXISTS nothing', null).kind).toBe('unchanged');
  });

  it('statements separated by ";" apply in order', () => {
    const r = changed(applyDdl(inventory(), 'CREATE TABLE a (x INT); ALTER TABLE a ADD y INT;', 'inventory'));
    expect(columnNames(table(r.catalog, 'inventory', 'a'))).toEqual(['x', 'y']);
    expect(r.changes.map((c) => c.type)).toEqual(['CREATE', 'ALTER']);
  });

  it('never changes the catalog it was given', () => {
    const cat = inventory();
    const before = JSON.stringify([...cat.get('inventory')!.tables]);
    applyDdl(cat, 'ALTER TABLE customers DROP COLUMN email', 'inventory');
    applyDdl(cat, 'DROP TABLE customers', 'inventory');
    expect(JSON.stringify([...cat.get('inventory')!.tables])).toBe(before);
  });
});

describe('applyDdl: statements that change no table', () => {
  it.each([
    'BEGIN',
    'COMMIT',
    "GRANT SELECT ON *.* TO 'u'@'%'",
    'CREATE INDEX i ON customers (email)',
    'CREATE OR REPLACE VIEW v AS SELECT * FROM customers',
    'CREATE DEFINER=`root`@`localhost` TRIGGER t BEFORE INSERT ON customers FOR EACH ROW SET NEW.email = LOWER(NEW.email)',
    'DROP VIEW v',
    "CREATE USER 'x'@'%' IDENTIFIED BY 'y'",
    'FLUSH PRIVILEGES',
    'INSERT INTO customers VALUES (1)',
    '# just a comment',
    '',
  ])('%s', (sql) => {
    expect(applyDdl(inventory(), sql, 'inventory').kind).toBe('unchanged');
  });
});

describe('applyDdl: what it cannot read is UnparseableDdl, never an exception', () => {
  it.each([
    ['CREATE TABLE t2 AS SELECT * FROM customers', /SELECT/],
    ['CREATE TABLE t2 SELECT 1 AS a', /SELECT/],
    ['CREATE TABLE t2 (a INT WIBBLE)', /column a/],
    ['CREATE TABLE t2 (a NOTATYPE(', /./],
    ['ALTER TABLE customers ADD x INT AFTER nope', /unknown column nope/],
    ['ALTER TABLE customers MODIFY nope INT', /unknown column nope/],
    ['ALTER TABLE customers ADD email INT', /duplicate column email/],
    ["CREATE TABLE t2 (a VARCHAR(3) DEFAULT 'oops", /unterminated string/],
    ['CREATE TABLE t2 LIKE ghost', /unknown table/],
    ['CREATE TABLE t3 (a INT)', /no database selected/],
  ])('%s', (sql, reason) => {
    const r = applyDdl(inventory(), sql, sql.includes('t3') ? null : 'inventory');
    expect(r.kind).toBe('unparseable');
    if (r.kind !== 'unparseable') return;
    expect(r.statement).toBe(sql);
    expect(r.reason).toMatch(reason);
  });
});
