// A private MariaDB with a row binlog, for tests, benchmarks and `slipway dev`:
// its own data dir, socket, pid file and port, so it never meets the system
// server (Debian runs one on 3306, without a binlog).
//
// Layout under `dir`:
//   data/            the datadir; data/binlog.NNNNNN is the binlog
//   mysqld.sock      the socket the root connection uses (a short path in the
//                    temp dir instead when `dir` is too deep for a socket name)
//   tmp/             --tmpdir: servers sharing /tmp collide on their temp-table
//                    files ('#sql-temptable-…'); 16 parallel mariadb-install-db
//                    runs failed 10 times with /tmp, never with a tmpdir each
//   mysqld.pid, mysqld.err (error log), mysqld.out (stdout/stderr),
//   install-db.out   the output of the one-time mariadb-install-db
//
// Invariants (see shared/mariadb.md):
// - `--no-defaults` is the first argument of every server and tool command, or
//   /etc/mysql settings leak in; hence utf8mb4 is passed explicitly.
// - "Running" is decided by `mariadb-admin ping` on the socket, never by the pid
//   file; a stale socket or pid file is removed before a start.
// - The binlog settings are command-line flags: SET GLOBAL would not survive a
//   restart. `--binlog-row-metadata=FULL` puts column names into the binlog, so
//   a binlog reader needs no INFORMATION_SCHEMA queries.
// - The server's output goes to a file: a pipe would keep a job runner waiting.
// - Every (re)start opens a new binlog file.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import type { Logger } from '../logging.js';

export const MARIADB_INSTALL_HINT = 'sudo apt-get install -y mariadb-server mariadb-client';

/** What a CDC reader needs, as Debezium documents it for MySQL/MariaDB (MariaDB shows REPLICATION CLIENT as BINLOG MONITOR). */
export const CDC_GRANTS: readonly string[] = ['REPLICATION SLAVE', 'REPLICATION CLIENT', 'SELECT'];

export class MariaDbError extends Error {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, opts);
    this.name = 'MariaDbError';
  }
}

export interface MariaDbBinaries {
  /** mariadbd (or mysqld, the Debian/Ubuntu alias) */
  server: string;
  /** mariadb-install-db (or mysql_install_db) */
  installDb: string;
  /** mariadb-admin (or mysqladmin) */
  admin: string;
  /** mariadb (or mysql), the command-line client */
  client: string;
}

const EXTRA_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin', '/usr/local/mysql/bin', '/usr/local/mysql/sbin'];
const NAMES: Record<keyof MariaDbBinaries, string[]> = {
  server: ['mariadbd', 'mysqld'],
  installDb: ['mariadb-install-db', 'mysql_install_db'],
  admin: ['mariadb-admin', 'mysqladmin'],
  client: ['mariadb', 'mysql'],
};

function findExecutable(names: string[], dirs: string[]): string | undefined {
  for (const name of names) {
    for (const dir of dirs) {
      const file = path.join(dir, name);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        // not here
      }
    }
  }
  return undefined;
}

/** The MariaDB programs on PATH or in the sbin dirs; a MariaDbError naming the install command when one is missing. */
export function findMariaDbBinaries(env: NodeJS.ProcessEnv = process.env, extraDirs: readonly string[] = EXTRA_DIRS): MariaDbBinaries {
  const dirs = [...(env.PATH ?? '').split(path.delimiter).filter(Boolean), ...extraDirs];
  const found: Partial<MariaDbBinaries> = {};
  const missing: string[] = [];
  for (const key of Object.keys(NAMES) as (keyof MariaDbBinaries)[]) {
    const file = findExecutable(NAMES[key], dirs);
    if (file) found[key] = file;
    else missing.push(NAMES[key].join('/'));
  }
  if (missing.length > 0) {
    throw new MariaDbError(`MariaDB is not installed (missing ${missing.join(', ')} on PATH${extraDirs.length ? ` and in ${extraDirs.join(', ')}` : ''}); run: ${MARIADB_INSTALL_HINT} (npm test installs it when run as root)`);
  }
  return found as MariaDbBinaries;
}

interface RunResult {
  code: number | null;
  output: string;
}

