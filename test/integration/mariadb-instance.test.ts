// The private MariaDB that CDC tests, benchmarks and `slipway dev` stand on:
// its own port, socket and data dir with a full row binlog; the tutorial's
// inventory database; CDC users with and without grants; what zongji sees as
// each; and a restart or a kill -9 losing nothing that was committed.
//
// Facts these tests pin down for the CDC connector (zongji 0.9 on MariaDB 10.11):
// - A row change is mariadbgtid (gtid 'D-S-N') → tablemap → writerows/updaterows/
//   deleterows → xid, all carrying the same event.gtid; one transaction is one
//   gtid and one xid whatever the number of statements in it.
// - A user without BINLOG MONITOR (REPLICATION CLIENT) fails start({startAtEnd})
//   with errno 1227 ER_SPECIFIC_ACCESS_DENIED_ERROR naming BINLOG MONITOR, before
//   'ready'. Without REPLICATION SLAVE, zongji emits 'ready' first and then errno
//   1227 naming REPLICATION SLAVE. A wrong password is errno 1045.
// - On a server restart every client gets PROTOCOL_CONNECTION_LOST (fatal) and
//   does not reconnect; zj.gtidSet is where to resume.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ZongJi, { type AnyBinlogEvent, type MariadbGtidEvent, type TableMapEvent, type UpdateRowsEvent, type WriteRowsEvent, type ZongJiOptions } from '@vlasky/zongji';
import { afterEach, describe, expect, it } from 'vitest';
import { findMariaDbBinaries, MARIADB_INSTALL_HINT, startMariaDb, type CdcUser, type MariaDb } from '../../src/local/mariadb.js';
import { tempDir, waitFor } from '../helpers/env.js';
import { INVENTORY_ROWS, startTestMariaDb, useTestMariaDb } from '../helpers/mariadb.js';

/** What mysql2 puts on a server error (zongji passes it on). */
interface MysqlError extends Error {
  errno?: number;
  code?: string;
  sqlState?: string;
  fatal?: boolean;
}

const ROW_EVENTS = ['tablemap', 'writerows', 'updaterows', 'deleterows', 'rotate', 'xid', 'query', 'mariadbgtid'];

/** Run after each test, last added first; failures are ignored (the server may be gone). */
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) {
    try {
      await cleanups.pop()!();
    } catch {
      // already stopped
    }
  }
});

let nextServerId = 100;

interface BinlogTap {
  zj: ZongJi;
  events: AnyBinlogEvent[];
  errors: MysqlError[];
  /** When 'ready' came, as an index into `errors` at that moment (-1: not yet). */
  readyAfterErrors: number;
}

/** A zongji client as `user`, recording every event and error; stopped after the test. */
function tapBinlog(user: CdcUser, start: ZongJiOptions): BinlogTap {
  const zj = new ZongJi({ host: user.host, port: user.port, user: user.user, password: user.password, timezone: 'Z', dateStrings: true });
  const tap: BinlogTap = { zj, events: [], errors: [], readyAfterErrors: -1 };
  zj.on('binlog', (e) => tap.events.push(e));
  zj.on('error', (err) => tap.errors.push(err));
  zj.on('ready', () => (tap.readyAfterErrors = tap.errors.length));
  cleanups.push(() => zj.stop());
  zj.start({ serverId: nextServerId++, includeEvents: ROW_EVENTS, ...start });
  return tap;
}

function named<N extends string>(events: AnyBinlogEvent[], name: N): Extract<AnyBinlogEvent, { getEventName(): N }>[] {
  return events.filter((e) => e.getEventName() === name) as Extract<AnyBinlogEvent, { getEventName(): N }>[];
}

async function currentBinlog(db: MariaDb): Promise<string> {
  const [status] = await db.query<{ File: string }[]>('SHOW MASTER STATUS');
  return status!.File;
}

async function binlogFiles(db: MariaDb): Promise<string[]> {
  return (await db.query<{ Log_name: string }[]>('SHOW BINARY LOGS')).map((r) => r.Log_name);
}

