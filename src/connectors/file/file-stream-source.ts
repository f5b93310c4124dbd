// Kafka's FileStreamSourceConnector: every line appended to a file becomes one
// record (value: the line as a string). Source partition {filename}, offset
// {position} = the byte position after the last line emitted, so a new task
// instance resumes exactly where the last acknowledged line ended.
import fs from 'node:fs/promises';
import { defineConfig, nonEmptyString, atLeast } from '../../connect/config/config-def.js';
import { Schema } from '../../connect/data/schema.js';
import { ConfigError } from '../../connect/errors.js';
import type { SourceConnector, SourceTask, SourceTaskContext, TaskConfig } from '../../connect/plugin.js';
import { sourceRecord, type SourceRecord } from '../../connect/record.js';

export const FILE_STREAM_SOURCE_CLASS = 'org.apache.kafka.connect.file.FileStreamSourceConnector';

export const fileStreamSourceConfig = defineConfig([
  { name: 'file', type: 'string', required: true, validator: nonEmptyString, importance: 'high', doc: 'Source filename. Lines appended to it are sent to the topic.' },
  { name: 'topic', type: 'string', required: true, validator: nonEmptyString, importance: 'high', doc: 'The topic to publish data to.' },
  { name: 'batch.size', type: 'int', default: 2000, validator: atLeast(1), importance: 'low', doc: 'The maximum number of records the task may return from one poll.' },
]);

/** How long an idle poll waits for new lines before returning nothing. */
const IDLE_POLL_MS = 200;
const READ_CHUNK = 1024 * 1024;

export class FileStreamSourceConnector implements SourceConnector {
  readonly type = 'source';
  private props: Record<string, string> = {};

  constructor(private readonly versionString: string) {}

  version(): string {
    return this.versionString;
  }
  config() {
    return fileStreamSourceConfig;
  }
  start(config: Readonly<Record<string, string>>): void {
    this.props = { ...config };
  }
  /** One file, one reader: more tasks would only emit duplicates, as in Kafka. */
  taskConfigs(): TaskConfig[] {
    return [{ ...this.props }];
  }
  stop(): void {}
  createTask(): SourceTask {
    return new FileStreamSourceTask(this.versionString);
  }
}

export class FileStreamSourceTask implements SourceTask {
  private file = '';
  private topic = '';
  private batchSize = 2000;
  /** File position of pending[0]: everything before it was emitted as records. */
  private position = 0;
  /** Bytes read past `position` that do not yet end in a newline. */
  private pending = Buffer.alloc(0);
  private context!: SourceTaskContext;

  constructor(private readonly versionString: string) {}

  version(): string {
    return this.versionString;
  }

  async start(config: Readonly<Record<string, string>>, context: SourceTaskContext): Promise<void> {
    const parsed = fileStreamSourceConfig.parse(config);
    this.file = parsed.file as string;
    this.topic = parsed.topic as string;
    this.batchSize = parsed['batch.size'] as number;
    this.context = context;
    const stored = await context.offsetStorageReader.offset(this.partition());
    const position = stored?.position;
    if (position !== undefined && (typeof position !== 'number' || !Number.isInteger(position) || position < 0)) {
      throw new ConfigError({ field: 'file', message: `stored offset for ${this.file} is not a byte position: ${JSON.stringify(stored)}` });
    }
    this.position = position ?? 0;
    context.logger.info('file source starting', { file: this.file, position: this.position });
  }

  /** One object for every record: the worker keys offsets by it once per batch, not per record. */
  private partitionObject: { filename: string } | undefined;
  private partition() {
    return (this.partitionObject ??= { filename: this.file });
  }

  async poll(): Promise<SourceRecord[] | null> {
    const records = await this.readLines();
    if (records.length > 0) return records;
    await abortableDelay(IDLE_POLL_MS, this.context.signal);
    return null;
  }

  /**
   * Up to batch.size lines: those already buffered first, then more read from
   * the file only while the buffer holds fewer complete lines than that.
   */
  private async readLines(): Promise<SourceRecord[]> {
    const records = this.takeLines();
    if (records.length >= this.batchSize) return records;
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(this.file, 'r');
    } catch (err) {
      // Kafka's task waits for a missing file to appear; so does this one, loudly.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        this.context.logger.warn('source file not found; waiting for it', { file: this.file });
        return records;
      }
      throw err;
    }
    try {
      while (records.length < this.batchSize) {
        const chunk = Buffer.allocUnsafe(READ_CHUNK);
        const { bytesRead } = await handle.read(chunk, 0, READ_CHUNK, this.position + this.pending.length);
        if (bytesRead === 0) break;
        this.pending = this.pending.length ? Buffer.concat([this.pending, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        records.push(...this.takeLines(this.batchSize - records.length));
      }
      return records;
    } finally {
      await handle.close();
    }
  }

  /** Complete lines from the buffer, at most `max`; the offset is the position just past each newline. */
  private takeLines(max = this.batchSize): SourceRecord[] {
    const records: SourceRecord[] = [];
    let start = 0;
    while (records.length < max) {
      const nl = this.pending.indexOf(0x0a, start);
      if (nl < 0) break;
      const end = nl > start && this.pending[nl - 1] === 0x0d ? nl - 1 : nl;
      records.push(this.record(this.pending.toString('utf8', start, end), this.position + nl + 1));
      start = nl + 1;
    }
    this.position += start;
    this.pending = this.pending.subarray(start);
    return records;
  }

  private record(line: string, position: number): SourceRecord {
    return sourceRecord({
      topic: this.topic,
      key: null,
      valueSchema: Schema.STRING_SCHEMA,
      value: line,
      sourcePartition: this.partition(),
      sourceOffset: { position },
    });
  }

  stop(): void {}
}

function abortableDelay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function fileConnectorsRegistration(version: string) {
  return {
    class: FILE_STREAM_SOURCE_CLASS,
    aliases: ['FileStreamSource', 'FileStreamSourceConnector'],
    type: 'source' as const,
    version,
    create: () => new FileStreamSourceConnector(version),
  };
}
