// A small MySQL/MariaDB DDL interpreter for schema tracking: the table
// schemas known before a binlog query event, plus its statement, give the
// table schemas after it. It understands what changes the shape of captured
// rows:
//   CREATE [OR REPLACE] TABLE … (…) | LIKE …     ALTER TABLE … ADD/DROP/MODIFY/CHANGE/
//   RENAME COLUMN, RENAME TO, ADD/DROP PRIMARY KEY, ALTER COLUMN … SET/DROP DEFAULT,
//   CONVERT TO CHARACTER SET, table options       DROP TABLE    RENAME TABLE
//   TRUNCATE (no schema change)    CREATE/ALTER/DROP DATABASE
// with comments (executable /*!…*/ ones read as code), backticks, quoted
// strings and charset introducers. Statements that are not table DDL (BEGIN,
// COMMIT, GRANT, CREATE VIEW, CREATE INDEX, …) change nothing. Anything else
// it cannot read is an UnparseableDdl result: the connector decides between
// skip-with-warning and fail. SHOW CREATE TABLE output is read by the same
// CREATE TABLE parser (parseCreateTable).

import { DataError } from '../../connect/errors.js';
import type { TableSchema } from './table-schema.js';
import { isCharacterType, parseColumnType, readQuoted, type ColumnDef } from './types.js';

export interface TableId {
  readonly db: string;
  readonly table: string;
}

export interface DatabaseSchema {
  readonly name: string;
  /** Default character set of the database, null when unknown. */
  readonly charset: string | null;
  readonly tables: ReadonlyMap<string, TableSchema>;
}

/** Database name → its tables. Never mutated: applyDdl returns a new catalog. */
export type SchemaCatalog = ReadonlyMap<string, DatabaseSchema>;

export type TableChangeType = 'CREATE' | 'ALTER' | 'DROP';

/** One table a statement created, altered (or renamed: previousId) or dropped, as Debezium's tableChanges list them. */
export interface TableChange {
  readonly type: TableChangeType;
  /** The table after the change (before it, for DROP). */
  readonly table: TableSchema;
  readonly previousId?: TableId;
}

export interface UnparseableDdl {
  readonly kind: 'unparseable';
  readonly statement: string;
  readonly reason: string;
}

export type DdlResult =
  /** Not table DDL, or DDL that changes no tracked table (`note` says which). */
  | { readonly kind: 'unchanged'; readonly note?: string }
  | { readonly kind: 'changed'; readonly catalog: SchemaCatalog; readonly changes: readonly TableChange[]; readonly databases: readonly string[] }
  | { readonly kind: 'truncate'; readonly tables: readonly TableId[] }
  | UnparseableDdl;

/** A catalog from table schemas (and databases without tables). */
export function catalogOf(tables: Iterable<TableSchema>, databases: Iterable<{ name: string; charset: string | null }> = []): SchemaCatalog {
  const dbs = new Map<string, { name: string; charset: string | null; tables: Map<string, TableSchema> }>();
  for (const d of databases) dbs.set(d.name, { name: d.name, charset: d.charset, tables: new Map() });
  for (const t of tables) {
    let d = dbs.get(t.db);
    if (!d) dbs.set(t.db, (d = { name: t.db, charset: null, tables: new Map() }));
    d.tables.set(t.table, t);
  }
  return dbs;
}

/**
 * The catalog after `statement`, run with `currentDatabase` selected (the
 * query event's schema). Several statements separated by ';' apply in order.
 */
export function applyDdl(catalog: SchemaCatalog, statement: string, currentDatabase: string | null): DdlResult {
  let tokens: Token[];
  try {
    tokens = tokenize(statement);
  } catch (err) {
    return unparseable(statement, err);
  }
  const work = new Catalog(catalog);
  const truncated: TableId[] = [];
  const notes: string[] = [];
  for (const part of splitStatements(tokens)) {
    try {
      const outcome = new Parser(statement, part, currentDatabase).statement(work);
      if (outcome?.truncate) truncated.push(outcome.truncate);
      if (outcome?.note) notes.push(outcome.note);
    } catch (err) {
      return unparseable(statement, err);
    }
  }
  if (work.changes.length > 0 || work.databasesTouched.size > 0) {
    return { kind: 'changed', catalog: work.result(), changes: work.changes, databases: [...work.databasesTouched] };
  }
  if (truncated.length > 0) return { kind: 'truncate', tables: truncated };
  return notes.length > 0 ? { kind: 'unchanged', note: notes.join('; ') } : { kind: 'unchanged' };
}

/** A CREATE TABLE statement (SHOW CREATE TABLE's output) as a table schema of database `db`. Throws DataError when it cannot be read. */
export function parseCreateTable(sql: string, db: string, databaseCharset: string | null = null): TableSchema {
  const catalog = new Catalog(new Map([[db, { name: db, charset: databaseCharset, tables: new Map() }]]));
  try {
    const p = new Parser(sql, tokenize(sql), db);
    if (!p.acceptWord('CREATE')) p.fail('expected CREATE TABLE');
    if (p.acceptWord('OR')) p.expectWord('REPLACE');
    p.acceptWord('TEMPORARY');
    p.expectWord('TABLE');
    p.createTable(catalog, true);
  } catch (err) {
    throw new DataError(`Cannot read the CREATE TABLE statement of ${db}: ${reasonOf(err)}`, { cause: err });
  }
  const created = catalog.changes[0];
  if (!created) throw new DataError(`Cannot read the CREATE TABLE statement of ${db}: no table defined`);
  return created.table;
}

function unparseable(statement: string, err: unknown): UnparseableDdl {
  if (!(err instanceof DdlSyntaxError)) throw err;
  return { kind: 'unparseable', statement, reason: err.message };
}

function reasonOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

class DdlSyntaxError extends Error {
  override readonly name = 'DdlSyntaxError';
}

// ---- Tokens -------------------------------------------------------------------------------------

type TokenKind = 'word' | 'ident' | 'string' | 'number' | 'bits' | 'hex' | 'punct';

interface Token {
  readonly kind: TokenKind;
  /** The value: an identifier unquoted, a string unescaped, a number as written, a bit/hex literal's digits. */
  readonly text: string;
  /** Upper-cased text, for keyword comparison (words only). */
  readonly upper: string;
  readonly start: number;
  readonly end: number;
}

