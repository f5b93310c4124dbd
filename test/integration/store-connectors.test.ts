// The store's connector configs and task items against a real dynalite:
// create/update/list/delete, generation bumps, conflicts, and task rewrites
// racing between coordinators.
import { beforeAll, describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError } from '../../src/connect/errors.js';
import { Store, createDynamoClient } from '../../src/store/index.js';
import { useDynalite } from '../helpers/dynalite.js';

const TABLE = 'slipway';
const dynamo = useDynalite(TABLE);
let store: Store;
let now = 1_000_000;

beforeAll(() => {
  // Pages of two items, so every listing crosses page boundaries.
  store = new Store({ client: dynamo.client, table: TABLE, clock: () => now, pageSize: 2 });
});

const fileSource = (file: string): Record<string, string> => ({
  'connector.class': 'FileStreamSource',
  file,
  topic: 'lines',
  'tasks.max': '1',
});

describe('connector configs', () => {
  it('creates a connector at generation 1, UNASSIGNED, and reads it back', async () => {
    now = 1_000_000;
    const created = await store.createConnector('c-create', { ...fileSource('/tmp/a'), 'empty.value': '', password: '${file:/s.properties:pw}' });

    expect(created).toMatchObject({ name: 'c-create', targetState: 'RUNNING', generation: 1, taskCount: 0, tasksGeneration: 0, status: { state: 'UNASSIGNED' }, createdAt: 1_000_000, updatedAt: 1_000_000 });
    expect(await store.getConnector('c-create')).toEqual(created);
    expect(created.config).toEqual({ ...fileSource('/tmp/a'), 'empty.value': '', password: '${file:/s.properties:pw}' });
  });

  it('refuses to create a connector that exists and leaves it unchanged', async () => {
    const first = await store.createConnector('c-dup', fileSource('/tmp/first'), 'PAUSED');

    await expect(store.createConnector('c-dup', fileSource('/tmp/second'))).rejects.toBeInstanceOf(ConflictError);
    expect(await store.getConnector('c-dup')).toEqual(first);
  });

  it('upserts configs, bumping the generation on each change and only on a change', async () => {
    now = 2_000;
    const put1 = await store.putConnectorConfig('c-put', fileSource('/tmp/1'));
    expect(put1.created).toBe(true);
    expect(put1.connector.generation).toBe(1);

    now = 3_000;
    const same = await store.putConnectorConfig('c-put', { topic: 'lines', file: '/tmp/1', 'tasks.max': '1', 'connector.class': 'FileStreamSource' });
    expect(same).toEqual({ created: false, connector: put1.connector });

    await store.setTargetState('c-put', 'PAUSED');
    const put2 = await store.putConnectorConfig('c-put', fileSource('/tmp/2'));
    expect(put2.created).toBe(false);
    expect(put2.connector).toMatchObject({ generation: 2, targetState: 'PAUSED', createdAt: 2_000, updatedAt: 3_000, config: fileSource('/tmp/2') });

    const { file: _dropped, ...withoutFile } = fileSource('/tmp/2');
    const put3 = await store.putConnectorConfig('c-put', withoutFile);
    expect(put3.connector.generation).toBe(3);
    expect((await store.getConnector('c-put'))?.config).toEqual(withoutFile);
  });

  it('counts every one of many concurrent changes exactly once', async () => {
    await store.putConnectorConfig('c-cas', fileSource('/tmp/0'));
    const writers = 6;

    await Promise.all(Array.from({ length: writers }, (_, i) => store.putConnectorConfig('c-cas', fileSource(`/tmp/w${i}`))));

    const connector = await store.getConnector('c-cas');
    expect(connector?.generation).toBe(1 + writers);
    expect(Array.from({ length: writers }, (_, i) => `/tmp/w${i}`)).toContain(connector?.config.file);
  });

  it('rejects a config value that is not a string', async () => {
    const config = { ...fileSource('/tmp/x'), 'tasks.max': 1 } as unknown as Record<string, string>;
    await expect(store.createConnector('c-typed', config)).rejects.toThrow(/tasks\.max must be a string/);
    expect(await store.getConnector('c-typed')).toBeUndefined();
  });

  it('lists every connector across pages, and only config items', async () => {
    const names = ['l-e', 'l-a', 'l-d', 'l-b', 'l-c'];
    for (const name of names) await store.createConnector(name, fileSource(`/tmp/${name}`));
    await store.writeTaskConfigs('l-a', 1, [fileSource('/tmp/t0'), fileSource('/tmp/t1')]);
    await store.writeOffset('l-a', { file: '/tmp/l-a' }, { position: 1 }, 1);

    const listed = (await store.listConnectors()).map((c) => c.name).filter((name) => name.startsWith('l-'));

    expect(listed).toEqual(['l-a', 'l-b', 'l-c', 'l-d', 'l-e']);
  });

  it('sets the target state and the status, and says NotFound for a missing connector', async () => {
    now = 5_000;
    await store.createConnector('c-state', fileSource('/tmp/s'));
    now = 6_000;

    const paused = await store.setTargetState('c-state', 'STOPPED');
    await store.setConnectorStatus('c-state', { state: 'FAILED', trace: 'java.lang.Boom', workerId: 'host:42' });

    expect(paused).toMatchObject({ targetState: 'STOPPED', generation: 1, updatedAt: 6_000 });
    expect(await store.getConnector('c-state')).toMatchObject({ targetState: 'STOPPED', status: { state: 'FAILED', trace: 'java.lang.Boom', workerId: 'host:42' } });
    await store.setConnectorStatus('c-state', { state: 'RUNNING' });
    expect((await store.getConnector('c-state'))?.status).toEqual({ state: 'RUNNING' });
    await expect(store.setTargetState('c-missing', 'PAUSED')).rejects.toBeInstanceOf(NotFoundError);
    await expect(store.setConnectorStatus('c-missing', { state: 'RUNNING' })).rejects.toBeInstanceOf(NotFoundError);
    expect(await store.getConnector('c-missing')).toBeUndefined();
  });

  it('deletes a connector with its tasks and offsets, and not its neighbours', async () => {
    await store.createConnector('c-del', fileSource('/tmp/d'));
    await store.createConnector('c-del-neighbour', fileSource('/tmp/n'));
    await store.writeTaskConfigs('c-del', 1, [fileSource('/tmp/0'), fileSource('/tmp/1'), fileSource('/tmp/2')]);
    await store.writeTaskConfigs('c-del-neighbour', 1, [fileSource('/tmp/0')]);
    await store.writeOffsets('c-del', [{ partition: { file: 'a' }, offset: { position: 1 } }, { partition: { file: 'b' }, offset: { position: 2 } }], 7);
    await store.writeOffset('c-del-neighbour', { file: 'a' }, { position: 9 }, 7);

    await store.deleteConnector('c-del');

    expect(await store.getConnector('c-del')).toBeUndefined();
    expect(await store.listTasks('c-del')).toEqual([]);
    expect(await store.readOffsets('c-del')).toEqual([]);
    expect(await store.listTasks('c-del-neighbour')).toHaveLength(1);
    expect(await store.readOffsets('c-del-neighbour')).toEqual([{ partition: { file: 'a' }, offset: { position: 9 }, epoch: 7 }]);
    await expect(store.deleteConnector('c-del')).rejects.toBeInstanceOf(NotFoundError);
  });

  it('starts a re-created connector with epochs above those of its deleted namesake', async () => {
    now = 10_000;
    await store.createConnector('c-again', fileSource('/tmp/r'));
    await store.writeTaskConfigs('c-again', 1, [fileSource('/tmp/r')]);
    const old = await store.acquireLease('c-again', 0, 'w1', 30_000);
    await store.deleteConnector('c-again');

    now = 10_001;
    await store.createConnector('c-again', fileSource('/tmp/r'));
    await store.writeTaskConfigs('c-again', 1, [fileSource('/tmp/r')]);
    const fresh = await store.acquireLease('c-again', 0, 'w2', 30_000);

    expect(fresh!.epoch).toBeGreaterThan(old!.epoch);
  });
});

