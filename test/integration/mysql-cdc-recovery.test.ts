// The MySQL/MariaDB CDC connector when things go wrong around it, run by real
// worker invocations in-process (dynalite, the embedded broker, a private
// MariaDB): heartbeats that carry the position while captured tables are
// quiet, a DDL statement the interpreter cannot read (fail, or skip when told
// to), the server restarting under a running task, a stored file the server
// does not have (GTIDs then), a connection gone silent,
// and the binlog purged
// under a stored position (initial fails naming the fix, when_needed takes a
// new snapshot).
import { describe, expect, it } from 'vitest';
import { BinlogReader, type BinlogItem } from '../../src/connectors/mysql-cdc/binlog.js';
import { waitFor } from '../helpers/env.js';

import { defaultCoordinatorSettings, reconcile } from '../../src/runtime/coordinator.js';
import { connectorConfig, createConnector, invoke, keyPayload, logger, payload, readTopic, registry, store, takeServerId, topicSize, untilRecords, useCdcHarness } from '../helpers/cdc.js';

const mariadb = useCdcHarness({ serverIdBase: 7400 });


describe('heartbeats', () => {
  it('go to __debezium-heartbeat.<prefix> and carry the position past changes of tables not captured', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE inventory.quiet (id INT PRIMARY KEY)');
    await createConnector('hb', await connectorConfig('hb1', { 'table.include.list': 'inventory.quiet', 'heartbeat.interval.ms': '200' }));
    expect((await invoke('hb', 1_500)).outcome).toBe('handed-off');
    const [{ Position: before }] = (await db.query('SHOW MASTER STATUS')) as [{ Position: number }];
    await db.query('UPDATE inventory.products SET weight = weight + 1 WHERE id = 101');
    expect((await invoke('hb', 2_000)).outcome).toBe('handed-off');
    expect(await topicSize('__debezium-heartbeat.hb1')).toBeGreaterThanOrEqual(2);

    const beat = (await readTopic('__debezium-heartbeat.hb1'))[0]!;
    expect(JSON.parse(beat.key!)).toEqual({
      schema: { type: 'struct', fields: [{ type: 'string', optional: false, field: 'serverName' }], optional: false, name: 'io.debezium.connector.common.ServerNameKey', version: 1 },
      payload: { serverName: 'hb1' },
    });
    expect(payload(beat)).toEqual({ ts_ms: expect.any(Number) });
    expect(await topicSize('hb1.inventory.quiet')).toBe(0);
    const [offset] = await store.readOffsets('hb');
    expect(offset!.offset!.pos).toBeGreaterThan(before);
  });
});

describe('a DDL statement the interpreter cannot read', () => {
  it('fails the task with the statement in the trace, or is skipped with schema.history.internal.skip.unparseable.ddl=true', async () => {
    const { db } = mariadb();
    await db.query('CREATE DATABASE other; CREATE TABLE other.model (id INT PRIMARY KEY, note VARCHAR(10))');
    const config = await connectorConfig('ddlx1');
    await createConnector('ddlx', config);
    expect((await invoke('ddlx', 1_500)).outcome).toBe('handed-off');

    // LIKE a table of a database not captured: its structure is unknown to the interpreter.
    await db.query('CREATE TABLE inventory.copycat LIKE other.model');
    await db.query("INSERT INTO inventory.copycat VALUES (1, 'copied')");
    expect((await invoke('ddlx', 3_000)).outcome).toBe('failed');
    const task = await store.getTask('ddlx', 0);
    expect(task?.trace).toContain('Statement: CREATE TABLE inventory.copycat LIKE other.model');
    expect(task?.trace).toContain('schema.history.internal.skip.unparseable.ddl=true');

    await store.putConnectorConfig('ddlx', { name: 'ddlx', ...config, 'schema.history.internal.skip.unparseable.ddl': 'true' });
    await reconcile({ store, registry, invokeWorker: async () => {}, clock: Date.now, logger, coordinatorId: 'coord', env: {}, settings: defaultCoordinatorSettings });
    await untilRecords('ddlx', 'ddlx1.inventory.copycat', 1, invoke('ddlx', 2_500));
    // Its structure comes from the server as it is now.
    expect(payload((await readTopic('ddlx1.inventory.copycat'))[0]!).after).toEqual({ id: 1, note: 'copied' });
  });
});

describe('the server restarting', () => {
  it('is ridden out: the task reconnects from its position and loses nothing', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE inventory.survivors (id INT PRIMARY KEY)');
    await createConnector('restart', await connectorConfig('rst1', { 'table.include.list': 'inventory.survivors' }));
    const topic = 'rst1.inventory.survivors';
    const running = invoke('restart', 6_000);
    let ended = false;
    void running.finally(() => (ended = true));
    await db.query('INSERT INTO inventory.survivors VALUES (1)');
    await waitFor(async () => ended || (await topicSize(topic)) >= 1, { timeoutMs: 30_000, what: 'the row before the restart' });

    await db.restart();
    await db.query('INSERT INTO inventory.survivors VALUES (2), (3)');
    await untilRecords('restart', topic, 3, running);
    expect((await readTopic(topic)).map((m) => keyPayload(m).id)).toEqual([1, 2, 3]);
  });
});

