// A private PostgreSQL per test file, as test/helpers/mariadb.ts does for
// MariaDB: initdb into a temp dir, `postgres` on a free 127.0.0.1 port with its
// socket in that dir, and a cleanup that always stops it and removes the dir.
// It never touches the system cluster on 5432.
//
// initdb and postgres refuse to run as root, so as root both run as the
// `postgres` OS user (runuser), which the Debian package creates; the dir is
// handed to that user. Local socket connections are trusted (the helper's own
// admin use); TCP connections need a password (scram-sha-256), so a test can
// prove what a wrong password does. TLS is on, with a self-signed certificate
// (openssl), so a client may ask for it or not. A fresh clone needs the `postgresql`
// package (scripts/system-deps.mjs installs it when run as root).
//
//   const postgres = useTestPostgres();
//   it('…', async () => { const { url, user, password } = postgres(); … });
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { requireCommand, tempDir, waitFor } from './env.js';

const run = promisify(execFile);

export const POSTGRES_INSTALL_HINT = 'sudo apt-get install -y postgresql (npm test installs it when run as root)';

export interface TestPostgres {
  readonly port: number;
  readonly dir: string;
  /** The role tests write as, with a password; owner of `database`. */
  readonly user: string;
  readonly password: string;
  readonly database: string;
  /** jdbc:postgresql://127.0.0.1:<port>/<database> */
  readonly jdbcUrl: string;
  /** SQL as the test role over TCP; resolves with the rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Stops the server (SIGKILL if it does not stop) and removes the dir. Idempotent. */
  close(): Promise<void>;
}

/** The newest /usr/lib/postgresql/<v>/bin holding initdb, or initdb on the PATH. */
export function findPostgresBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = fs.existsSync(root)
    ? fs
        .readdirSync(root)
        .filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length > 0) return path.join(root, versions[0]!, 'bin');
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && fs.existsSync(path.join(dir, 'initdb')) && fs.existsSync(path.join(dir, 'postgres'))) return dir;
  }
  throw new Error(`PostgreSQL server programs (initdb, postgres) are not installed; run: ${POSTGRES_INSTALL_HINT}`);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** As root: the command run as the postgres OS user; otherwise as it is. */
function asPostgresUser(cmd: string, args: string[]): [string, string[]] {
  return process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

export async function startTestPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  // As root, the dir must be reachable by the postgres user: /tmp is, a TMPDIR under /root may not be.
  const tmp = process.getuid?.() === 0 ? dirUnderTmp() : tempDir('slipway-pg-');
  const data = path.join(tmp.dir, 'data');
  const user = 'slipway';
  const password = 'sink-test-secret';
  const database = 'sink';
  let child: ChildProcess | undefined;
  let client: pg.Client | undefined;
  const stop = async () => {
    await client?.end().catch(() => undefined);
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      const pid = postmasterPid(data);
      try {
        // SIGINT: fast shutdown, as pg_ctl stop -m fast.
        if (pid) process.kill(pid, 'SIGINT');
        else child.kill('SIGINT');
      } catch {
        // already gone
      }
      const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000))]);
      if (!stopped) {
        try {
          if (pid) process.kill(pid, 'SIGKILL');
          if (child.pid) process.kill(-child.pid, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }
    tmp.cleanup();
  };
  try {
    if (process.getuid?.() === 0) {
      fs.chmodSync(tmp.dir, 0o755);
      await run('chown', ['postgres', tmp.dir]);
    }
    const pwfile = path.join(tmp.dir, 'pwfile');
    fs.writeFileSync(pwfile, 'postgres-admin\n', { mode: 0o644 });
    const [initCmd, initArgs] = asPostgresUser(path.join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--pwfile', pwfile, '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C.UTF-8', '--no-sync']);
    await run(initCmd, initArgs, { timeout: 60_000 });
    // A self-signed certificate; postgres wants its key owned by itself, mode 0600.
    const cert = path.join(tmp.dir, 'server.crt');
    const key = path.join(tmp.dir, 'server.key');
    await run(requireCommand('openssl', 'openssl'), ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', '/CN=localhost', '-days', '2']);
    fs.chmodSync(key, 0o600);
    if (process.getuid?.() === 0) await run('chown', ['postgres', key, cert]);
    const port = await freePort();
    const [cmd, args] = asPostgresUser(path.join(bin, 'postgres'), ['-D', data, '-p', String(port), '-k', tmp.dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'ssl=on', '-c', `ssl_cert_file=${cert}`, '-c', `ssl_key_file=${key}`, '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']);
    const out = fs.openSync(path.join(tmp.dir, 'postgres.log'), 'a');
    child = spawn(cmd, args, { stdio: ['ignore', out, out], detached: true });
    fs.closeSync(out);
    child.unref();
    const admin = () => new pg.Client({ host: tmp.dir, port, user: 'postgres', database: 'postgres' });
    await waitFor(
      async () => {
        if (child!.exitCode !== null) throw new Error(`postgres exited with ${child!.exitCode}: ${fs.readFileSync(path.join(tmp.dir, 'postgres.log'), 'utf8').slice(-2000)}`);
        const c = admin();
        try {
          await c.connect();
          return true;
        } finally {
          await c.end().catch(() => undefined);
        }
      },
      { timeoutMs: 30_000, intervalMs: 100, what: `PostgreSQL on port ${port}` },
    );
    const a = admin();
    await a.connect();
    try {
      await a.query(`CREATE ROLE ${user} LOGIN PASSWORD '${password}'`);
      await a.query(`CREATE DATABASE ${database} OWNER ${user}`);
    } finally {
      await a.end();
    }
    client = new pg.Client({ host: '127.0.0.1', port, user, password, database, options: '-c TimeZone=UTC' });
    await client.connect();
    let closed = false;
    const c = client;
    return {
      port,
      dir: tmp.dir,
      user,
      password,
      database,
      jdbcUrl: `jdbc:postgresql://127.0.0.1:${port}/${database}`,
      async query<T>(sql: string, params?: unknown[]) {
        return (await c.query(sql, params)).rows as T[];
      },
      async close() {
        if (closed) return;
        closed = true;
        await stop();
      },
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

function dirUnderTmp(): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync('/tmp/slipway-pg-');
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

function postmasterPid(data: string): number | undefined {
  try {
    const pid = Number(fs.readFileSync(path.join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** One server for the enclosing describe (or file): started in beforeAll, closed in afterAll whatever the tests did. */
export function useTestPostgres(): () => TestPostgres {
  let handle: TestPostgres | undefined;
  beforeAll(async () => {
    handle = await startTestPostgres();
  }, 120_000);
  afterAll(async () => {
    await handle?.close();
    handle = undefined;
  }, 60_000);
  return () => {
    if (!handle) throw new Error('the test PostgreSQL is not running (useTestPostgres starts it in beforeAll)');
    return handle;
  };
}