describe('task configs', () => {
  it('writes task items, sorted by numeric id, and records the count on the connector', async () => {
    await store.createConnector('t-many', fileSource('/tmp/m'));
    const configs = Array.from({ length: 12 }, (_, i) => ({ ...fileSource(`/tmp/${i}`), 'task.id': String(i) }));

    await store.writeTaskConfigs('t-many', 1, configs);

    const tasks = await store.listTasks('t-many');
    expect(tasks.map((t) => t.task)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(tasks.every((t) => t.state === 'UNASSIGNED' && t.generation === 1 && t.restartCount === 0 && t.lease === undefined)).toBe(true);
    expect(tasks.map((t) => t.config['task.id'])).toEqual(configs.map((c) => c['task.id']));
    expect(await store.getTask('t-many', 10)).toEqual(tasks[10]);
    expect(await store.getConnector('t-many')).toMatchObject({ taskCount: 12, tasksGeneration: 1 });
  });

  it('on a new generation rewrites the tasks, deletes the surplus, resets state and keeps live leases', async () => {
    await store.createConnector('t-shrink', fileSource('/tmp/s'));
    await store.writeTaskConfigs('t-shrink', 1, [fileSource('/tmp/0'), fileSource('/tmp/1'), fileSource('/tmp/2')]);
    const lease = await store.acquireLease('t-shrink', 0, 'w1', 60_000, 1);
    await store.setTaskState('t-shrink', 0, lease!.epoch, { state: 'FAILED', trace: 'boom', restartCount: 3 });

    const { connector } = await store.putConnectorConfig('t-shrink', { ...fileSource('/tmp/s'), 'tasks.max': '2' });
    await store.writeTaskConfigs('t-shrink', connector.generation, [fileSource('/tmp/new0'), fileSource('/tmp/new1')]);

    const tasks = await store.listTasks('t-shrink');
    expect(tasks.map((t) => [t.task, t.generation, t.state, t.config.file])).toEqual([
      [0, 2, 'UNASSIGNED', '/tmp/new0'],
      [1, 2, 'UNASSIGNED', '/tmp/new1'],
    ]);
    expect(tasks[0]).toMatchObject({ lease: { owner: 'w1', epoch: lease!.epoch }, restartCount: 0 });
    expect(tasks[0].trace).toBeUndefined();
    expect(await store.getConnector('t-shrink')).toMatchObject({ generation: 2, taskCount: 2, tasksGeneration: 2 });
    // The live invocation learns of the new generation on its next renewal.
    expect((await store.renewLease('t-shrink', 0, lease!.epoch, 60_000)).generation).toBe(2);
  });

  it('leaves a rewrite for the same generation a no-op', async () => {
    await store.createConnector('t-same', fileSource('/tmp/s'));
    await store.writeTaskConfigs('t-same', 1, [fileSource('/tmp/0')]);
    const lease = await store.acquireLease('t-same', 0, 'w1', 60_000, 1);

    await store.writeTaskConfigs('t-same', 1, [fileSource('/tmp/0')]);

    expect(await store.getTask('t-same', 0)).toMatchObject({ state: 'RUNNING', workerId: 'w1', lease: { epoch: lease!.epoch } });
  });

  it('refuses a rewrite for a generation other than the connector’s', async () => {
    await store.createConnector('t-stale', fileSource('/tmp/s'));
    await store.putConnectorConfig('t-stale', fileSource('/tmp/s2'));
    await store.writeTaskConfigs('t-stale', 2, [fileSource('/tmp/g2')]);

    await expect(store.writeTaskConfigs('t-stale', 1, [fileSource('/tmp/g1'), fileSource('/tmp/g1')])).rejects.toBeInstanceOf(ConflictError);
    await expect(store.writeTaskConfigs('t-missing', 1, [])).rejects.toBeInstanceOf(NotFoundError);

    expect((await store.listTasks('t-stale')).map((t) => [t.task, t.generation, t.config.file])).toEqual([[0, 2, '/tmp/g2']]);
    expect(await store.getConnector('t-stale')).toMatchObject({ taskCount: 1, tasksGeneration: 2 });
  });

  it('removes the task items a coordinator that lost the race created past the winner’s count', async () => {
    await store.createConnector('t-loser', fileSource('/tmp/l'));
    // The slow coordinator's task writes wait until the newer one has finished.
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const slowClient = createDynamoClient({ AWS_ENDPOINT_URL: dynamo.endpoint });
    slowClient.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') await gate;
        return next(args);
      },
      { step: 'initialize' },
    );
    const slowStore = new Store({ client: slowClient, table: TABLE, clock: () => now });

    const slow = slowStore.writeTaskConfigs('t-loser', 1, [fileSource('/tmp/slow'), fileSource('/tmp/slow'), fileSource('/tmp/slow')]);
    const { connector } = await store.putConnectorConfig('t-loser', fileSource('/tmp/l2'));
    await store.writeTaskConfigs('t-loser', connector.generation, [fileSource('/tmp/new')]);
    release();

    await expect(slow).rejects.toBeInstanceOf(ConflictError);
    slowClient.destroy();
    expect((await store.listTasks('t-loser')).map((t) => [t.task, t.generation, t.config.file])).toEqual([[0, 2, '/tmp/new']]);
    expect(await store.getConnector('t-loser')).toMatchObject({ generation: 2, taskCount: 1, tasksGeneration: 2 });
  });

  it('ends every race between a slow and a newer coordinator with exactly the newer task set', async () => {
    await store.createConnector('t-race', fileSource('/tmp/r'));
    for (let round = 0; round < 10; round++) {
      const before = (await store.getConnector('t-race'))!.generation;
      const slow = store.writeTaskConfigs('t-race', before, [fileSource('/tmp/slow'), fileSource('/tmp/slow'), fileSource('/tmp/slow'), fileSource('/tmp/slow')]);
      const newer = (async () => {
        const { connector } = await store.putConnectorConfig('t-race', fileSource(`/tmp/round${round}`));
        await store.writeTaskConfigs('t-race', connector.generation, [fileSource(`/tmp/new${round}`), fileSource(`/tmp/new${round}`)]);
      })();
      const [slowResult, newerResult] = await Promise.allSettled([slow, newer]);

      expect(newerResult.status).toBe('fulfilled');
      if (slowResult.status === 'rejected') expect(slowResult.reason).toBeInstanceOf(ConflictError);
      const connector = await store.getConnector('t-race');
      expect(connector).toMatchObject({ generation: before + 1, taskCount: 2, tasksGeneration: before + 1 });
      expect((await store.listTasks('t-race')).map((t) => [t.task, t.generation, t.config.file])).toEqual([
        [0, before + 1, `/tmp/new${round}`],
        [1, before + 1, `/tmp/new${round}`],
      ]);
    }
  });
});
