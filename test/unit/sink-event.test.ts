// The Kafka event source mapping's batch (events/sink-*.json, as Lambda sends
// it) parsed into per-partition raw records, and every malformed part refused
// with a DataError naming its exact path.
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConnectError, DataError } from '../../src/connect/errors.js';
import { isKafkaSinkEvent, parseKafkaSinkEvent } from '../../src/runtime/sink-event.js';
import { prng } from '../helpers/prng.js';

const load = (name: string): Record<string, unknown> => JSON.parse(fs.readFileSync(fileURLToPath(new URL(`../../events/${name}`, import.meta.url)), 'utf8'));
const msk = load('sink-msk.json');
const selfManaged = load('sink-self-managed.json');

interface SampleRecord {
  partition: number;
  offset: number;
  timestampType: string;
  key?: unknown;
  value?: unknown;
  headers?: Record<string, unknown>[];
}
interface Sample {
  eventSource: string;
  records: Record<string, SampleRecord[]>;
}
const at = (e: Sample, batch: string, i: number): SampleRecord => e.records[batch]![i]!;

/** A copy of the self-managed sample with one change made by `edit`. */
function mutated(edit: (e: Sample) => void): unknown {
  const copy = structuredClone(selfManaged) as unknown as Sample;
  edit(copy);
  return copy;
}

function errorOf(event: unknown): DataError {
  try {
    parseKafkaSinkEvent(event);
  } catch (err) {
    expect(err).toBeInstanceOf(DataError);
    return err as DataError;
  }
  throw new Error('parsed without error');
}

