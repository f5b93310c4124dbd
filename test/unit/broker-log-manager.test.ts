import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging.js';
import { LogManager, type TopicDefaults } from '../../src/local/broker/log/log-manager.js';
import { KafkaProtocolError } from '../../src/local/broker/protocol/errors.js';

const quiet = createLogger('test', { level: 'silent' });
const DEFAULTS: TopicDefaults = { partitions: 2, segmentBytes: 1 << 20, retentionMs: 604_800_000, retentionBytes: -1 };

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'slipway-topics-'));
}

function open(dataDir: string, defaults: TopicDefaults = DEFAULTS): LogManager {
  return LogManager.open(dataDir, defaults, quiet);
}

function failure(fn: () => unknown): { code: number; message: string } | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof KafkaProtocolError) return { code: err.errorCode, message: err.message };
    throw err;
  }
  return undefined;
}

describe('LogManager topics', () => {
  it('creates topics with the default or a given partition count, in their own folders', () => {
    const dataDir = tempDir();
    const logs = open(dataDir);
    const orders = logs.createTopic('orders', -1, {});
    expect(orders.partitions.map((p) => p.dir)).toEqual([0, 1].map((p) => path.join(dataDir, 'topics', 'orders', String(p))));
    expect(logs.createTopic('a.b_c-D9', 5, {}).partitions).toHaveLength(5);
    expect(logs.topicNames()).toEqual(['a.b_c-D9', 'orders']);
    expect(logs.topic('orders')).toBe(orders);
    expect(logs.topic('missing')).toBeUndefined();
    logs.close();
  });

  it('validates names, existence, partition counts and configs', () => {
    const logs = open(tempDir());
    logs.createTopic('taken', 1, {});
    for (const bad of ['', '.', '..', 'has space', 'slash/name', 'ü', 'x'.repeat(250)]) {
      expect(failure(() => logs.createTopic(bad, 1, {}))?.code).toBe(17);
    }
    expect(logs.createTopic('x'.repeat(249), 1, {}).partitions).toHaveLength(1);
    logs.deleteTopic('x'.repeat(249));
    expect(failure(() => logs.createTopic('taken', 1, {}))?.code).toBe(36);
    expect(failure(() => logs.createTopic('t', 0, {}))?.code).toBe(37);
    expect(failure(() => logs.createTopic('t', -2, {}))?.code).toBe(37);

    const unknown = failure(() => logs.createTopic('t', 1, { 'retention.ms': '5', 'compression.type': 'lz4' }));
    expect(unknown?.code).toBe(40);
    expect(unknown?.message).toContain('compression.type');
    for (const [key, value] of [
      ['retention.ms', 'soon'],
      ['retention.ms', '-2'],
      ['retention.bytes', '1.5'],
      ['segment.bytes', '0'],
      ['cleanup.policy', 'archive'],
      ['max.message.bytes', '-1'],
      ['message.timestamp.type', 'WallClock'],
      ['min.insync.replicas', '0'],
    ]) {
      const bad = failure(() => logs.createTopic('t', 1, { [key]: value }));
      expect(bad?.code).toBe(40);
      expect(bad?.message).toContain(key);
    }
    expect(logs.topic('t')).toBeUndefined();
    logs.close();
  });

  it('accepts every supported config and applies the log ones to the partitions', () => {
    const logs = open(tempDir());
    const configs = {
      'retention.ms': '-1',
      'retention.bytes': '1000000',
      'segment.bytes': '4096',
      'cleanup.policy': 'compact,delete',
      'max.message.bytes': '2000000',
      'message.timestamp.type': 'LogAppendTime',
      'min.insync.replicas': '1',
    };
    const topic = logs.createTopic('cfg', 2, configs);
    expect(topic.configs).toEqual(configs);
    expect(topic.partitions[1].config).toEqual({ segmentBytes: 4096, retentionMs: -1, retentionBytes: 1_000_000 });
    expect(logs.createTopic('compacted', 1, { 'cleanup.policy': 'compact' }).configs).toEqual({ 'cleanup.policy': 'compact' });
    logs.close();
  });

  it('describes the effective config with defaults filled in', () => {
    const logs = open(tempDir());
    logs.createTopic('d', 1, { 'retention.ms': '1000', 'cleanup.policy': 'compact' });
    const byName = Object.fromEntries(logs.describeConfigs('d').map((c) => [c.name, c]));
    expect(byName['retention.ms']).toEqual({ name: 'retention.ms', value: '1000', isDefault: false });
    expect(byName['cleanup.policy']).toEqual({ name: 'cleanup.policy', value: 'compact', isDefault: false });
    expect(byName['retention.bytes']).toEqual({ name: 'retention.bytes', value: '-1', isDefault: true });
    expect(byName['segment.bytes']).toEqual({ name: 'segment.bytes', value: String(1 << 20), isDefault: true });
    expect(byName['max.message.bytes']).toEqual({ name: 'max.message.bytes', value: '1048588', isDefault: true });
    expect(byName['message.timestamp.type'].value).toBe('CreateTime');
    expect(byName['min.insync.replicas'].value).toBe('1');
    expect(failure(() => logs.describeConfigs('nope'))?.code).toBe(3);
    logs.close();
  });

  it('validateOnly checks without creating anything', () => {
    const dataDir = tempDir();
    const logs = open(dataDir);
    expect(logs.createTopic('dry', 3, { 'retention.ms': '10' }, true).name).toBe('dry');
    expect(failure(() => logs.createTopic('dry', 3, { bogus: '1' }, true))?.code).toBe(40);
    expect(logs.topic('dry')).toBeUndefined();
    expect(fs.readdirSync(path.join(dataDir, 'topics'))).toEqual([]);
    logs.createTopic('grow', 1, {});
    logs.createPartitions('grow', 4, true);
    expect(logs.topic('grow')?.partitions).toHaveLength(1);
    logs.close();
  });

  it('deletes a topic with its files', () => {
    const dataDir = tempDir();
    const logs = open(dataDir);
    logs.createTopic('gone', 2, {});
    logs.deleteTopic('gone');
    expect(logs.topic('gone')).toBeUndefined();
    expect(fs.readdirSync(path.join(dataDir, 'topics'))).toEqual([]);
    expect(failure(() => logs.deleteTopic('gone'))?.code).toBe(3);
    // The name is free again, with fresh, empty partitions.
    expect(logs.createTopic('gone', 1, {}).partitions[0].logEndOffset).toBe(0);
    logs.close();
  });

  it('adds partitions, never removes them', () => {
    const logs = open(tempDir());
    logs.createTopic('p', 2, {});
    logs.createPartitions('p', 5);
    expect(logs.topic('p')?.partitions.map((l) => path.basename(l.dir))).toEqual(['0', '1', '2', '3', '4']);
    expect(failure(() => logs.createPartitions('p', 5))?.code).toBe(37);
    expect(failure(() => logs.createPartitions('p', 3))?.code).toBe(37);
    expect(failure(() => logs.createPartitions('missing', 3))?.code).toBe(3);
    logs.close();
  });

  it('keeps topics, partition counts and configs across a reopen', () => {
    const dataDir = tempDir();
    const logs = open(dataDir);
    logs.createTopic('kept', 1, { 'segment.bytes': '2048' });
    logs.createPartitions('kept', 3);
    logs.createTopic('other', -1, {});
    logs.createTopic('dropped', 1, {});
    logs.deleteTopic('dropped');
    logs.close();
    const meta = JSON.parse(fs.readFileSync(path.join(dataDir, 'topics', 'kept', 'topic.json'), 'utf8')) as unknown;
    expect(meta).toEqual({ version: 1, name: 'kept', partitions: 3, configs: { 'segment.bytes': '2048' } });

    const reopened = open(dataDir, { ...DEFAULTS, partitions: 7, retentionMs: 5 });
    expect(reopened.topicNames()).toEqual(['kept', 'other']);
    const kept = reopened.topic('kept');
    expect(kept?.partitions).toHaveLength(3);
    expect(kept?.configs).toEqual({ 'segment.bytes': '2048' });
    expect(kept?.partitions[2].config).toEqual({ segmentBytes: 2048, retentionMs: 5, retentionBytes: -1 });
    expect(reopened.topic('other')?.partitions).toHaveLength(2);
    reopened.close();
  });

  it('ignores a topic folder whose creation never finished, and replaces it on create', () => {
    const dataDir = tempDir();
    open(dataDir).close();
    const partial = path.join(dataDir, 'topics', 'half', '0');
    fs.mkdirSync(partial, { recursive: true });
    fs.writeFileSync(path.join(partial, 'stale.txt'), 'x');
    const logs = open(dataDir);
    expect(logs.topicNames()).toEqual([]);
    logs.createTopic('half', 1, {});
    expect(fs.existsSync(path.join(partial, 'stale.txt'))).toBe(false);
    logs.close();
  });
});