/** Runs a short-lived tool, resolving with its exit code and combined output (never rejecting on a non-zero exit). */
function runTool(file: string, args: string[], opts: { timeoutMs: number; input?: number }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: [opts.input ?? 'ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (output += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (output += s));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new MariaDbError(`${path.basename(file)} could not run: ${err.message}`, { cause: err }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

const versionChecked = new Map<string, Promise<void>>();

/** Oracle MySQL's mysqld takes other install and binlog options: say so instead of failing obscurely. */
function checkIsMariaDb(server: string): Promise<void> {
  let check = versionChecked.get(server);
  if (!check) {
    check = new Promise<void>((resolve, reject) => {
      execFile(server, ['--no-defaults', '--version'], { timeout: 30_000 }, (err, stdout) => {
        if (err) return reject(new MariaDbError(`${server} --version failed: ${err.message}`, { cause: err }));
        if (!/mariadb/i.test(stdout)) return reject(new MariaDbError(`${server} is not MariaDB (${stdout.trim()}); this helper needs MariaDB: ${MARIADB_INSTALL_HINT}`));
        resolve();
      });
    });
    versionChecked.set(server, check);
  }
  return check;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** sun_path holds 108 bytes: a deep dir gets its socket in the temp dir, named after the dir. */
function socketPathFor(dir: string): string {
  const preferred = path.join(dir, 'mysqld.sock');
  if (Buffer.byteLength(preferred) <= 100) return preferred;
  const hash = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return path.join(os.tmpdir(), `slipway-mariadb-${hash}.sock`);
}

function tail(file: string, lines = 15): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Whether the process `pid` is gone within `timeoutMs`. */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (pidAlive(pid)) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

/** A server process this process started; `releasing` once stop() or kill() asked it to go. */
interface ServerProcess {
  child: ChildProcess;
  exited: Promise<void>;
  releasing: boolean;
}

/** By data dir: a start on a dir whose server is going away waits for it to be gone. */
const servers = new Map<string, ServerProcess>();

/**
 * A server must not outlive the process that started it, however that process
 * ends (a test worker killed, kill -9 of `slipway dev`): a watchdog reads a pipe
 * only this process holds, and on EOF sends SIGTERM, mariadbd's clean shutdown.
 * It runs in its own session, as the server does, so a terminal's Ctrl-C
 * reaches neither: stopping the server is the owner's job.
 */
function spawnWatchdog(pid: number): ChildProcess {
  const dog = spawn('sh', ['-c', `cat >/dev/null; kill -TERM ${pid} 2>/dev/null`], { stdio: ['pipe', 'ignore', 'ignore'], detached: true });
  dog.on('error', () => undefined);
  dog.stdin!.on('error', () => undefined);
  // Neither the watchdog nor its pipe keeps this process alive.
  dog.unref();
  (dog.stdin as unknown as net.Socket).unref();
  return dog;
}

export interface StartMariaDbOptions {
  /** Everything lives under this directory (created if missing); data survives stop, kill and restart. */
  dir: string;
  /** TCP port on 127.0.0.1; 0 (the default) picks a free one, kept across restart(). */
  port?: number;
  /** --server-id; default 1. Binlog readers each need another id. */
  serverId?: number;
  logger?: Logger;
  /** How long a start may take to answer ping (crash recovery under load is slow); default 120 s. */
  readyTimeoutMs?: number;
  /** Extra mariadbd options, after the defaults so they override them (e.g. `--max-binlog-size=4096`). */
  extraArgs?: string[];
}

export type Row = Record<string, unknown>;

export interface CdcUserOptions {
  /** 'full' (default): CDC_GRANTS; 'none': a user that can only log in; or the privileges to grant ON *.*. */
  grants?: 'full' | 'none' | readonly string[];
}

/** Connection settings of a CDC user, over TCP. */
export interface CdcUser {
  host: '127.0.0.1';
  port: number;
  user: string;
  password: string;
}

export interface MariaDb {
  readonly host: '127.0.0.1';
  readonly port: number;
  readonly socket: string;
  readonly dir: string;
  readonly dataDir: string;
  readonly serverId: number;
  /** mysql://root@127.0.0.1:PORT/ (root has no password on a private server) */
  readonly rootUri: string;
  /** The error log: the first place to look when the server misbehaves. */
  readonly errorLog: string;
  /** The server's OS pid while it runs. */
  readonly pid: number | undefined;
  /**
   * SQL as root over the socket (mysql2, timezone 'Z'); resolves with the rows (or the OK packet for writes).
   * Statements separated by `;` run in order on one connection, so `BEGIN; …; COMMIT` is one transaction
   * (the result is then an array with one entry per statement).
   */
  query<T = Row[]>(sql: string, params?: unknown[]): Promise<T>;
  /** Runs an SQL script the way `mariadb < file` does, as root. */
  loadSqlFile(file: string): Promise<void>;
  /** Creates (or replaces) user@'127.0.0.1' and user@'localhost' with the given grants ON *.*. */
  createCdcUser(user: string, password: string, opts?: CdcUserOptions): Promise<CdcUser>;
  /** stop() and start again on the same dir and port; the server opens a new binlog file. */
  restart(): Promise<void>;
  /** Clean shutdown (mariadb-admin shutdown), SIGKILL if it does not exit in time. Idempotent. */
  stop(): Promise<void>;
  /** kill -9, as a crash: start again on the same dir to run crash recovery. */
  kill(): void;
}

const SHUTDOWN_TIMEOUT_MS = 60_000;

class PrivateMariaDb implements MariaDb {
  readonly host = '127.0.0.1' as const;
  readonly dir: string;
  readonly dataDir: string;
  readonly socket: string;
  readonly serverId: number;
  readonly errorLog: string;
  readonly #pidFile: string;
  readonly #tmpDir: string;
  readonly #bin: MariaDbBinaries;
  readonly #opts: StartMariaDbOptions;
  #port: number;
  #server: ServerProcess | undefined;
  #pool: mysql.Pool | undefined;

  constructor(opts: StartMariaDbOptions, bin: MariaDbBinaries) {
    this.#opts = opts;
    this.#bin = bin;
    this.dir = path.resolve(opts.dir);
    this.dataDir = path.join(this.dir, 'data');
    this.socket = socketPathFor(this.dir);
    this.#pidFile = path.join(this.dir, 'mysqld.pid');
    this.errorLog = path.join(this.dir, 'mysqld.err');
    this.#tmpDir = path.join(this.dir, 'tmp');
    this.serverId = opts.serverId ?? 1;
    this.#port = opts.port ?? 0;
  }

  get port(): number {
    return this.#port;
  }

  get rootUri(): string {
    return `mysql://root@${this.host}:${this.#port}/`;
  }

  get pid(): number | undefined {
    const child = this.#server?.child;
    return child && child.exitCode === null && child.signalCode === null ? child.pid : undefined;
  }

  async start(): Promise<void> {
    const started = Date.now();
    await checkIsMariaDb(this.#bin.server);
    fs.mkdirSync(this.#tmpDir, { recursive: true });
    await this.#clearLeftovers();
    if (!fs.existsSync(path.join(this.dataDir, 'mysql'))) await this.#installDb();
    // A picked port may be taken between picking and binding: pick again.
    const pickPort = this.#port === 0;
    for (let attempt = 1; ; attempt++) {
      if (pickPort) this.#port = await freePort();
      try {
        await this.#launch();
        break;
      } catch (err) {
        const portTaken = /address already in use|bind on tcp\/ip port/i.test(tail(this.errorLog, 30));
        if (!pickPort || attempt >= 3 || !portTaken) throw err;
        this.#opts.logger?.warn('mariadb port taken, picking another', { port: this.#port });
      }
    }
    this.#opts.logger?.info('mariadb ready', { dir: this.dir, port: this.#port, serverId: this.serverId, ms: Date.now() - started });
  }

  #adminArgs(...command: string[]): string[] {
    return ['--no-defaults', `--socket=${this.socket}`, '--user=root', '--connect-timeout=5', ...command];
  }

  async #ping(): Promise<boolean> {
    if (!fs.existsSync(this.socket)) return false;
    const r = await runTool(this.#bin.admin, this.#adminArgs('ping'), { timeoutMs: 15_000 });
    return r.code === 0;
  }

  /** A server still running (or hung) on this dir from an earlier process goes away first. */
  async #clearLeftovers(): Promise<void> {
    const mine = servers.get(this.dataDir);
    if (mine && !mine.releasing) {
      throw new MariaDbError(`a MariaDB started by this process already runs on ${this.dir} (pid ${mine.child.pid}); stop it first`);
    }
    if (mine) await mine.exited;
    if (await this.#ping()) {
      this.#opts.logger?.warn('mariadb from an earlier run is still up on this dir; shutting it down', { dir: this.dir });
      await runTool(this.#bin.admin, this.#adminArgs('shutdown'), { timeoutMs: SHUTDOWN_TIMEOUT_MS });
    }
    // Not answering but alive: still shutting down (its owner died), or hung.
    const pid = Number.parseInt(fs.existsSync(this.#pidFile) ? fs.readFileSync(this.#pidFile, 'utf8') : '', 10);
    if (Number.isInteger(pid) && pid > 0 && pidAlive(pid) && this.#isOurServer(pid)) {
      this.#opts.logger?.warn('mariadb from an earlier run does not answer; stopping it', { pid });
      process.kill(pid, 'SIGTERM');
      if (!(await waitGone(pid, 30_000))) {
        process.kill(pid, 'SIGKILL');
        await waitGone(pid, SHUTDOWN_TIMEOUT_MS);
      }
    }
    for (const file of [this.socket, `${this.socket}.lock`, this.#pidFile]) fs.rmSync(file, { force: true });
  }

  #isOurServer(pid: number): boolean {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(`--datadir=${this.dataDir}`);
    } catch {
      return false;
    }
  }

  async #installDb(): Promise<void> {
    const out = path.join(this.dir, 'install-db.out');
    const r = await runTool(
      this.#bin.installDb,
      [
        '--no-defaults',
        `--user=${os.userInfo().username}`,
        `--datadir=${this.dataDir}`,
        `--tmpdir=${this.#tmpDir}`,
        '--auth-root-authentication-method=normal',
        '--skip-test-db',
        '--skip-name-resolve',
      ],
      { timeoutMs: 300_000 },
    );
    fs.writeFileSync(out, r.output);
    if (r.code !== 0) {
      // A half-made datadir would be taken for an installed one next time.
      fs.rmSync(path.join(this.dataDir, 'mysql'), { recursive: true, force: true });
      const lines = r.output.trimEnd().split('\n');
      const errors = lines.filter((l) => /error|aborting|signal/i.test(l));
      throw new MariaDbError(`mariadb-install-db failed (exit ${r.code}) for ${this.dataDir} (full output in ${out}):\n${(errors.length ? errors : lines.slice(-15)).join('\n')}`);
    }
  }

  #serverArgs(): string[] {
    return [
      '--no-defaults',
      `--user=${os.userInfo().username}`,
      `--datadir=${this.dataDir}`,
      `--tmpdir=${this.#tmpDir}`,
      `--socket=${this.socket}`,
      `--pid-file=${this.#pidFile}`,
      `--port=${this.#port}`,
      '--bind-address=127.0.0.1',
      '--skip-name-resolve',
      `--log-error=${this.errorLog}`,
      `--server-id=${this.serverId}`,
      `--log-bin=${path.join(this.dataDir, 'binlog')}`,
      '--binlog-format=ROW',
      '--binlog-row-image=FULL',
      '--binlog-row-metadata=FULL',
      '--character-set-server=utf8mb4',
      '--collation-server=utf8mb4_general_ci',
      '--innodb-flush-log-at-trx-commit=2',
      '--sync-binlog=0',
      ...(this.#opts.extraArgs ?? []),
    ];
  }

  async #launch(): Promise<void> {
    const out = fs.openSync(path.join(this.dir, 'mysqld.out'), 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#bin.server, this.#serverArgs(), { stdio: ['ignore', out, out], detached: true });
    } finally {
      fs.closeSync(out);
    }
    const watchdog = child.pid === undefined ? undefined : spawnWatchdog(child.pid);
    let exitInfo: string | undefined;
    const exited = new Promise<void>((resolve) => {
      child.once('error', (err) => {
        exitInfo = `could not start: ${err.message}`;
        resolve();
      });
      child.once('exit', (code, signal) => {
        exitInfo = signal ? `killed by ${signal}` : `exited with code ${code}`;
        resolve();
      });
    });
    const server: ServerProcess = { child, exited, releasing: false };
    servers.set(this.dataDir, server);
    this.#server = server;
    let ready = false;
    void exited.then(() => {
      watchdog?.kill('SIGKILL');
      if (servers.get(this.dataDir) === server) servers.delete(this.dataDir);
      if (ready && !server.releasing) this.#opts.logger?.error('mariadb exited unexpectedly', { dir: this.dir, how: exitInfo, errorLog: this.errorLog });
    });

    const deadline = Date.now() + (this.#opts.readyTimeoutMs ?? 120_000);
    for (;;) {
      if (exitInfo !== undefined) {
        throw new MariaDbError(`mariadbd ${exitInfo} before it was ready (port ${this.#port}, dir ${this.dir}); ${this.errorLog} ends with:\n${tail(this.errorLog)}`);
      }
      if (await this.#ping()) {
        ready = true;
        return;
      }
      if (Date.now() > deadline) {
        server.releasing = true;
        child.kill('SIGKILL');
        await exited;
        throw new MariaDbError(`mariadbd did not answer ping within ${this.#opts.readyTimeoutMs ?? 120_000} ms (port ${this.#port}, dir ${this.dir}); ${this.errorLog} ends with:\n${tail(this.errorLog)}`);
      }
      await sleep(50);
    }
  }

  #rootPool(): mysql.Pool {
    this.#pool ??= mysql.createPool({
      socketPath: this.socket,
      user: 'root',
      charset: 'utf8mb4',
      timezone: 'Z',
      supportBigNumbers: true,
      // A private server for tests and demos: a transaction can be one query() call.
      multipleStatements: true,
      connectionLimit: 4,
    });
    return this.#pool;
  }

  async #closePool(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    if (pool) await pool.end().catch(() => undefined);
  }

  async query<T = Row[]>(sql: string, params?: unknown[]): Promise<T> {
    if (this.pid === undefined) throw new MariaDbError(`mariadb on ${this.dir} is not running`);
    const [rows] = await this.#rootPool().query(sql, params);
    return rows as unknown as T;
  }

  async loadSqlFile(file: string): Promise<void> {
    const input = fs.openSync(file, 'r');
    try {
      const r = await runTool(this.#bin.client, ['--no-defaults', `--socket=${this.socket}`, '--user=root', '--default-character-set=utf8mb4'], { timeoutMs: 600_000, input });
      if (r.code !== 0) throw new MariaDbError(`loading ${file} failed (exit ${r.code}): ${r.output.trim()}`);
    } finally {
      fs.closeSync(input);
    }
  }

  async createCdcUser(user: string, password: string, opts: CdcUserOptions = {}): Promise<CdcUser> {
    const grants = opts.grants ?? 'full';
    const privileges = grants === 'full' ? CDC_GRANTS : grants === 'none' ? [] : grants;
    // Privilege names go into the statement text: letters and spaces only.
    const bad = privileges.filter((p) => !/^[A-Za-z][A-Za-z ]*$/.test(p));
    if (bad.length > 0) throw new MariaDbError(`not a privilege name: ${bad.join(', ')}`);
    for (const host of ['127.0.0.1', 'localhost']) {
      await this.query('CREATE OR REPLACE USER ?@? IDENTIFIED BY ?', [user, host, password]);
      if (privileges.length > 0) await this.query(`GRANT ${privileges.join(', ')} ON *.* TO ?@?`, [user, host]);
    }
    return { host: this.host, port: this.#port, user, password };
  }

  async stop(): Promise<void> {
    await this.#closePool();
    const server = this.#server;
    if (!server || this.pid === undefined) return;
    server.releasing = true;
    // mariadb-admin shutdown polls the pid file once a second after the
    // server is gone: the child's exit is the quicker signal.
    void runTool(this.#bin.admin, this.#adminArgs('shutdown'), { timeoutMs: SHUTDOWN_TIMEOUT_MS }).catch(() => undefined);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), SHUTDOWN_TIMEOUT_MS)));
    const late = await Promise.race([server.exited.then(() => false), timedOut]);
    clearTimeout(timer);
    if (late) {
      this.#opts.logger?.warn('mariadb did not shut down in time; killing it', { dir: this.dir, pid: server.child.pid });
      server.child.kill('SIGKILL');
      await server.exited;
    }
  }

  kill(): void {
    void this.#closePool();
    const server = this.#server;
    if (!server || this.pid === undefined) return;
    server.releasing = true;
    server.child.kill('SIGKILL');
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }
}

/** Starts (installing on first use) a private MariaDB under opts.dir; resolves once it answers ping. */
export async function startMariaDb(opts: StartMariaDbOptions): Promise<MariaDb> {
  const db = new PrivateMariaDb(opts, findMariaDbBinaries());
  await db.start();
  return db;
}
