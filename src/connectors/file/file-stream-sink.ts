// Kafka's FileStreamSinkConnector: every record's value is appended to a file
// as one line (its string form, as Java's println(record.value()) writes it),
// or to standard output when `file` is empty. flush() fsyncs the file, so what
// was put before a flush survives a crash of the invocation; the batch is
// committed only after that.
import fs from 'node:fs/promises';
import { defineConfig } from '../../connect/config/config-def.js';
import { Struct } from '../../connect/data/struct.js';
import { slipwayVersion, type PluginRegistry } from '../../connect/registry.js';
import type { SinkConnector, SinkTask, SinkTaskContext, TaskConfig } from '../../connect/plugin.js';
import type { SinkRecord } from '../../connect/record.js';

export const FILE_STREAM_SINK_CLASS = 'org.apache.kafka.connect.file.FileStreamSinkConnector';

/** Its own keys; `topics` / `topics.regex` come from the sink base config (sinkConnectorBaseConfig). */
export const fileStreamSinkConfig = defineConfig([
  { name: 'file', type: 'string', default: '', importance: 'high', doc: 'Destination filename. If not specified, the standard output will be used.' },
]);

export class FileStreamSinkConnector implements SinkConnector {
  readonly type = 'sink';
  private props: Record<string, string> = {};

  constructor(private readonly versionString: string) {}

  version(): string {
    return this.versionString;
  }
  config() {
    return fileStreamSinkConfig;
  }
  start(config: Readonly<Record<string, string>>): void {
    this.props = { ...config };
  }
  /** As in Kafka: every task gets the same config (they all append to the one file). */
  taskConfigs(maxTasks: number): TaskConfig[] {
    return Array.from({ length: maxTasks }, () => ({ ...this.props }));
  }
  stop(): void {}
  createTask(): SinkTask {
    return new FileStreamSinkTask(this.versionString);
  }
}

export class FileStreamSinkTask implements SinkTask {
  /** Undefined: standard output. */
  private handle: fs.FileHandle | undefined;
  private file = '';

  constructor(private readonly versionString: string) {}

  version(): string {
    return this.versionString;
  }

  async start(config: Readonly<Record<string, string>>, context: SinkTaskContext): Promise<void> {
    this.file = fileStreamSinkConfig.parse(config).file as string;
    if (this.file !== '') this.handle = await fs.open(this.file, 'a');
    context.logger.info('file sink starting', { file: this.file || '<stdout>' });
  }

  async put(records: readonly SinkRecord[]): Promise<void> {
    if (records.length === 0) return;
    let text = '';
    for (const record of records) text += `${stringForm(record.value)}\n`;
    if (this.handle) await this.handle.appendFile(text, 'utf8');
    else await new Promise<void>((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
  }

  async flush(): Promise<void> {
    await this.handle?.sync();
  }

  async stop(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }
}

/**
 * A value as Java's String.valueOf prints it: null as "null", a Struct as
 * Struct{a=1,b=x}, a map as {a=1, b=x}, a list as [1, 2]. Bytes are written
 * as UTF-8 text (Java would print an object id such as [B@1b6d3586, which no
 * one wants in a file); a Date as its ISO form.
 */
export function stringForm(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value) || value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
  if (value instanceof Struct) return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return `[${value.map(stringForm).join(', ')}]`;
  if (value instanceof Map) return `{${[...value].map(([k, v]) => `${stringForm(k)}=${stringForm(v)}`).join(', ')}}`;
  if (typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${k}=${stringForm(v)}`).join(', ')}}`;
  return String(value);
}

export function registerFileStreamSink(registry: PluginRegistry, version = slipwayVersion()): void {
  registry.registerConnector({
    class: FILE_STREAM_SINK_CLASS,
    aliases: ['FileStreamSink', 'FileStreamSinkConnector'],
    type: 'sink',
    version,
    create: () => new FileStreamSinkConnector(version),
  });
}
