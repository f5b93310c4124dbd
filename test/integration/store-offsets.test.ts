// Source offsets against a real dynalite: one item per source partition
// whatever its key order or size, fenced by the writer's epoch.
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { FencedError } from '../../src/connect/errors.js';
import { Store, canonicalJson, offsetSortKey } from '../../src/store/index.js';
import { useDynalite } from '../helpers/dynalite.js';

const TABLE = 'slipway';
const dynamo = useDynalite(TABLE);
let store: Store;

beforeAll(() => {
  store = new Store({ client: dynamo.client, table: TABLE, clock: () => 1_000, pageSize: 3 });
});

const byPartition = (a: { partition: Record<string, unknown> }, b: { partition: Record<string, unknown> }): number =>
  canonicalJson(a.partition).localeCompare(canonicalJson(b.partition));

describe('offset keys', () => {
  it('writes JSON with keys sorted at every level and arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null }, u: undefined })).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
    expect(canonicalJson({ '10': 'x', '2': 'y', a: 'z' })).toBe('{"10":"x","2":"y","a":"z"}');
  });

  it('keeps a sort key within 1024 bytes, counting bytes rather than characters', () => {
    const short = { server: 'db1', file: 'mysql-bin.000003' };
    const wide = { name: '€'.repeat(400) }; // 400 characters, 1200 bytes
    expect(offsetSortKey(short)).toBe('offset#{"file":"mysql-bin.000003","server":"db1"}');
    expect(offsetSortKey(wide)).toMatch(/^offset#sha256:[0-9a-f]{64}$/);
    expect(offsetSortKey({ name: 'é'.repeat(400) })).not.toBe(offsetSortKey({ name: 'è'.repeat(400) }));
  });
});

describe('offsets', () => {
  it('maps a partition given in different key orders to one item', async () => {
    await store.writeOffset('orders', { server: 'db1', db: 'shop', table: { schema: 's', name: 'orders' } }, { file: 'bin.1', pos: 4 }, 1);
    await store.writeOffset('orders', { table: { name: 'orders', schema: 's' }, db: 'shop', server: 'db1' }, { pos: 99, file: 'bin.2' }, 1);

    expect(await store.readOffsets('orders')).toEqual([{ partition: { db: 'shop', server: 'db1', table: { name: 'orders', schema: 's' } }, offset: { file: 'bin.2', pos: 99 }, epoch: 1 }]);
  });

  it('stores a partition too long for a sort key under its hash, and reads the map back from the item', async () => {
    const longA = { file: `/data/${'a'.repeat(1500)}.log` };
    const longB = { file: `/data/${'b'.repeat(1500)}.log` };

    await store.writeOffset('long', longA, { position: 1 }, 1);
    await store.writeOffset('long', longB, { position: 2 }, 1);
    await store.writeOffset('long', { file: longA.file }, { position: 3 }, 1);

    const offsets = (await store.readOffsets('long')).sort(byPartition);
    expect(offsets).toEqual([
      { partition: longA, offset: { position: 3 }, epoch: 1 },
      { partition: longB, offset: { position: 2 }, epoch: 1 },
    ]);
  });

  it('refuses a write from an older epoch and keeps the newer one; the same or a newer epoch writes', async () => {
    const partition = { file: '/var/log/app.log' };
    await store.writeOffset('fenced', partition, { position: 50 }, 5);

    await expect(store.writeOffset('fenced', partition, { position: 40 }, 4)).rejects.toBeInstanceOf(FencedError);
    expect(await store.readOffsets('fenced')).toEqual([{ partition, offset: { position: 50 }, epoch: 5 }]);

    await store.writeOffset('fenced', partition, { position: 60 }, 5);
    await store.writeOffset('fenced', partition, { position: 70 }, 6);
    expect(await store.readOffsets('fenced')).toEqual([{ partition, offset: { position: 70 }, epoch: 6 }]);
  });

  it('writes many partitions in parallel, across pages, and a null offset', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({ partition: { shard: `s${i}` }, offset: i === 3 ? null : { seq: i, nested: { at: [i, i + 1] } } }));

    await store.writeOffsets('many', entries, 2);

    expect((await store.readOffsets('many')).sort(byPartition)).toEqual(entries.map((e) => ({ ...e, epoch: 2 })).sort(byPartition));
  });

  it('writes every unfenced entry of a batch and throws FencedError for the fenced one', async () => {
    await store.writeOffset('mixed', { shard: 'b' }, { seq: 100 }, 9);

    const write = store.writeOffsets('mixed', [{ partition: { shard: 'a' }, offset: { seq: 1 } }, { partition: { shard: 'b' }, offset: { seq: 2 } }, { partition: { shard: 'c' }, offset: { seq: 3 } }], 8);

    await expect(write).rejects.toBeInstanceOf(FencedError);
    expect((await store.readOffsets('mixed')).sort(byPartition)).toEqual([
      { partition: { shard: 'a' }, offset: { seq: 1 }, epoch: 8 },
      { partition: { shard: 'b' }, offset: { seq: 100 }, epoch: 9 },
      { partition: { shard: 'c' }, offset: { seq: 3 }, epoch: 8 },
    ]);
  });

  it('resets one partition and deletes all, whatever epoch wrote them', async () => {
    await store.writeOffsets('admin', [{ partition: { file: 'x', n: 1 }, offset: { position: 1 } }, { partition: { file: 'y' }, offset: { position: 2 } }, { partition: { file: 'z' }, offset: { position: 3 } }], 50);

    await store.resetOffset('admin', { n: 1, file: 'x' });
    expect((await store.readOffsets('admin')).map((o) => o.partition.file).sort()).toEqual(['y', 'z']);

    await store.deleteOffsets('admin');
    expect(await store.readOffsets('admin')).toEqual([]);
    await store.writeOffset('admin', { file: 'y' }, { position: 0 }, 1);
    expect(await store.readOffsets('admin')).toEqual([{ partition: { file: 'y' }, offset: { position: 0 }, epoch: 1 }]);
  });

  it('stores the partition and offset as JSON strings under the documented key', async () => {
    await store.writeOffset('shape', { b: 2, a: 1 }, { pos: 7 }, 3);

    const out = await dynamo.client.send(new GetItemCommand({ TableName: TABLE, Key: { PK: { S: 'connector#shape' }, SK: { S: 'offset#{"a":1,"b":2}' } }, ConsistentRead: true }));

    expect(out.Item).toEqual({
      PK: { S: 'connector#shape' },
      SK: { S: 'offset#{"a":1,"b":2}' },
      partition: { S: '{"a":1,"b":2}' },
      offset: { S: '{"pos":7}' },
      epoch: { N: '3' },
      updatedAt: { N: '1000' },
    });
  });
});