const WORD_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  // Executable comments (/*!40101 … */, /*M!100100 … */) are read as code; this counts the open ones.
  let openExecutable = 0;
  const push = (kind: TokenKind, text: string, start: number) => out.push({ kind, text, upper: kind === 'word' ? text.toUpperCase() : text, start, end: i });
  while (i < sql.length) {
    const c = sql[i]!;
    const start = i;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#' || (c === '-' && sql[i + 1] === '-' && (i + 2 >= sql.length || /\s/.test(sql[i + 2]!)))) {
      while (i < sql.length && sql[i] !== '\n') i++;
    } else if (c === '/' && sql[i + 1] === '*') {
      const exec = /^\/\*M?!\d{0,6}/.exec(sql.slice(i, i + 10));
      if (exec) {
        openExecutable++;
        i += exec[0].length;
      } else {
        const close = sql.indexOf('*/', i + 2);
        if (close < 0) throw new DdlSyntaxError('unterminated comment');
        i = close + 2;
      }
    } else if (c === '*' && sql[i + 1] === '/' && openExecutable > 0) {
      openExecutable--;
      i += 2;
    } else if (c === '`') {
      let s = '';
      i++;
      for (;;) {
        if (i >= sql.length) throw new DdlSyntaxError('unterminated quoted identifier');
        if (sql[i] === '`') {
          if (sql[i + 1] === '`') {
            s += '`';
            i += 2;
            continue;
          }
          i++;
          break;
        }
        s += sql[i++];
      }
      push('ident', s, start);
    } else if (c === "'" || c === '"') {
      push('string', quoted(), start);
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(sql[i + 1] ?? ''))) {
      const hex = /^0x([0-9a-fA-F]+)/.exec(sql.slice(i));
      const bin = /^0b([01]+)/.exec(sql.slice(i));
      const num = /^(\d*\.?\d+|\d+\.)(?:[eE][+-]?\d+)?/.exec(sql.slice(i))!;
      const lit = hex ?? bin ?? num;
      if (WORD_CHAR.test(sql[i + lit[0].length] ?? '')) readWord(start); // an identifier that starts with digits
      else {
        i += lit[0].length;
        push(hex ? 'hex' : bin ? 'bits' : 'number', hex || bin ? lit[1]! : lit[0], start);
      }
    } else if (WORD_CHAR.test(c)) {
      readWord(start);
    } else {
      i++;
      push('punct', c, start);
    }
  }
  if (openExecutable > 0) throw new DdlSyntaxError('unterminated comment');
  return out;

  function readWord(start: number) {
    while (i < sql.length && WORD_CHAR.test(sql[i]!)) i++;
    const word = sql.slice(start, i);
    const q = sql[i];
    if (q === "'" && /^[xXbB]$/.test(word)) {
      // X'4D' and B'101' literals
      const digits = quoted();
      push(/^[xX]$/.test(word) ? 'hex' : 'bits', digits, start);
    } else if ((q === "'" || q === '"') && (/^_[A-Za-z0-9]+$/.test(word) || /^[nN]$/.test(word))) {
      // A charset introducer (_utf8mb4'…') or a national string (N'…'): the string itself.
      push('string', quoted(), start);
    } else push('word', word, start);
  }

  /** The string literal whose quote is at i; moves i past it. */
  function quoted(): string {
    const lit = readQuoted(sql, i);
    if (!lit) throw new DdlSyntaxError('unterminated string');
    i = lit.end;
    return lit.value;
  }
}

function splitStatements(tokens: Token[]): Token[][] {
  const parts: Token[][] = [[]];
  for (const t of tokens) {
    if (t.kind === 'punct' && t.text === ';') parts.push([]);
    else parts[parts.length - 1]!.push(t);
  }
  return parts.filter((p) => p.length > 0);
}

// ---- The working catalog ----------------------------------------------------------------------------

/** Copy-on-write view of a catalog, recording the table changes made to it. */
class Catalog {
  readonly #dbs: Map<string, DatabaseSchema>;
  readonly #copied = new Set<string>();
  readonly changes: TableChange[] = [];
  readonly databasesTouched = new Set<string>();

  constructor(base: SchemaCatalog) {
    this.#dbs = new Map(base);
  }

  result(): SchemaCatalog {
    return this.#dbs;
  }

