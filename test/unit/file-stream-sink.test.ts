// Kafka's FileStreamSinkConnector: values appended as lines in the order put,
// flush durable, the config checked like any sink's (topics / topics.regex).
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { checkConnectorConfig } from '../../src/connect/config/connector-validation.js';
import { Schema, SchemaBuilder } from '../../src/connect/data/schema.js';
import { Struct } from '../../src/connect/data/struct.js';
import { ConfigError } from '../../src/connect/errors.js';
import { sinkRecord, type SinkRecord } from '../../src/connect/record.js';
import { createPluginRegistry } from '../../src/connect/registry.js';
import { FILE_STREAM_SINK_CLASS, FileStreamSinkTask, registerFileStreamSink, stringForm } from '../../src/connectors/file/file-stream-sink.js';
import { createLogger } from '../../src/logging.js';
import { tempDir } from '../helpers/env.js';

let tmp: ReturnType<typeof tempDir> | undefined;
afterEach(() => tmp?.cleanup());

const context = {
  connectorName: 'c',
  taskId: 0,
  logger: createLogger('test', { level: 'silent' }),
  signal: new AbortController().signal,
  errantRecordReporter: null,
  requestCommit: () => {},
};

const record = (offset: number, value: unknown): SinkRecord =>
  sinkRecord({ topic: 'orders', kafkaPartition: 0, kafkaOffset: offset, timestampType: 'CREATE_TIME', key: null, value });

describe('FileStreamSinkTask', () => {
  it('appends each value as a line, after what the file held, in the order put', async () => {
    tmp = tempDir();
    const file = path.join(tmp.dir, 'out.txt');
    fs.writeFileSync(file, 'before\n');
    const task = new FileStreamSinkTask('test');
    await task.start({ file }, context);
    await task.put([record(0, 'first'), record(1, 'second')]);
    await task.put([]);
    await task.put([record(2, 'café ☕')]);
    await task.flush();
    await task.stop();
    expect(fs.readFileSync(file, 'utf8')).toBe('before\nfirst\nsecond\ncafé ☕\n');
  });

  it('writes the string form Java would: null, numbers, structs, maps, lists, bytes as text', () => {
    const schema = SchemaBuilder.struct().field('id', Schema.INT32_SCHEMA).field('name', Schema.STRING_SCHEMA).build();
    expect(stringForm(null)).toBe('null');
    expect(stringForm(42)).toBe('42');
    expect(stringForm(true)).toBe('true');
    expect(stringForm(new Struct(schema).put('id', 1).put('name', 'a'))).toBe('Struct{id=1,name=a}');
    expect(stringForm({ a: 1, b: [1, 'x'] })).toBe('{a=1, b=[1, x]}');
    expect(stringForm(Buffer.from('raw'))).toBe('raw');
  });

  it('a missing directory fails the start', async () => {
    tmp = tempDir();
    await expect(new FileStreamSinkTask('test').start({ file: path.join(tmp.dir, 'no', 'out.txt') }, context)).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('FileStreamSinkConnector', () => {
  const registry = createPluginRegistry();
  registerFileStreamSink(registry, '9.9.9');

  it('is found by its class name and its aliases, as a sink', () => {
    for (const name of [FILE_STREAM_SINK_CLASS, 'FileStreamSink', 'FileStreamSinkConnector']) {
      expect(registry.resolveConnector(name)).toMatchObject({ class: FILE_STREAM_SINK_CLASS, type: 'sink', version: '9.9.9' });
    }
  });

  it('takes topics or topics.regex from the sink base config, and file defaults to stdout', async () => {
    const checked = await checkConnectorConfig({ name: 'out', 'connector.class': 'FileStreamSink', topics: 'orders' }, { registry });
    expect(checked.values.file).toBe('');
    await expect(checkConnectorConfig({ name: 'out', 'connector.class': 'FileStreamSink', 'topics.regex': 'orders-.*', file: '/tmp/x' }, { registry })).resolves.toBeDefined();
    const err = await checkConnectorConfig({ name: 'out', 'connector.class': 'FileStreamSink' }, { registry }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).fields).toContain('topics');
  });

  it('gives every task the same config', async () => {
    const connector = registry.resolveConnector('FileStreamSink').create();
    await connector.start({ file: '/tmp/x', topics: 'orders' }, { connectorName: 'out', logger: context.logger });
    expect(await connector.taskConfigs(3)).toEqual([
      { file: '/tmp/x', topics: 'orders' },
      { file: '/tmp/x', topics: 'orders' },
      { file: '/tmp/x', topics: 'orders' },
    ]);
  });
});
