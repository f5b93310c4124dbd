// A private MariaDB per test file: its own temp dir and a free port, the
// Debezium tutorial's `inventory` database loaded on demand, and a cleanup that
// always stops the server and removes its dir (also when a test fails).
//
//   const mariadb = useTestMariaDb({ inventory: true });   // at the top of a describe
//   it('…', async () => { await mariadb().db.query('SELECT 1'); });
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll } from 'vitest';
import { startMariaDb, type CdcUser, type MariaDb, type StartMariaDbOptions } from '../../src/local/mariadb.js';
import { tempDir } from './env.js';

export const INVENTORY_SQL = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/inventory.sql');

/** Rows per table right after examples/inventory.sql is loaded. */
export const INVENTORY_ROWS = { products: 9, products_on_hand: 9, customers: 4, addresses: 7, orders: 4 } as const;

export interface TestMariaDbOptions extends Pick<StartMariaDbOptions, 'serverId' | 'extraArgs'> {
  /** Load examples/inventory.sql once the server is up. */
  inventory?: boolean;
}

export interface TestMariaDb {
  /** The running server; after kill() a test may start another on `dir` and must stop it itself. */
  readonly db: MariaDb;
  readonly dir: string;
  /** Drops `inventory` if present and loads examples/inventory.sql again, as `mariadb < inventory.sql` does. */
  loadInventory(): Promise<void>;
  /** Stops the server (SIGKILL if that fails) and removes the dir. Idempotent. */
  close(): Promise<void>;
}

export async function startTestMariaDb(opts: TestMariaDbOptions = {}): Promise<TestMariaDb> {
  const tmp = tempDir('slipway-mariadb-');
  let db: MariaDb;
  try {
    db = await startMariaDb({ dir: tmp.dir, port: 0, serverId: opts.serverId, extraArgs: opts.extraArgs });
  } catch (err) {
    tmp.cleanup();
    throw err;
  }
  let closed = false;
  const handle: TestMariaDb = {
    db,
    dir: tmp.dir,
    async loadInventory() {
      await db.query('DROP DATABASE IF EXISTS inventory');
      await db.loadSqlFile(INVENTORY_SQL);
    },
    async close() {
      if (closed) return;
      closed = true;
      try {
        await db.stop();
      } catch {
        db.kill();
      } finally {
        tmp.cleanup();
      }
    },
  };
  if (opts.inventory) {
    try {
      await handle.loadInventory();
    } catch (err) {
      await handle.close();
      throw err;
    }
  }
  return handle;
}

/** One server for the enclosing describe (or file): started in beforeAll, closed in afterAll whatever the tests did. */
export function useTestMariaDb(opts: TestMariaDbOptions = {}): () => TestMariaDb {
  let handle: TestMariaDb | undefined;
  beforeAll(async () => {
    handle = await startTestMariaDb(opts);
  }, 180_000);
  afterAll(async () => {
    await handle?.close();
    handle = undefined;
  }, 120_000);
  return () => {
    if (!handle) throw new Error('the test MariaDB is not running (useTestMariaDb starts it in beforeAll)');
    return handle;
  };
}

/**
 * A MariaDbConnector config as a user would POST it: the CDC user's connection,
 * the server id, the topic prefix and the schema history topic `<prefix>.history`
 * on `bootstrap`; anything else in `extra`.
 */
export function mariaDbConnectorConfig(user: CdcUser, opts: { serverId: number; prefix: string; bootstrap: string }, extra: Record<string, string> = {}): Record<string, string> {
  return {
    'connector.class': 'io.debezium.connector.mariadb.MariaDbConnector',
    'database.hostname': user.host,
    'database.port': String(user.port),
    'database.user': user.user,
    'database.password': user.password,
    'database.server.id': String(opts.serverId),
    'topic.prefix': opts.prefix,
    'schema.history.internal.kafka.bootstrap.servers': opts.bootstrap,
    'schema.history.internal.kafka.topic': `${opts.prefix}.history`,
    ...extra,
  };
}