  /** The database's real name (exact, else case-insensitive match). */
  databaseName(db: string): string | undefined {
    if (this.#dbs.has(db)) return db;
    const lower = db.toLowerCase();
    for (const name of this.#dbs.keys()) if (name.toLowerCase() === lower) return name;
    return undefined;
  }

  database(db: string): DatabaseSchema | undefined {
    const name = this.databaseName(db);
    return name === undefined ? undefined : this.#dbs.get(name);
  }

  table(id: TableId): TableSchema | undefined {
    const d = this.database(id.db);
    if (!d) return undefined;
    const exact = d.tables.get(id.table);
    if (exact) return exact;
    const lower = id.table.toLowerCase();
    for (const [name, t] of d.tables) if (name.toLowerCase() === lower) return t;
    return undefined;
  }

  #tablesOf(db: string): Map<string, TableSchema> {
    const name = this.databaseName(db) ?? db;
    let d = this.#dbs.get(name);
    if (!d) this.#dbs.set(name, (d = { name, charset: null, tables: new Map() }));
    if (!this.#copied.has(name)) {
      d = { ...d, tables: new Map(d.tables) };
      this.#dbs.set(name, d);
      this.#copied.add(name);
    }
    return d.tables as Map<string, TableSchema>;
  }

  put(table: TableSchema, type: TableChangeType, previousId?: TableId): void {
    this.#tablesOf(table.db).set(table.table, table);
    this.changes.push(previousId ? { type, table, previousId } : { type, table });
    this.databasesTouched.add(table.db);
  }

  drop(table: TableSchema): void {
    this.#tablesOf(table.db).delete(table.table);
    this.changes.push({ type: 'DROP', table });
    this.databasesTouched.add(table.db);
  }

  /** Removes a renamed table under its old name (the caller puts it under the new one). */
  remove(table: TableSchema): void {
    this.#tablesOf(table.db).delete(table.table);
  }

  putDatabase(name: string, charset: string | null): void {
    const existing = this.database(name);
    this.#dbs.set(existing?.name ?? name, { name: existing?.name ?? name, charset, tables: existing?.tables ?? new Map() });
    this.databasesTouched.add(existing?.name ?? name);
  }

  dropDatabase(name: string): void {
    const d = this.database(name);
    if (!d) return;
    for (const t of d.tables.values()) this.changes.push({ type: 'DROP', table: t });
    this.#dbs.delete(d.name);
    this.databasesTouched.add(d.name);
  }
}

// ---- The parser ----------------------------------------------------------------------------------------

/** The types MariaDB takes for JSON when a column's CHECK is json_valid(column) (its JSON is LONGTEXT so). */
const JSON_TEXT_TYPES: ReadonlySet<string> = new Set(['TINYTEXT', 'TEXT', 'MEDIUMTEXT', 'LONGTEXT']);

/** A column while it is being defined. */
interface ColumnDraft {
  name: string;
  type: string;
  typeName: string;
  nullable: boolean | null;
  default: DefaultSpec | null;
  charset: string | null;
  autoIncrement: boolean;
  generated: boolean;
  comment: string | null;
  primaryKey: boolean;
}

/** A DEFAULT clause: a literal (null for DEFAULT NULL) or an expression as written. */
type DefaultSpec = { value: string | null } | { expression: string };

function defaultFields(spec: DefaultSpec | null): Pick<ColumnDef, 'default' | 'defaultExpression'> {
  if (spec === null) return {};
  return 'expression' in spec ? { defaultExpression: spec.expression } : { default: spec.value };
}

type Placement = { first: true } | { after: string } | null;

interface Outcome {
  truncate?: TableId;
  note?: string;
}

/** Statements that never change a table's structure. */
const NOT_TABLE_DDL = new Set([
  'BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT', 'RELEASE', 'XA', 'SET', 'GRANT', 'REVOKE', 'FLUSH', 'ANALYZE', 'OPTIMIZE', 'REPAIR', 'CHECK', 'CHECKSUM',
  'INSERT', 'UPDATE', 'DELETE', 'REPLACE', 'SELECT', 'CALL', 'DO', 'USE', 'LOCK', 'UNLOCK', 'LOAD', 'HANDLER', 'INSTALL', 'UNINSTALL', 'SHOW', 'KILL',
  'RESET', 'PURGE', 'CHANGE', 'START', 'STOP', 'HELP', 'EXPLAIN', 'DESCRIBE', 'DESC', 'CACHE', 'SHUTDOWN', 'PREPARE', 'EXECUTE', 'DEALLOCATE', 'BACKUP', 'WITH',
]);

/** Keywords after ADD/DROP that name an index, a constraint or a partition, not a column. */
const INDEX_WORDS = ['INDEX', 'KEY', 'UNIQUE', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK', 'CONSTRAINT', 'PARTITION'];

class Parser {
  #i = 0;

  constructor(
    private readonly sql: string,
    private readonly tokens: Token[],
    private readonly currentDb: string | null,
  ) {}

  // -- token helpers --

  peek(offset = 0): Token | undefined {
    return this.tokens[this.#i + offset];
  }
  atEnd(): boolean {
    return this.#i >= this.tokens.length;
  }
  atWord(...words: string[]): boolean {
    const t = this.peek();
    return t?.kind === 'word' && words.includes(t.upper);
  }
  acceptWord(...words: string[]): boolean {
    if (!this.atWord(...words)) return false;
    this.#i++;
    return true;
  }
  expectWord(word: string): void {
    if (!this.acceptWord(word)) this.fail(`expected ${word}`);
  }
  atPunct(c: string): boolean {
    const t = this.peek();
    return t?.kind === 'punct' && t.text === c;
  }
  acceptPunct(c: string): boolean {
    if (!this.atPunct(c)) return false;
    this.#i++;
    return true;
  }
  expectPunct(c: string): void {
    if (!this.acceptPunct(c)) this.fail(`expected "${c}"`);
  }
  next(): Token {
    const t = this.peek();
    if (!t) this.fail('unexpected end of statement');
    this.#i++;
    return t;
  }
  fail(reason: string): never {
    const t = this.peek();
    throw new DdlSyntaxError(t ? `${reason} at "${this.sql.slice(t.start, Math.min(t.end + 30, this.sql.length))}"` : `${reason} at the end`);
  }

  /** An identifier: backticked, a bare word, or a quoted string. */
  name(what = 'a name'): string {
    const t = this.peek();
    if (!t || (t.kind !== 'word' && t.kind !== 'ident' && t.kind !== 'string')) this.fail(`expected ${what}`);
    this.#i++;
    return t.text;
  }

  /** `db.table` or `table` (in the current database). */
  tableId(): TableId {
    const first = this.name('a table name');
    if (this.acceptPunct('.')) return { db: first, table: this.name('a table name') };
    if (this.currentDb === null) this.fail(`no database selected for table ${first}`);
    return { db: this.currentDb, table: first };
  }

  /** Skips a parenthesized group starting at "(" and returns its inner source text. */
  group(): string {
    const open = this.peek();
    this.expectPunct('(');
    let depth = 1;
    for (;;) {
      const t = this.next();
      if (t.kind === 'punct' && t.text === '(') depth++;
      else if (t.kind === 'punct' && t.text === ')' && --depth === 0) return this.sql.slice(open!.end, t.start);
    }
  }

  /** Skips to the next "," or ")" at this nesting level (not consumed), or the end. */
  skipElement(): void {
    while (!this.atEnd() && !this.atPunct(',') && !this.atPunct(')')) {
      if (this.atPunct('(')) this.group();
      else this.#i++;
    }
  }

  /** [=] value: a word, number or string, or a parenthesized group. */
  optionValue(): string {
    this.acceptPunct('=');
    if (this.atPunct('(')) return this.group();
    const t = this.next();
    if (t.kind === 'punct') this.fail('expected a value');
    return t.text;
  }

  ifExists(): boolean {
    if (!this.acceptWord('IF')) return false;
    this.expectWord('EXISTS');
    return true;
  }

  ifNotExists(): boolean {
    if (!this.acceptWord('IF')) return false;
    this.expectWord('NOT');
    this.expectWord('EXISTS');
    return true;
  }

  /** After ADD/DROP: an index, constraint, partition, period or system versioning (PERIOD and SYSTEM may also be column names). */
  atIndexSpec(): boolean {
    const next = this.peek(1)?.upper;
    return this.atWord(...INDEX_WORDS) || (this.atWord('PERIOD') && next === 'FOR') || (this.atWord('SYSTEM') && next === 'VERSIONING');
  }

  // -- statements --

  statement(catalog: Catalog): Outcome | void {
    const first = this.peek();
    if (!first || first.kind !== 'word') return { note: 'not DDL' };
    if (this.acceptWord('CREATE')) {
      if (this.acceptWord('OR')) this.expectWord('REPLACE');
      if (this.acceptWord('TEMPORARY')) return { note: 'temporary tables are not captured' };
      if (this.acceptWord('TABLE')) return this.createTable(catalog, false);
      if (this.acceptWord('DATABASE', 'SCHEMA')) return this.createDatabase(catalog);
      return { note: 'not table DDL' };
    }
    if (this.acceptWord('ALTER')) {
      this.acceptWord('ONLINE', 'OFFLINE');
      this.acceptWord('IGNORE');
      if (this.acceptWord('TABLE')) return this.alterTable(catalog);
      if (this.acceptWord('DATABASE', 'SCHEMA')) return this.alterDatabase(catalog);
      return { note: 'not table DDL' };
    }
    if (this.acceptWord('DROP')) {
      if (this.acceptWord('TEMPORARY')) return { note: 'temporary tables are not captured' };
      if (this.acceptWord('TABLE', 'TABLES')) return this.dropTables(catalog);
      if (this.acceptWord('DATABASE', 'SCHEMA')) return this.dropDatabase(catalog);
      return { note: 'not table DDL' };
    }
    if (this.acceptWord('RENAME')) {
      if (this.acceptWord('TABLE', 'TABLES')) return this.renameTables(catalog);
      return { note: 'not table DDL' };
    }
    if (this.acceptWord('TRUNCATE')) {
      this.acceptWord('TABLE');
      return { truncate: this.tableId() };
    }
    return { note: NOT_TABLE_DDL.has(first.upper) ? 'not DDL' : `${first.upper} does not change tables` };
  }

  /** After CREATE [OR REPLACE] [TEMPORARY] TABLE. `standalone`: reading SHOW CREATE TABLE (the table never exists yet). */
  createTable(catalog: Catalog, standalone: boolean): Outcome | void {
    const ifNotExists = this.ifNotExists();
    const id = this.tableId();
    const existing = standalone ? undefined : catalog.table(id);
    if (existing && ifNotExists) return { note: `${id.db}.${id.table} exists` };
    const likeParen = this.atPunct('(') && this.peek(1)?.kind === 'word' && this.peek(1)!.upper === 'LIKE';
    if (this.atWord('LIKE') || likeParen) {
      if (likeParen) this.expectPunct('(');
      this.expectWord('LIKE');
      const sourceId = this.tableId();
      if (likeParen) this.expectPunct(')');
      const source = catalog.table(sourceId);
      if (!source) this.fail(`CREATE TABLE … LIKE an unknown table ${sourceId.db}.${sourceId.table}`);
      catalog.put({ ...source, db: catalog.databaseName(id.db) ?? id.db, table: id.table }, 'CREATE');
      return;
    }
    if (!this.atPunct('(')) this.fail('CREATE TABLE … SELECT is not supported (the columns come from a query)');
    const dbCharset = catalog.database(id.db)?.charset ?? null;
    const drafts: ColumnDraft[] = [];
    let primaryKey: string[] | null = null;
    this.expectPunct('(');
    for (;;) {
      const pk = this.tableElement(drafts);
      if (pk) primaryKey = pk;
      if (this.acceptPunct(')')) break;
      this.expectPunct(',');
    }
    const options = this.tableOptions(false);
    if (!this.atEnd()) this.fail('CREATE TABLE … SELECT is not supported (the columns come from a query)');
    const charset = options.charset ?? dbCharset;
    const inline = drafts.filter((d) => d.primaryKey).map((d) => d.name);
    const pkNames = primaryKey ?? inline;
    const columns = drafts.map((d, i) => finishColumn(d, i + 1, charset, pkNames));
    catalog.put({ db: catalog.databaseName(id.db) ?? id.db, table: id.table, columns, primaryKey: resolvePk(pkNames, columns, this), charset, comment: options.comment ?? null }, 'CREATE');
  }

  /** One element of CREATE TABLE's list; returns the primary key columns when it defines them. */
  tableElement(drafts: ColumnDraft[]): string[] | null {
    if (this.acceptWord('CONSTRAINT')) {
      if (!this.atWord('PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK')) this.name();
    }
    if (this.acceptWord('PRIMARY')) {
      this.expectWord('KEY');
      const cols = this.keyParts();
      this.skipElement();
      return cols;
    }
    if (this.atWord('UNIQUE', 'KEY', 'INDEX', 'FULLTEXT', 'SPATIAL', 'FOREIGN', 'CHECK') || (this.atWord('PERIOD') && this.peek(1)?.upper === 'FOR')) {
      this.skipElement();
      return null;
    }
    const name = this.name('a column name');
    if (drafts.some((d) => d.name.toLowerCase() === name.toLowerCase())) this.fail(`duplicate column ${name}`);
    drafts.push(this.columnDefinition(name));
    return null;
  }

  /** PRIMARY KEY [USING …] (col [(len)] [ASC|DESC], …): the column names. */
  keyParts(): string[] {
    if (this.acceptWord('USING')) this.next();
    this.expectPunct('(');
    const cols: string[] = [];
    for (;;) {
      if (this.atPunct('(')) this.fail('a primary key on an expression is not supported');
      cols.push(this.name('a key column'));
      if (this.atPunct('(')) this.group();
      this.acceptWord('ASC', 'DESC');
      if (this.acceptPunct(')')) return cols;
      this.expectPunct(',');
    }
  }

  /** name already read: data type and attributes, up to "," / ")" / FIRST / AFTER / the end. */
  columnDefinition(name: string): ColumnDraft {
    const { type, typeName, charset } = this.dataType();
    const d: ColumnDraft = { name, type, typeName, nullable: null, default: null, charset, autoIncrement: false, generated: false, comment: null, primaryKey: false };
    if (typeName === 'SERIAL') {
      Object.assign(d, { type: 'bigint unsigned', typeName: 'BIGINT', nullable: false, autoIncrement: true });
    }
    for (;;) {
      if (this.atEnd() || this.atPunct(',') || this.atPunct(')') || this.atWord('FIRST', 'AFTER')) return d;
      if (this.acceptWord('NOT')) {
        this.expectWord('NULL');
        d.nullable = false;
      } else if (this.acceptWord('NULL')) d.nullable = true;
      else if (this.acceptWord('DEFAULT')) d.default = this.defaultValue();
      else if (this.acceptWord('AUTO_INCREMENT')) d.autoIncrement = true;
      else if (this.acceptWord('UNIQUE')) this.acceptWord('KEY');
      else if (this.acceptWord('PRIMARY')) {
        this.expectWord('KEY');
        d.primaryKey = true;
      } else if (this.acceptWord('KEY')) d.primaryKey = true;
      else if (this.acceptWord('COMMENT')) d.comment = this.string();
      else if (this.acceptWord('COLLATE')) d.charset = this.collation(d.charset);
      else if (this.atWord('CHARACTER', 'CHARSET')) d.charset = this.charsetClause();
      else if (this.acceptWord('ON')) {
        this.expectWord('UPDATE');
        this.next();
        if (this.atPunct('(')) this.group();
      } else if (this.atWord('GENERATED', 'AS')) {
        if (this.acceptWord('GENERATED')) this.expectWord('ALWAYS');
        this.expectWord('AS');
        this.group();
        d.generated = true;
      } else if (this.acceptWord('VIRTUAL', 'STORED', 'PERSISTENT', 'VISIBLE', 'INVISIBLE')) {
        // storage of a generated column, or visibility: no effect on captured values
      } else if (this.acceptWord('COLUMN_FORMAT', 'STORAGE', 'SRID')) this.next();
      else if (this.acceptWord('SERIAL')) {
        this.expectWord('DEFAULT');
        this.expectWord('VALUE');
        Object.assign(d, { nullable: false, autoIncrement: true });
      } else if (this.acceptWord('REFERENCES')) this.references();
      else if (this.atWord('CONSTRAINT', 'CHECK')) {
        if (this.acceptWord('CONSTRAINT') && !this.atWord('CHECK')) this.name();
        this.expectWord('CHECK');
        // MariaDB's JSON is LONGTEXT with CHECK (json_valid(col)), as SHOW CREATE TABLE writes it, and MariaDB
        // takes any TEXT type with that check as JSON (JSON_OBJECT nests its value): so does this, as JSON in DDL.
        if (JSON_TEXT_TYPES.has(d.typeName) && this.isJsonValidOf(name)) Object.assign(d, { type: 'json', typeName: 'JSON', charset: null });
        this.group();
        if (this.acceptWord('NOT')) this.expectWord('ENFORCED');
        else this.acceptWord('ENFORCED');
      } else if (this.acceptWord('COMPRESSED')) {
        if (this.acceptPunct('=')) this.next();
      } else if (this.acceptWord('WITH', 'WITHOUT')) {
        this.expectWord('SYSTEM');
        this.expectWord('VERSIONING');
      } else if (this.acceptWord('ENGINE_ATTRIBUTE', 'SECONDARY_ENGINE_ATTRIBUTE')) this.optionValue();
      else this.fail(`unexpected text in the definition of column ${name}`);
    }
  }

  /** At "(json_valid(<column>))", the column named `column` (names compare case-insensitively): nothing consumed. */
  isJsonValidOf(column: string): boolean {
    const [open, fn, open2, arg, close, close2] = [0, 1, 2, 3, 4, 5].map((i) => this.peek(i));
    const punct = (t: Token | undefined, c: string) => t?.kind === 'punct' && t.text === c;
    return (
      punct(open, '(') &&
      fn?.kind === 'word' &&
      fn.upper === 'JSON_VALID' &&
      punct(open2, '(') &&
      (arg?.kind === 'word' || arg?.kind === 'ident') &&
      arg.text.toLowerCase() === column.toLowerCase() &&
      punct(close, ')') &&
      punct(close2, ')')
    );
  }

  string(): string {
    const t = this.next();
    if (t.kind !== 'string') this.fail('expected a quoted string');
    return t.text;
  }

  /** CHARACTER SET x | CHARSET x (also with "="). */
  charsetClause(): string {
    if (this.acceptWord('CHARACTER')) this.expectWord('SET');
    else this.expectWord('CHARSET');
    this.acceptPunct('=');
    return this.name('a character set').toLowerCase();
  }

  /** After COLLATE: [=] name. A collation implies its character set unless one was given. */
  collation(charset: string | null | undefined): string {
    this.acceptPunct('=');
    const implied = charsetOfCollation(this.name('a collation'));
    return charset ?? implied;
  }

  references(): void {
    this.tableId();
    if (this.atPunct('(')) this.group();
    for (;;) {
      if (this.acceptWord('MATCH')) this.next();
      else if (this.acceptWord('ON')) {
        this.next(); // DELETE | UPDATE
        if (this.acceptWord('SET')) this.next();
        else if (this.acceptWord('NO')) this.expectWord('ACTION');
        else this.next();
      } else return;
    }
  }

  /** A data type with its modifiers, as canonical text ('int(10) unsigned', "enum('a','b')"). */
  dataType(): { type: string; typeName: string; charset: string | null } {
    const first = this.next();
    if (first.kind !== 'word') this.fail('expected a data type');
    const words = [first.upper];
    const more = (...w: string[]) => this.atWord(...w) && words.push(this.next().upper);
    if (first.upper === 'DOUBLE') more('PRECISION');
    else if (first.upper === 'CHARACTER' || first.upper === 'CHAR') more('VARYING');
    else if (first.upper === 'NATIONAL') {
      if (!more('CHAR', 'CHARACTER', 'VARCHAR')) this.fail('expected NATIONAL CHAR or VARCHAR');
      more('VARYING');
    } else if (first.upper === 'NCHAR') more('VARCHAR', 'VARYING');
    else if (first.upper === 'LONG') more('VARCHAR', 'VARBINARY');
    const args = this.atPunct('(') ? this.group() : null;
    let unsigned = false;
    let zerofill = false;
    let charset: string | null = null;
    for (;;) {
      if (this.acceptWord('UNSIGNED')) unsigned = true;
      else if (this.acceptWord('SIGNED')) unsigned = false;
      else if (this.acceptWord('ZEROFILL')) zerofill = true;
      else if (this.atWord('CHARACTER', 'CHARSET') && !(this.atWord('CHARACTER') && this.peek(1)?.upper !== 'SET')) charset = this.charsetClause();
      else if (this.acceptWord('ASCII')) charset = 'latin1';
      else if (this.acceptWord('UNICODE')) charset = 'ucs2';
      else if (this.acceptWord('BINARY', 'BYTE')) {
        // a binary collation of a character type: still text
      } else break;
    }
    const type = words.join(' ').toLowerCase() + (args === null ? '' : `(${args.trim()})`) + (unsigned ? ' unsigned' : '') + (zerofill ? ' zerofill' : '');
    let typeName: string;
    try {
      typeName = words.join(' ') === 'SERIAL' ? 'SERIAL' : parseColumnType(type).name;
    } catch (err) {
      this.fail(reasonOf(err));
    }
    return { type, typeName, charset };
  }

  /** After DEFAULT: a literal, NULL, or an expression (CURRENT_TIMESTAMP, now(), (expr)). */
  defaultValue(): DefaultSpec {
    const sign = this.atPunct('-') || this.atPunct('+') ? this.next().text : '';
    const t = this.peek();
    if (!t) this.fail('expected a default value');
    if (t.kind === 'string') {
      let s = '';
      while (this.peek()?.kind === 'string') s += this.next().text; // 'a' 'b' is 'ab'
      return { value: s };
    }
    if (t.kind === 'number') return { value: sign + this.next().text };
    if (t.kind === 'bits') return { value: String(BigInt('0b' + (this.next().text || '0'))) };
    if (t.kind === 'hex') return { value: Buffer.from(this.next().text, 'hex').toString('latin1') };
    if (t.kind === 'word' && t.upper === 'NULL') {
      this.next();
      return { value: null };
    }
    if (t.kind === 'word' && (t.upper === 'TRUE' || t.upper === 'FALSE')) return { value: this.next().upper === 'TRUE' ? '1' : '0' };
    if (t.kind === 'punct' && t.text === '(') return { expression: `(${this.group()})` };
    if (t.kind !== 'word') this.fail('expected a default value');
    const start = this.next().start;
    if (this.atPunct('(')) this.group();
    return { expression: this.sql.slice(start, this.tokens[this.#i - 1]!.end) };
  }

  /** Table options after CREATE TABLE's list, or one in ALTER TABLE (`single`). */
  tableOptions(single: boolean): { charset?: string; comment?: string } {
    const out: { charset?: string; comment?: string } = {};
    while (!this.atEnd() && !(single && this.atPunct(','))) {
      if (!single && this.acceptPunct(',')) continue;
      if (this.atWord('PARTITION')) {
        while (!this.atEnd()) this.next(); // partitioning does not change columns
        break;
      }
      if (this.atWord('AS', 'SELECT', 'IGNORE', 'REPLACE') || this.atPunct('(')) return out;
      this.acceptWord('DEFAULT');
      if (this.atWord('CHARACTER', 'CHARSET')) out.charset = this.charsetClause();
      else if (this.acceptWord('COLLATE')) {
        out.charset = this.collation(out.charset);
      } else if (this.acceptWord('COMMENT')) {
        this.acceptPunct('=');
        out.comment = this.string();
      } else if (this.acceptWord('WITH', 'WITHOUT')) {
        this.expectWord('SYSTEM');
        this.expectWord('VERSIONING');
      } else if (this.acceptWord('DATA', 'INDEX')) {
        this.expectWord('DIRECTORY');
        this.optionValue();
      } else if (this.peek()?.kind === 'word') {
        this.next();
        this.optionValue();
      } else this.fail('unexpected table option');
      if (single) break;
    }
    return out;
  }

  createDatabase(catalog: Catalog): Outcome | void {
    const ifNotExists = this.ifNotExists();
    const name = this.name('a database name');
    const existing = catalog.database(name);
    if (existing) return { note: `database ${name} exists${ifNotExists ? '' : ' (statement failed on the server)'}` };
    catalog.putDatabase(name, this.databaseOptions() ?? null);
  }

  alterDatabase(catalog: Catalog): Outcome | void {
    const name = this.atWord('DEFAULT', 'CHARACTER', 'CHARSET', 'COLLATE', 'COMMENT', 'READ', 'ENCRYPTION') ? this.currentDb : this.name('a database name');
    if (name === null) this.fail('no database selected');
    const charset = this.databaseOptions();
    const existing = catalog.database(name);
    if (charset !== undefined) catalog.putDatabase(existing?.name ?? name, charset);
    else return { note: 'no character set change' };
  }

  /** [DEFAULT] CHARACTER SET / COLLATE / other options: the character set, if given. */
  databaseOptions(): string | undefined {
    let charset: string | undefined;
    while (!this.atEnd()) {
      this.acceptWord('DEFAULT');
      if (this.atWord('CHARACTER', 'CHARSET')) charset = this.charsetClause();
      else if (this.acceptWord('COLLATE')) {
        charset = this.collation(charset);
      } else if (this.peek()?.kind === 'word') {
        this.next();
        if (!this.atEnd() && !this.atWord('DEFAULT', 'CHARACTER', 'CHARSET', 'COLLATE')) this.optionValue();
      } else this.fail('unexpected database option');
    }
    return charset;
  }

  dropDatabase(catalog: Catalog): Outcome | void {
    this.ifExists();
    const name = this.name('a database name');
    if (!catalog.database(name)) return { note: `unknown database ${name}` };
    catalog.dropDatabase(name);
  }

  dropTables(catalog: Catalog): Outcome | void {
    this.ifExists();
    const unknown: string[] = [];
    do {
      const id = this.tableId();
      const t = catalog.table(id);
      if (t) catalog.drop(t);
      else unknown.push(`${id.db}.${id.table}`);
    } while (this.acceptPunct(','));
    this.acceptWord('RESTRICT', 'CASCADE');
    if (!this.atEnd()) this.fail('unexpected text after DROP TABLE');
    if (unknown.length > 0) return { note: `unknown table ${unknown.join(', ')}` };
  }

  renameTables(catalog: Catalog): Outcome | void {
    const unknown: string[] = [];
    do {
      const from = this.tableId();
      this.expectWord('TO');
      const to = this.tableId();
      const t = catalog.table(from);
      if (!t) {
        unknown.push(`${from.db}.${from.table}`);
        continue;
      }
      catalog.remove(t);
      catalog.put({ ...t, db: catalog.databaseName(to.db) ?? to.db, table: to.table }, 'ALTER', { db: t.db, table: t.table });
    } while (this.acceptPunct(','));
    if (!this.atEnd()) this.fail('unexpected text after RENAME TABLE');
    if (unknown.length > 0) return { note: `unknown table ${unknown.join(', ')}` };
  }

  alterTable(catalog: Catalog): Outcome | void {
    this.ifExists();
    const id = this.tableId();
    const before = catalog.table(id);
    if (!before) return { note: `unknown table ${id.db}.${id.table}` };
    if (this.acceptWord('WAIT')) this.next();
    else this.acceptWord('NOWAIT');
    const t = new TableDraft(before);
    let renamedTo: TableId | null = null;
    while (!this.atEnd()) {
      const to = this.alterSpec(t);
      if (to) renamedTo = to;
      if (!this.atEnd()) this.expectPunct(',');
    }
    let after = t.finish(this);
    if (renamedTo) {
      catalog.remove(before);
      after = { ...after, db: catalog.databaseName(renamedTo.db) ?? renamedTo.db, table: renamedTo.table };
      catalog.put(after, 'ALTER', { db: before.db, table: before.table });
    } else catalog.put(after, 'ALTER');
  }

  /** One ALTER TABLE specification; returns the new name for RENAME [TO]. */
  alterSpec(t: TableDraft): TableId | null {
    if (this.acceptWord('ADD')) {
      if (this.acceptWord('CONSTRAINT') && !this.atWord('PRIMARY', 'UNIQUE', 'FOREIGN', 'CHECK')) this.name();
      if (this.acceptWord('PRIMARY')) {
        this.expectWord('KEY');
        t.setPrimaryKey(this.keyParts(), this);
        this.skipElement();
        return null;
      }
      if (this.atIndexSpec()) return this.skipSpec();
      this.acceptWord('COLUMN');
      const ifNotExists = this.ifNotExists();
      if (this.acceptPunct('(')) {
        for (;;) {
          const name = this.name('a column name');
          t.addColumn(this.columnDefinition(name), null, ifNotExists, this);
          if (this.acceptPunct(')')) return null;
          this.expectPunct(',');
        }
      }
      const name = this.name('a column name');
      const draft = this.columnDefinition(name);
      t.addColumn(draft, this.placement(), ifNotExists, this);
      return null;
    }
    if (this.acceptWord('DROP')) {
      if (this.acceptWord('PRIMARY')) {
        this.expectWord('KEY');
        t.primaryKey = [];
        return null;
      }
      if (this.atIndexSpec()) return this.skipSpec();
      this.acceptWord('COLUMN');
      const ifExists = this.ifExists();
      t.dropColumn(this.name('a column name'), ifExists, this);
      this.acceptWord('RESTRICT', 'CASCADE');
      return null;
    }
    if (this.acceptWord('MODIFY')) {
      this.acceptWord('COLUMN');
      const ifExists = this.ifExists();
      const name = this.name('a column name');
      t.replaceColumn(name, this.columnDefinition(name), this.placement(), ifExists, this);
      return null;
    }
    if (this.acceptWord('CHANGE')) {
      this.acceptWord('COLUMN');
      const ifExists = this.ifExists();
      const old = this.name('a column name');
      const name = this.name('a column name');
      t.replaceColumn(old, this.columnDefinition(name), this.placement(), ifExists, this);
      return null;
    }
    if (this.acceptWord('RENAME')) {
      if (this.acceptWord('COLUMN')) {
        const old = this.name('a column name');
        this.expectWord('TO');
        t.renameColumn(old, this.name('a column name'), this);
        return null;
      }
      if (this.atWord('INDEX', 'KEY')) return this.skipSpec();
      this.acceptWord('TO', 'AS');
      return this.tableId();
    }
    if (this.acceptWord('ALTER')) {
      if (this.atWord('INDEX', 'CHECK', 'CONSTRAINT')) return this.skipSpec();
      this.acceptWord('COLUMN');
      const col = t.column(this.name('a column name'), this);
      if (this.acceptWord('SET')) {
        if (this.acceptWord('DEFAULT')) t.setDefault(col.name, this.defaultValue());
        else this.expectWordOf('VISIBLE', 'INVISIBLE');
      } else if (this.acceptWord('DROP')) {
        this.expectWord('DEFAULT');
        t.setDefault(col.name, null);
      } else this.fail('expected SET or DROP');
      return null;
    }
    if (this.acceptWord('CONVERT')) {
      this.expectWord('TO');
      const charset = this.charsetClause();
      if (this.acceptWord('COLLATE')) this.name();
      t.convertCharset(charset);
      return null;
    }
    if (this.atWord('DEFAULT', 'CHARACTER', 'CHARSET', 'COLLATE', 'COMMENT') || (this.peek()?.kind === 'word' && this.peek(1)?.kind === 'punct' && this.peek(1)!.text === '=')) {
      const o = this.tableOptions(true);
      if (o.charset !== undefined) t.charset = o.charset;
      if (o.comment !== undefined) t.comment = o.comment;
      return null;
    }
    const w = this.peek();
    if (w?.kind === 'word') {
      // ALGORITHM, LOCK, FORCE, ENABLE/DISABLE KEYS, ORDER BY, partition maintenance, table options: no column change.
      return this.skipSpec();
    }
    this.fail('unexpected ALTER TABLE specification');
  }

  expectWordOf(...words: string[]): void {
    if (!this.acceptWord(...words)) this.fail(`expected ${words.join(' or ')}`);
  }

  skipSpec(): null {
    while (!this.atEnd() && !this.atPunct(',')) {
      if (this.atPunct('(')) this.group();
      else this.next();
    }
    return null;
  }

  placement(): Placement {
    if (this.acceptWord('FIRST')) return { first: true };
    if (this.acceptWord('AFTER')) return { after: this.name('a column name') };
    return null;
  }
}

/** The mutable state of a table during ALTER TABLE. */
class TableDraft {
  columns: ColumnDef[];
  primaryKey: string[];
  charset: string | null;
  comment: string | null;
  readonly #base: TableSchema;

  constructor(base: TableSchema) {
    this.#base = base;
    this.columns = [...base.columns];
    this.primaryKey = [...base.primaryKey];
    this.charset = base.charset;
    this.comment = base.comment ?? null;
  }

  #index(name: string): number {
    const lower = name.toLowerCase();
    return this.columns.findIndex((c) => c.name.toLowerCase() === lower);
  }

  column(name: string, p: Parser): ColumnDef {
    const i = this.#index(name);
    if (i < 0) p.fail(`unknown column ${name} in ${this.#base.db}.${this.#base.table}`);
    return this.columns[i]!;
  }

  #place(col: ColumnDef, placement: Placement, fallback: number, p: Parser): void {
    if (placement && 'first' in placement) this.columns.unshift(col);
    else if (placement) {
      const i = this.#index(placement.after);
      if (i < 0) p.fail(`unknown column ${placement.after} in AFTER`);
      this.columns.splice(i + 1, 0, col);
    } else this.columns.splice(fallback, 0, col);
  }

  addColumn(d: ColumnDraft, placement: Placement, ifNotExists: boolean, p: Parser): void {
    if (this.#index(d.name) >= 0) {
      if (ifNotExists) return;
      p.fail(`duplicate column ${d.name}`);
    }
    this.#place(finishColumn(d, 0, this.charset, []), placement, this.columns.length, p);
    if (d.primaryKey) this.setPrimaryKey([d.name], p);
  }

  dropColumn(name: string, ifExists: boolean, p: Parser): void {
    const i = this.#index(name);
    if (i < 0) {
      if (ifExists) return;
      p.fail(`unknown column ${name}`);
    }
    const [removed] = this.columns.splice(i, 1);
    this.primaryKey = this.primaryKey.filter((k) => k.toLowerCase() !== removed!.name.toLowerCase());
  }

  replaceColumn(old: string, d: ColumnDraft, placement: Placement, ifExists: boolean, p: Parser): void {
    const i = this.#index(old);
    if (i < 0) {
      if (ifExists) return;
      p.fail(`unknown column ${old}`);
    }
    const oldName = this.columns[i]!.name;
    if (d.name.toLowerCase() !== oldName.toLowerCase() && this.#index(d.name) >= 0) p.fail(`duplicate column ${d.name}`);
    this.columns.splice(i, 1);
    this.primaryKey = this.primaryKey.map((k) => (k.toLowerCase() === oldName.toLowerCase() ? d.name : k));
    this.#place(finishColumn(d, 0, this.charset, this.primaryKey), placement, i, p);
    if (d.primaryKey) this.setPrimaryKey([d.name], p);
  }

  renameColumn(old: string, name: string, p: Parser): void {
    const col = this.column(old, p);
    if (name.toLowerCase() !== col.name.toLowerCase() && this.#index(name) >= 0) p.fail(`duplicate column ${name}`);
    this.columns[this.#index(old)] = { ...col, name };
    this.primaryKey = this.primaryKey.map((k) => (k.toLowerCase() === col.name.toLowerCase() ? name : k));
  }

  /** SET DEFAULT (spec) or DROP DEFAULT (null). */
  setDefault(name: string, spec: DefaultSpec | null): void {
    const i = this.#index(name);
    const { default: _value, defaultExpression: _expression, ...rest } = this.columns[i]!;
    this.columns[i] = { ...rest, ...defaultFields(spec) };
  }

  setPrimaryKey(cols: string[], p: Parser): void {
    this.primaryKey = cols.map((c) => this.column(c, p).name);
  }

  convertCharset(charset: string): void {
    this.charset = charset;
    this.columns = this.columns.map((c) => (isCharacterType(parseColumnType(c.type).name) ? { ...c, charset } : c));
  }

  finish(p: Parser): TableSchema {
    const pk = this.primaryKey;
    const pkSet = new Set(pk.map((k) => k.toLowerCase()));
    const columns = this.columns.map((c, i) => ({ ...c, position: i + 1, nullable: pkSet.has(c.name.toLowerCase()) ? false : c.nullable }));
    return { db: this.#base.db, table: this.#base.table, columns, primaryKey: resolvePk(pk, columns, p), charset: this.charset, comment: this.comment };
  }
}

/** A draft as a ColumnDef: NULL unless NOT NULL or in the primary key; the table's charset for character types. */
function finishColumn(d: ColumnDraft, position: number, tableCharset: string | null, pk: readonly string[]): ColumnDef {
  const inPk = d.primaryKey || pk.some((k) => k.toLowerCase() === d.name.toLowerCase());
  const col: { -readonly [K in keyof ColumnDef]: ColumnDef[K] } = {
    name: d.name,
    type: d.type,
    nullable: inPk ? false : (d.nullable ?? true),
    charset: isCharacterType(d.typeName) ? (d.charset ?? tableCharset) : null,
    position,
  };
  Object.assign(col, defaultFields(d.default));
  if (d.autoIncrement) col.autoIncrement = true;
  if (d.generated) col.generated = true;
  if (d.comment !== null) col.comment = d.comment;
  return col;
}

/** Primary key names as the columns spell them; an unknown one is a syntax error. */
function resolvePk(pk: readonly string[], columns: readonly ColumnDef[], p: Parser): string[] {
  return pk.map((k) => columns.find((c) => c.name.toLowerCase() === k.toLowerCase())?.name ?? p.fail(`unknown primary key column ${k}`));
}

/** utf8mb4_general_ci → utf8mb4. */
export function charsetOfCollation(collation: string): string {
  const lower = collation.toLowerCase();
  const cut = lower.indexOf('_');
  return cut < 0 ? lower : lower.slice(0, cut);
}