describe('a stored binlog file the server does not have', () => {
  it('is resumed from the stored GTID position, as after a failover to another server of the topology', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE inventory.failover (id INT PRIMARY KEY)');
    await createConnector('failover', await connectorConfig('fo1', { 'table.include.list': 'inventory.failover' }));
    const first = await invoke('failover', 1_500);
    expect(first.outcome).toBe('handed-off');

    const [{ g }] = (await db.query('SELECT @@gtid_binlog_pos AS g')) as [{ g: string }];
    await db.query('INSERT INTO inventory.failover VALUES (1)');
    await store.writeOffset('failover', { server: 'fo1' }, { file: 'other-bin.000042', pos: 4, gtids: g }, first.epoch!);
    await untilRecords('failover', 'fo1.inventory.failover', 1, invoke('failover', 2_500));
    expect((await readTopic('fo1.inventory.failover')).map((m) => [payload(m).op, keyPayload(m).id])).toEqual([['c', 1]]);
    // From then on the offsets carry this server's own file names again.
    expect((await store.readOffsets('failover'))[0]!.offset!.file).toMatch(/^binlog\.\d{6}$/);
  });
});

describe('a binlog connection gone silent', () => {
  it('stays up while the server sends heartbeats, and is declared lost when nothing arrives at all', async () => {
    const { db } = mariadb();
    const user = await db.createCdcUser('cdc', 'cdc-pw');
    const reader = new BinlogReader({
      access: { host: user.host, port: user.port, user: user.user, password: user.password, connectTimeoutMs: 5_000 },
      serverId: takeServerId(),
      logger,
      heartbeatPeriodMs: 100,
      silenceTimeoutMs: 1_000,
    });
    const [{ File: file, Position: pos }] = (await db.query('SHOW MASTER STATUS')) as [{ File: string; Position: number }];
    const items: BinlogItem[] = [];
    const collect = async (ms: number) => {
      const until = Date.now() + ms;
      while (Date.now() < until) {
        await reader.waitForItems(50, new AbortController().signal);
        items.push(...reader.take(100));
      }
    };
    reader.start({ file, pos });
    try {
      // Idle for longer than the silence timeout: the heartbeats keep it alive.
      await collect(2_000);
      expect(items.filter((i) => i.kind !== 'event')).toEqual([]);
      expect(reader.connected).toBe(true);

      // A frozen server is a half-open connection: nothing, not even a heartbeat.
      process.kill(db.pid!, 'SIGSTOP');
      try {
        await waitFor(
          async () => {
            await collect(100);
            return items.find((i) => i.kind === 'lost');
          },
          { timeoutMs: 10_000, what: 'the silent connection declared lost' },
        );
      } finally {
        process.kill(db.pid!, 'SIGCONT');
      }
      const lost = items.find((i) => i.kind === 'lost') as Extract<BinlogItem, { kind: 'lost' }>;
      expect(lost.error.message).toMatch(/No binlog event nor heartbeat for \d+ ms/);
      expect(reader.connected).toBe(false);
    } finally {
      reader.stop();
    }
  });
});

// Last in this file: purging the binlog takes the position of every connector above with it.
describe('the binlog purged under a stored position', () => {
  it('fails the task naming snapshot.mode=when_needed; with when_needed it takes a new snapshot', async () => {
    const { db } = mariadb();
    await db.query('CREATE TABLE inventory.purged (id INT PRIMARY KEY); INSERT INTO inventory.purged VALUES (1), (2)');
    const config = await connectorConfig('purge1', { 'table.include.list': 'inventory.purged' });
    await createConnector('purge', config);
    expect((await invoke('purge', 1_500)).outcome).toBe('handed-off');
    const topic = 'purge1.inventory.purged';
    expect(await topicSize(topic)).toBe(2);

    await db.query('INSERT INTO inventory.purged VALUES (3)');
    const stored = (await store.readOffsets('purge'))[0]!.offset!.file as string;
    await db.query('FLUSH BINARY LOGS');
    const [{ File: current }] = (await db.query('SHOW MASTER STATUS')) as [{ File: string }];
    // The server keeps a file until its crash-recovery checkpoint moved on: purge until it is gone.
    await waitFor(
      async () => {
        await db.query(`PURGE BINARY LOGS TO '${current}'`);
        return !(await db.query<{ Log_name: string }[]>('SHOW BINARY LOGS')).some((f) => f.Log_name === stored);
      },
      { timeoutMs: 30_000, intervalMs: 200, what: `${stored} purged` },
    );

    expect((await invoke('purge', 3_000)).outcome).toBe('failed');
    const task = await store.getTask('purge', 0);
    expect(task?.trace).toMatch(/is no longer on the server/);
    expect(task?.trace).toContain('snapshot.mode=when_needed');

    await store.putConnectorConfig('purge', { name: 'purge', ...config, 'snapshot.mode': 'when_needed' });
    await reconcile({ store, registry, invokeWorker: async () => {}, clock: Date.now, logger, coordinatorId: 'coord', env: {}, settings: defaultCoordinatorSettings });
    await untilRecords('purge', topic, 5, invoke('purge', 2_500));
    const records = (await readTopic(topic)).slice(2).map(payload);
    expect(records.map((p) => [p.op, p.after.id])).toEqual([
      ['r', 1],
      ['r', 2],
      ['r', 3],
    ]);
    expect(records.map((p) => p.source.snapshot)).toEqual(['first', 'true', 'last']);
  });
});