describe('a private MariaDB with a row binlog', () => {
  const mariadb = useTestMariaDb();

  it('runs on its own port, socket and data dir, with a full row binlog in utf8mb4', async () => {
    const { db, dir } = mariadb();
    expect(db.port).toBeGreaterThan(0);
    expect(db.port).not.toBe(3306);
    expect(db.host).toBe('127.0.0.1');
    expect(db.rootUri).toBe(`mysql://root@127.0.0.1:${db.port}/`);
    expect(fs.existsSync(db.socket)).toBe(true);
    const [vars] = await db.query(
      'SELECT @@port AS port, @@datadir AS datadir, @@tmpdir AS tmpdir, @@socket AS socket, @@server_id AS serverId, @@log_bin AS logBin, @@log_bin_basename AS binlog,' +
        ' @@binlog_format AS format, @@binlog_row_image AS image, @@binlog_row_metadata AS metadata, @@character_set_server AS charset, @@version AS version',
    );
    expect(vars).toMatchObject({
      port: db.port,
      datadir: path.join(dir, 'data') + '/',
      tmpdir: path.join(dir, 'tmp'),
      socket: db.socket,
      serverId: 1,
      logBin: 1,
      binlog: path.join(dir, 'data', 'binlog'),
      format: 'ROW',
      image: 'FULL',
      metadata: 'FULL',
      charset: 'utf8mb4',
    });
    expect(vars!.version).toMatch(/MariaDB/);
    expect(await currentBinlog(db)).toMatch(/^binlog\.\d{6}$/);
    // One owner per dir within a process.
    await expect(startMariaDb({ dir, port: 0 })).rejects.toThrow(/already runs on/);
  });

  it('loads the tutorial inventory database the way `mariadb < inventory.sql` does', async () => {
    const { db } = mariadb();
    await mariadb().loadInventory();

    for (const [table, rows] of Object.entries(INVENTORY_ROWS)) {
      const [{ n }] = (await db.query<{ n: number }[]>(`SELECT COUNT(*) AS n FROM inventory.${table}`)) as [{ n: number }];
      expect(n, table).toBe(rows);
    }
    expect(await db.query('SELECT id, first_name, last_name, email FROM inventory.customers ORDER BY id')).toEqual([
      { id: 1001, first_name: 'Sally', last_name: 'Thomas', email: 'sally.thomas@acme.com' },
      { id: 1002, first_name: 'George', last_name: 'Bailey', email: 'gbailey@foobar.com' },
      { id: 1003, first_name: 'Edward', last_name: 'Walker', email: 'ed@walker.com' },
      { id: 1004, first_name: 'Anne', last_name: 'Kretchmar', email: 'annek@noanswer.org' },
    ]);
    const ids = async (sql: string) => (await db.query<{ id: number }[]>(sql)).map((r) => r.id);
    expect(await ids('SELECT id FROM inventory.products ORDER BY id')).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(await ids('SELECT id FROM inventory.addresses ORDER BY id')).toEqual([10, 11, 12, 13, 14, 15, 16]);
    expect(await ids('SELECT order_number AS id FROM inventory.orders ORDER BY order_number')).toEqual([10001, 10002, 10003, 10004]);
    expect(await db.query("SELECT order_date FROM inventory.orders WHERE order_number = 10004")).toEqual([{ order_date: new Date('2016-02-21T00:00:00Z') }]);
    // The keys the tutorial's events rely on: foreign keys hold, the next ids follow the tutorial's.
    await expect(db.query('INSERT INTO inventory.orders (order_date, purchaser, quantity, product_id) VALUES (CURDATE(), 9999, 1, 101)')).rejects.toMatchObject({ errno: 1452 });
    await db.query("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('New', 'Customer', 'new@example.com')");
    expect(await ids("SELECT id FROM inventory.customers WHERE email = 'new@example.com'")).toEqual([1005]);
    await expect(db.query("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('x', 'y', 'ed@walker.com')")).rejects.toMatchObject({ errno: 1062 });
    // Loading again starts over.
    await mariadb().loadInventory();
    expect(await ids('SELECT id FROM inventory.customers ORDER BY id')).toEqual([1001, 1002, 1003, 1004]);
  });

  it('creates a CDC user with the replication grants and one without any', async () => {
    const { db } = mariadb();
    const cdc = await db.createCdcUser('grants_full', 's3cret');
    expect(cdc).toEqual({ host: '127.0.0.1', port: db.port, user: 'grants_full', password: 's3cret' });
    await db.createCdcUser('grants_none', 's3cret', { grants: 'none' });

    for (const host of ['127.0.0.1', 'localhost']) {
      const full = Object.values((await db.query('SHOW GRANTS FOR ?@?', ['grants_full', host]))[0]!)[0] as string;
      // MariaDB shows REPLICATION CLIENT as BINLOG MONITOR.
      expect(full).toMatch(/^GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR ON \*\.\* TO `grants_full`@/);
      const none = Object.values((await db.query('SHOW GRANTS FOR ?@?', ['grants_none', host]))[0]!)[0] as string;
      expect(none).toMatch(/^GRANT USAGE ON \*\.\* TO `grants_none`@/);
    }
    // Created again: the password and grants are replaced.
    await db.createCdcUser('grants_full', 'other', { grants: ['SELECT'] });
    const again = Object.values((await db.query('SHOW GRANTS FOR ?@?', ['grants_full', '127.0.0.1']))[0]!)[0] as string;
    expect(again).toMatch(/^GRANT SELECT ON \*\.\* TO `grants_full`@/);
    await expect(db.createCdcUser('bad', 'pw', { grants: ['SELECT; DROP DATABASE inventory'] })).rejects.toThrow(/not a privilege name/);
  });

  it('shows zongji, connected as the CDC user, an INSERT as a writerows event and a transaction as one gtid', async () => {
    const { db } = mariadb();
    await mariadb().loadInventory();
    const user = await db.createCdcUser('cdc_stream', 'pw');
    const tap = tapBinlog(user, { startAtEnd: true, includeSchema: { inventory: true } });
    await waitFor(() => tap.readyAfterErrors >= 0 || tap.errors.length > 0, { timeoutMs: 30_000, what: 'zongji ready' });
    expect(tap.errors).toEqual([]);

    await db.query('INSERT INTO inventory.customers (first_name, last_name, email) VALUES (?, ?, ?)', ['Zoë', 'Ørsted 🚀', 'zoe@example.com']);
    const write = await waitFor(() => named(tap.events, 'writerows')[0], { timeoutMs: 30_000, what: 'writerows event' });
    expect(write.rows).toEqual([{ id: 1005, first_name: 'Zoë', last_name: 'Ørsted 🚀', email: 'zoe@example.com' }]);
    expect(write.tableMap[write.tableId]).toMatchObject({ parentSchema: 'inventory', tableName: 'customers' });

    // One query() call runs on one connection: the two statements are one transaction.
    const before = tap.events.length;
    await db.query("BEGIN; UPDATE inventory.customers SET email = 'zoe@example.org' WHERE id = 1005; DELETE FROM inventory.products_on_hand WHERE product_id = 109; COMMIT");
    await waitFor(() => named(tap.events.slice(before), 'xid').length > 0, { timeoutMs: 30_000, what: 'xid of the transaction' });

    const insertTx = tap.events.slice(0, before).filter((e) => e.gtid === write.gtid);
    expect(insertTx.map((e) => e.getEventName())).toEqual(['mariadbgtid', 'tablemap', 'writerows', 'xid']);
    const tx = tap.events.slice(before);
    expect(tx.map((e) => e.getEventName())).toEqual(['mariadbgtid', 'tablemap', 'updaterows', 'tablemap', 'deleterows', 'xid']);
    const gtid = tx[0] as MariadbGtidEvent;
    expect(gtid.gtid).toMatch(/^0-1-\d+$/);
    expect(gtid).toMatchObject({ domainId: 0, serverId: 1, standalone: false });
    expect(Number(gtid.seqNo)).toBe(Number(insertTx[0]!.gtid!.split('-')[2]) + 1);
    expect(new Set(tx.map((e) => e.gtid))).toEqual(new Set([gtid.gtid]));
    expect((tx[1] as TableMapEvent).columnNames).toEqual(['id', 'first_name', 'last_name', 'email']);
    expect((tx[2] as UpdateRowsEvent).rows).toEqual([
      {
        before: { id: 1005, first_name: 'Zoë', last_name: 'Ørsted 🚀', email: 'zoe@example.com' },
        after: { id: 1005, first_name: 'Zoë', last_name: 'Ørsted 🚀', email: 'zoe@example.org' },
      },
    ]);
    expect((tx[4] as WriteRowsEvent).rows).toEqual([{ product_id: 109, quantity: 5 }]);
    // Positions grow through the transaction; zj.gtidSet moves on at its commit.
    const positions = tx.map((e) => e.nextPosition);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    expect(tap.zj.gtidSet).toBe(gtid.gtid);
    expect(tap.errors).toEqual([]);
  });

  it('fails zongji with errno 1227 for a user without the grants, naming the missing privilege', async () => {
    const { db } = mariadb();
    const none = await db.createCdcUser('cdc_none', 'pw', { grants: 'none' });
    const noMonitor = tapBinlog(none, { startAtEnd: true });
    const err = await waitFor(() => noMonitor.errors[0], { timeoutMs: 30_000, what: 'an error for the user without grants' });
    expect(err).toMatchObject({ errno: 1227, code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR', sqlState: '42000' });
    expect(err.message).toMatch(/BINLOG MONITOR/);
    expect(noMonitor.readyAfterErrors).toBe(-1);

    // Without REPLICATION SLAVE zongji says 'ready' first; the dump request fails afterwards.
    const noSlave = await db.createCdcUser('cdc_noslave', 'pw', { grants: ['REPLICATION CLIENT', 'SELECT'] });
    const tap = tapBinlog(noSlave, { startAtEnd: true });
    const err2 = await waitFor(() => tap.errors[0], { timeoutMs: 30_000, what: 'an error for the user without REPLICATION SLAVE' });
    expect(err2).toMatchObject({ errno: 1227, code: 'ER_SPECIFIC_ACCESS_DENIED_ERROR' });
    expect(err2.message).toMatch(/REPLICATION SLAVE/);
    expect(tap.readyAfterErrors).toBe(0);

    const wrong = tapBinlog({ ...none, password: 'wrong' }, { startAtEnd: true });
    const err3 = await waitFor(() => wrong.errors[0], { timeoutMs: 30_000, what: 'an error for a wrong password' });
    expect(err3).toMatchObject({ errno: 1045, code: 'ER_ACCESS_DENIED_ERROR' });
  });

  it('kicks the older of two zongji clients with one server id off with errno 4052', async () => {
    const { db } = mariadb();
    const user = await db.createCdcUser('cdc_twins', 'pw');
    const first = tapBinlog(user, { startAtEnd: true, serverId: 4052 });
    await waitFor(() => first.readyAfterErrors >= 0 && first.events.length > 0, { timeoutMs: 30_000, what: 'first client streaming' });
    const second = tapBinlog(user, { startAtEnd: true, serverId: 4052 });
    const err = await waitFor(() => first.errors[0], { timeoutMs: 30_000, what: 'the first client kicked off' });
    // mysql2 names this errno ER_INVALID_MFA_PLUGIN_SPECIFIED (a MySQL code): match on errno.
    expect(err).toMatchObject({ errno: 4052 });
    expect(err.message).toMatch(/same server_uuid\/server_id/);
    expect(second.errors).toEqual([]);
  });

  it('restart() keeps the data on the same port and opens a new binlog file; zongji resumes from its gtidSet', async () => {
    const { db } = mariadb();
    await mariadb().loadInventory();
    const user = await db.createCdcUser('cdc_restart', 'pw');
    const tap = tapBinlog(user, { startAtEnd: true, includeSchema: { inventory: ['products'] } });
    await waitFor(() => tap.readyAfterErrors >= 0, { timeoutMs: 30_000, what: 'zongji ready' });
    await db.query("UPDATE inventory.products SET weight = 3.5 WHERE id = 101");
    await waitFor(() => named(tap.events, 'xid').length > 0, { timeoutMs: 30_000, what: 'the update in the binlog' });
    const fileBefore = await currentBinlog(db);
    const pidBefore = db.pid;
    const port = db.port;

    await db.restart();

    expect(db.port).toBe(port);
    expect(db.pid).toBeDefined();
    expect(db.pid).not.toBe(pidBefore);
    const fileAfter = await currentBinlog(db);
    expect(fileAfter > fileBefore).toBe(true);
    expect(await binlogFiles(db)).toEqual(expect.arrayContaining([fileBefore, fileAfter]));
    expect(await db.query('SELECT weight FROM inventory.products WHERE id = 101')).toEqual([{ weight: 3.5 }]);
    await waitFor(() => tap.errors.some((e) => e.code === 'PROTOCOL_CONNECTION_LOST'), { timeoutMs: 30_000, what: 'zongji losing its connection' });

    // The resume point taken from the old client skips what it already saw.
    const resumed = tapBinlog(user, { gtidSet: tap.zj.gtidSet, includeSchema: { inventory: ['products'] } });
    await db.query("UPDATE inventory.products SET weight = 4.5 WHERE id = 101");
    const update = await waitFor(() => named(resumed.events, 'updaterows')[0], { timeoutMs: 30_000, what: 'the update after the restart' });
    expect(update.rows).toEqual([{ before: expect.objectContaining({ weight: 3.5 }), after: expect.objectContaining({ weight: 4.5 }) }]);
    expect(named(resumed.events, 'updaterows')).toHaveLength(1);
    expect(resumed.errors).toEqual([]);
  });
});

const MARIADB_MODULE = pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../src/local/mariadb.ts')).href;

/** Another process owning a server on `dir` (one committed row in owned.t), as a `slipway dev` would; killed after the test. */
async function startOwnerProcess(dir: string): Promise<{ ownerPid: number; serverPid: number; port: number }> {
  const script = [
    `import { startMariaDb } from ${JSON.stringify(MARIADB_MODULE)};`,
    `const db = await startMariaDb({ dir: ${JSON.stringify(dir)}, port: 0 });`,
    `await db.query('CREATE DATABASE owned; CREATE TABLE owned.t (id INT PRIMARY KEY); INSERT INTO owned.t VALUES (1)');`,
    `process.stdout.write(JSON.stringify({ serverPid: db.pid, port: db.port }) + '\\n');`,
    `setInterval(() => {}, 1 << 30);`,
  ].join('\n');
  const owner = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => owner.kill('SIGKILL'));
  let out = '';
  owner.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  owner.stderr.setEncoding('utf8').on('data', (s: string) => (out += s));
  const exited = new Promise<never>((_, reject) => owner.once('exit', (code, signal) => reject(new Error(`the owner process ended (${signal ?? code}) before its server was up:\n${out}`))));
  exited.catch(() => undefined); // it also ends, killed, after the test
  const line = await Promise.race([
    waitFor(() => out.split('\n').find((l) => l.startsWith('{')), { timeoutMs: 120_000, what: 'the owner process to start its server' }),
    exited,
  ]);
  return { ownerPid: owner.pid!, ...(JSON.parse(line) as { serverPid: number; port: number }) };
}

// Each test starts servers of its own (mariadb-install-db included): slow on a loaded machine.
describe('a server on a dir someone else started', { timeout: 240_000 }, () => {
  it('shuts down cleanly when its owner process is killed with SIGKILL, and starts again on the same dir', async () => {
    const { dir, cleanup } = tempDir('slipway-mariadb-owner-');
    cleanups.push(cleanup);
    const { ownerPid, serverPid } = await startOwnerProcess(dir);

    process.kill(ownerPid, 'SIGKILL');
    await waitFor(() => {
      try {
        process.kill(serverPid, 0);
        return false;
      } catch {
        return true;
      }
    }, { timeoutMs: 60_000, what: 'the orphaned server to go away' });
    expect(fs.readFileSync(path.join(dir, 'mysqld.err'), 'utf8')).toMatch(/Shutdown complete\s*$/);

    const db = await startMariaDb({ dir, port: 0 });
    cleanups.push(() => db.stop());
    expect(await db.query('SELECT id FROM owned.t')).toEqual([{ id: 1 }]);
  });

  it('is shut down and replaced when it still runs: readiness is decided by ping, not by the pid file', async () => {
    const { dir, cleanup } = tempDir('slipway-mariadb-owner-');
    cleanups.push(cleanup);
    const { serverPid, port } = await startOwnerProcess(dir);

    const db = await startMariaDb({ dir, port });
    cleanups.push(() => db.stop());
    expect(db.pid).not.toBe(serverPid);
    expect(() => process.kill(serverPid, 0)).toThrow();
    expect(await db.query('SELECT id FROM owned.t')).toEqual([{ id: 1 }]);
    expect(await db.query('SELECT @@port AS port')).toEqual([{ port }]);
  });
});

// Each test starts servers of its own (mariadb-install-db included): slow on a loaded machine.
describe('kill -9 of a private MariaDB', { timeout: 240_000 }, () => {
  it('leaves a stale socket and pid file; a start on the same dir recovers every committed row', async () => {
    const test = await startTestMariaDb({ inventory: true });
    cleanups.push(() => test.close());
    const { db, dir } = test;
    await db.query("INSERT INTO inventory.customers (first_name, last_name, email) VALUES ('Kill', 'Nine', 'kill@nine.org')");
    const fileBefore = await currentBinlog(db);
    const pid = db.pid!;

    db.kill();
    await waitFor(() => db.pid === undefined, { timeoutMs: 30_000, what: 'the server to die' });
    expect(() => process.kill(pid, 0)).toThrow();
    expect(fs.existsSync(db.socket)).toBe(true);
    expect(fs.existsSync(path.join(dir, 'mysqld.pid'))).toBe(true);
    await expect(db.query('SELECT 1')).rejects.toThrow(/not running/);

    const again = await startMariaDb({ dir, port: db.port });
    cleanups.push(() => again.stop());
    expect(await again.query("SELECT id FROM inventory.customers WHERE email = 'kill@nine.org'")).toEqual([{ id: 1005 }]);
    expect(await currentBinlog(again) > fileBefore).toBe(true);
    const [{ n }] = (await again.query<{ n: number }[]>('SELECT COUNT(*) AS n FROM inventory.customers')) as [{ n: number }];
    expect(n).toBe(INVENTORY_ROWS.customers + 1);
    await again.stop();
    expect(again.pid).toBeUndefined();
    expect(fs.existsSync(again.socket)).toBe(false);
  });
});

describe('finding the MariaDB programs', () => {
  it('takes the Debian/Ubuntu aliases (mysqld, mysql_install_db, mysqladmin, mysql)', () => {
    const bin = tempDir('slipway-mariadb-bin-');
    cleanups.push(bin.cleanup);
    for (const name of ['mysqld', 'mysql_install_db', 'mysqladmin', 'mysql']) fs.writeFileSync(path.join(bin.dir, name), '#!/bin/sh\n', { mode: 0o755 });
    expect(findMariaDbBinaries({ PATH: bin.dir }, [])).toEqual({
      server: path.join(bin.dir, 'mysqld'),
      installDb: path.join(bin.dir, 'mysql_install_db'),
      admin: path.join(bin.dir, 'mysqladmin'),
      client: path.join(bin.dir, 'mysql'),
    });
  });

  it('names the install command when MariaDB is missing', () => {
    const empty = tempDir('slipway-mariadb-nobin-');
    cleanups.push(empty.cleanup);
    expect(() => findMariaDbBinaries({ PATH: empty.dir }, [])).toThrow(MARIADB_INSTALL_HINT);
    expect(MARIADB_INSTALL_HINT).toBe('sudo apt-get install -y mariadb-server mariadb-client');
  });
});