describe('parseKafkaSinkEvent', () => {
  it('reads the self-managed sample into ordered partitions of raw records', () => {
    const event = parseKafkaSinkEvent(selfManaged);
    expect(event.eventSource).toBe('SelfManagedKafka');
    expect(event.eventSourceArn).toBeUndefined();
    expect(event.bootstrapServers).toBe('kafka-1.example.internal:9092,kafka-2.example.internal:9092');
    expect(event.partitions.map((p) => [p.topic, p.partition, p.records.map((r) => r.offset)])).toEqual([
      ['orders', 0, [15, 16, 17]],
      ['orders', 1, [3]],
    ]);
    const [first, second, tombstone] = event.partitions[0]!.records;
    expect(first!.key).toEqual(Buffer.from('1001'));
    expect(JSON.parse(first!.value!.toString())).toEqual({ id: 1001, status: 'created', total: '12.50' });
    expect(first!).toMatchObject({ timestamp: 1763773200000, timestampType: 'CREATE_TIME' });
    expect(first!.headers).toEqual([{ key: 'trace-id', value: Buffer.from('7f3a9c') }]);
    // Signed bytes (-61, -87) are é in UTF-8.
    expect(second!.headers[0]!.value!.toString('utf8')).toBe('café');
    expect(tombstone!.value).toBeNull();
    expect(event.partitions[1]!.records[0]!.key).toBeNull();
  });

  it('reads the MSK sample with its cluster ARN and the same records', () => {
    const event = parseKafkaSinkEvent(msk);
    expect(event.eventSource).toBe('aws:kafka');
    expect(event.eventSourceArn).toMatch(/^arn:aws:kafka:us-east-1:123456789012:cluster\//);
    expect(event.partitions).toEqual(parseKafkaSinkEvent(selfManaged).partitions);
  });

  it('takes an absent key, absent headers and an empty partition list', () => {
    const event = parseKafkaSinkEvent(
      mutated((e) => {
        delete at(e, 'orders-0', 0).key;
        delete at(e, 'orders-0', 0).headers;
        e.records['orders-1'] = [];
      }),
    );
    expect(event.partitions).toHaveLength(1);
    expect(event.partitions[0]!.records[0]).toMatchObject({ key: null, headers: [] });
  });

  it.each<[string, (e: Sample) => unknown, string]>([
    ['a value that is not base64', (e) => (at(e, 'orders-0', 2).value = 'not base64!'), 'records["orders-0"][2].value: not base64'],
    ['a value in the URL-safe alphabet', (e) => (at(e, 'orders-0', 2).value = 'YW-_'), 'records["orders-0"][2].value: not base64'],
    ['a value with padding inside', (e) => (at(e, 'orders-0', 2).value = 'YW==YWJj'), 'records["orders-0"][2].value: not base64'],
    ['a value of the wrong length', (e) => (at(e, 'orders-0', 2).value = 'YWJjZ'), 'records["orders-0"][2].value: not base64'],
    ['a key that is a number', (e) => (at(e, 'orders-1', 0).key = 42), 'records["orders-1"][0].key: expected base64 or null, got 42'],
    ['a header byte out of range', (e) => ((at(e, 'orders-0', 1).headers![0]!.source as number[])[4] = 300), 'records["orders-0"][1].headers[0]["source"][4]: not a byte: 300'],
    ['a header that is not an array', (e) => (at(e, 'orders-0', 0).headers![0]!['trace-id'] = 'x'), 'records["orders-0"][0].headers[0]["trace-id"]: expected an array of bytes, got "x"'],
    ['a record under another partition', (e) => (at(e, 'orders-0', 1).partition = 1), 'records["orders-0"][1]: topic "orders" partition 1 filed under another partition\'s key'],
    ['offsets going backwards', (e) => (at(e, 'orders-0', 2).offset = 15), 'records["orders-0"][2].offset: 15 does not follow 16'],
    ['a negative offset', (e) => (at(e, 'orders-0', 0).offset = -1), 'records["orders-0"][0].offset: expected an offset, got -1'],
    ['an unknown timestamp type', (e) => (at(e, 'orders-1', 0).timestampType = 'NOW'), 'records["orders-1"][0].timestampType: expected CREATE_TIME or LOG_APPEND_TIME, got "NOW"'],
    ['records that are not an array', (e) => (e.records['orders-1'] = {} as never), 'records["orders-1"]: expected an array of records, got an object'],
    ['no records at all', (e) => delete (e as Partial<Sample>).records, 'records: expected an object keyed "<topic>-<partition>", got nothing'],
    ['another event source', (e) => (e.eventSource = 'aws:sqs'), 'eventSource: expected "aws:kafka" or "SelfManagedKafka", got "aws:sqs"'],
    ['an MSK event without its ARN', (e) => (e.eventSource = 'aws:kafka'), "eventSourceArn: expected the MSK cluster's ARN, got nothing"],
  ])('refuses %s, naming the path', (_what, edit, message) => {
    const err = errorOf(mutated(edit));
    expect(err.message).toBe(message);
    expect(err.path).toBe(message.slice(0, message.indexOf(':')));
    expect(err.retriable).toBe(false);
  });

  it('isKafkaSinkEvent tells a Kafka batch from other events', () => {
    expect(isKafkaSinkEvent(msk)).toBe(true);
    expect(isKafkaSinkEvent(selfManaged)).toBe(true);
    expect(isKafkaSinkEvent({ connector: 'x', task: 0 })).toBe(false);
    expect(isKafkaSinkEvent(null)).toBe(false);
    expect(isKafkaSinkEvent({ eventSource: 'SelfManagedKafka', records: [] })).toBe(false);
  });
});

describe('parseKafkaSinkEvent under random mutations (seeded)', () => {
  const oddValues = [null, undefined, 0, -1, 1.5, 2 ** 60, NaN, '', 'A', '====', 'QQ==', '__proto__', true, [], {}, [1, 2], { a: [1] }, '-0', 'x'.repeat(1000)];

  /** Every path (array of keys) to a value inside `v`. */
  function paths(v: unknown, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
    out.push(prefix);
    if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
    else if (v && typeof v === 'object') for (const k of Object.keys(v)) paths((v as Record<string, unknown>)[k], [...prefix, k], out);
    return out;
  }

  function mutate(event: unknown, random: () => number): unknown {
    const copy = structuredClone(event) as Record<string, unknown>;
    const steps = 1 + Math.floor(random() * 3);
    let root: unknown = copy;
    for (let s = 0; s < steps; s++) {
      const all = paths(root);
      const path = all[Math.floor(random() * all.length)]!;
      const value = structuredClone(oddValues[Math.floor(random() * oddValues.length)]);
      if (path.length === 0) {
        root = random() < 0.5 ? value : root;
        continue;
      }
      let parent = root as Record<string | number, unknown>;
      for (const k of path.slice(0, -1)) parent = parent[k] as Record<string | number, unknown>;
      const last = path[path.length - 1]!;
      const choice = random();
      if (choice < 0.2) delete parent[last];
      else if (choice < 0.3 && typeof parent[last] === 'string') parent[last] = (parent[last] as string).slice(0, Math.floor(random() * (parent[last] as string).length));
      else if (choice < 0.4 && Array.isArray(parent)) parent.push(structuredClone(parent[last]));
      else parent[last] = value;
    }
    return root;
  }

  it('throws nothing but a ConnectError, quickly, for 3000 mutated samples', () => {
    const random = prng(20261122);
    const started = Date.now();
    let refused = 0;
    for (let i = 0; i < 3000; i++) {
      const event = mutate(random() < 0.5 ? msk : selfManaged, random);
      try {
        parseKafkaSinkEvent(event);
      } catch (err) {
        if (!(err instanceof ConnectError)) throw new Error(`case ${i} threw ${String(err)} for ${JSON.stringify(event)?.slice(0, 500)}`, { cause: err });
        refused++;
      }
    }
    expect(refused).toBeGreaterThan(500);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
