import { describe, expect, it } from 'vitest';
import { Schema } from '../../src/connect/data/schema.js';
import { lastHeader, sinkRecord, sourcePartitionKey, sourceRecord, withoutHeader } from '../../src/connect/record.js';

describe('records', () => {
  it('SourceRecord carries its source partition and offset, headers default to none', () => {
    const r = sourceRecord({ topic: 'lines', key: null, valueSchema: Schema.STRING_SCHEMA, value: 'hello', sourcePartition: { filename: '/in.txt' }, sourceOffset: { position: 6 } });
    expect(r).toEqual({ topic: 'lines', key: null, valueSchema: Schema.STRING_SCHEMA, value: 'hello', sourcePartition: { filename: '/in.txt' }, sourceOffset: { position: 6 }, headers: [] });
    const changed = { ...r, value: 'HELLO' };
    expect(r.value).toBe('hello');
    expect(changed.sourceOffset).toBe(r.sourceOffset);
  });

  it('SinkRecord carries its Kafka position and timestamp type', () => {
    const r = sinkRecord({ topic: 't', kafkaPartition: 2, kafkaOffset: 41, key: 'k', value: 'v', timestamp: 1700000000000, timestampType: 'CREATE_TIME' });
    expect([r.kafkaPartition, r.kafkaOffset, r.timestampType, r.headers]).toEqual([2, 41, 'CREATE_TIME', []]);
  });

  it('headers are an ordered list in which a key may repeat', () => {
    const headers = [
      { key: 'a', value: 1 },
      { key: 'b', value: 2 },
      { key: 'a', value: 3 },
    ];
    expect(lastHeader(headers, 'a')?.value).toBe(3);
    expect(lastHeader(headers, 'z')).toBeUndefined();
    expect(withoutHeader(headers, 'a')).toEqual([{ key: 'b', value: 2 }]);
  });

  it('a source partition has one stable key whatever the order of its fields', () => {
    expect(sourcePartitionKey({ server: 'db', shard: { b: 2, a: 1 } })).toBe(sourcePartitionKey({ shard: { a: 1, b: 2 }, server: 'db' }));
    expect(sourcePartitionKey({ b: 1, a: 'x' })).toBe('{"a":"x","b":1}');
    expect(sourcePartitionKey({ a: 1 })).not.toBe(sourcePartitionKey({ a: '1' }));
  });
});
