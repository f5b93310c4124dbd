// Committed consumer-group offsets, kept in memory and in one append-only log.
//
// File: <dataDir>/groups/offsets.log, one JSON object per line (changing the
// file name or the record shapes needs a migration):
//   {"op":"commit","group":G,"offsets":[[topic, partition, offset, metadata], ...]}
//   {"op":"deleteGroup","group":G}
//   {"op":"deleteTopic","topic":T}
// One commit request is one line written by one write(2) before the commit is
// acknowledged, so it survives a killed process (the page cache outlives it;
// power loss is out of scope for a local broker). A torn last line from a crash
// mid-write is skipped on load. On open, and again once the log holds many
// superseded records, it is compacted: the latest values are written to a
// temporary file that is fsynced and renamed over the log.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../logging.js';

export const GROUPS_DIR = 'groups';
export const OFFSETS_LOG = 'offsets.log';

/** The offset a group will consume next on a partition, plus the client's metadata string. */
export interface StoredOffset {
  offset: number;
  metadata: string;
}

export interface OffsetEntry extends StoredOffset {
  topic: string;
  partition: number;
}

type LogRecord =
  | { op: 'commit'; group: string; offsets: [string, number, number, string][] }
  | { op: 'deleteGroup'; group: string }
  | { op: 'deleteTopic'; topic: string };

/** Compact at runtime once this many records were appended and they outnumber live offsets 4:1. */
const MIN_RECORDS_BEFORE_COMPACTION = 10_000;

export class OffsetStore {
  /** group → topic → partition → offset */
  private readonly groups = new Map<string, Map<string, Map<number, StoredOffset>>>();
  private fd: number | null = null;
  private recordsSinceCompaction = 0;

  private constructor(
    private readonly dir: string,
    private readonly logger: Logger,
  ) {}

  /** Loads `<dataDir>/groups/offsets.log` (creating the folder), compacts it and opens it for appends. */
  static open(dataDir: string, logger: Logger): OffsetStore {
    const dir = path.join(dataDir, GROUPS_DIR);
    fs.mkdirSync(dir, { recursive: true });
    const store = new OffsetStore(dir, logger);
    store.load();
    store.compact();
    return store;
  }

  private get logPath(): string {
    return path.join(this.dir, OFFSETS_LOG);
  }

  private load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.logPath, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    const lines = text.split('\n');
    lines.forEach((line, i) => {
      if (line === '') return;
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        // Only the last line can be torn by a crash; anything else is worth a louder note.
        const torn = i === lines.length - 1;
        this.logger.warn(torn ? 'skipping torn last line of the offsets log' : 'skipping unreadable line of the offsets log', { file: this.logPath, line: i + 1 });
        return;
      }
      this.apply(record);
    });
  }

  private apply(record: LogRecord): void {
    switch (record.op) {
      case 'commit':
        for (const [topic, partition, offset, metadata] of record.offsets) {
          this.put(record.group, topic, partition, { offset, metadata });
        }
        break;
      case 'deleteGroup':
        this.groups.delete(record.group);
        break;
      case 'deleteTopic':
        for (const [group, topics] of this.groups) {
          topics.delete(record.topic);
          if (topics.size === 0) this.groups.delete(group);
        }
        break;
    }
  }

  private put(group: string, topic: string, partition: number, value: StoredOffset): void {
    let topics = this.groups.get(group);
    if (!topics) this.groups.set(group, (topics = new Map()));
    let partitions = topics.get(topic);
    if (!partitions) topics.set(topic, (partitions = new Map()));
    partitions.set(partition, value);
  }

  private append(record: LogRecord): void {
    if (this.fd === null) throw new Error('offset store is closed');
    fs.writeSync(this.fd, JSON.stringify(record) + '\n');
    this.recordsSinceCompaction++;
  }

  /** Called after a record is both written and applied, so the snapshot includes it. */
  private maybeCompact(): void {
    if (this.recordsSinceCompaction >= Math.max(MIN_RECORDS_BEFORE_COMPACTION, 4 * this.liveOffsetCount())) {
      this.compact();
    }
  }

  private liveOffsetCount(): number {
    let n = 0;
    for (const topics of this.groups.values()) for (const partitions of topics.values()) n += partitions.size;
    return n;
  }

  /** Rewrites the log as one commit record per group, atomically, and reopens it for appends. */
  private compact(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
    const tmp = this.logPath + '.tmp';
    const lines: string[] = [];
    for (const group of this.groups.keys()) {
      const record: LogRecord = { op: 'commit', group, offsets: this.list(group).map((e) => [e.topic, e.partition, e.offset, e.metadata]) };
      lines.push(JSON.stringify(record) + '\n');
    }
    const tmpFd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(tmpFd, lines.join(''));
      fs.fsyncSync(tmpFd);
    } finally {
      fs.closeSync(tmpFd);
    }
    fs.renameSync(tmp, this.logPath);
    syncDirectory(this.dir);
    this.fd = fs.openSync(this.logPath, 'a');
    this.recordsSinceCompaction = 0;
  }

  get(group: string, topic: string, partition: number): StoredOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  /** Every committed offset of a group, by topic then partition. */
  list(group: string): OffsetEntry[] {
    const out: OffsetEntry[] = [];
    for (const [topic, partitions] of this.groups.get(group) ?? []) {
      for (const [partition, value] of [...partitions].sort((a, b) => a[0] - b[0])) {
        out.push({ topic, partition, ...value });
      }
    }
    return out;
  }

  hasGroup(group: string): boolean {
    return this.groups.has(group);
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Stores the offsets durably (one write) before returning. */
  commit(group: string, entries: OffsetEntry[]): void {
    if (entries.length === 0) return;
    this.append({ op: 'commit', group, offsets: entries.map((e) => [e.topic, e.partition, e.offset, e.metadata]) });
    for (const e of entries) this.put(group, e.topic, e.partition, { offset: e.offset, metadata: e.metadata });
    this.maybeCompact();
  }

  deleteGroup(group: string): void {
    if (!this.groups.has(group)) return;
    this.append({ op: 'deleteGroup', group });
    this.groups.delete(group);
    this.maybeCompact();
  }

  deleteTopic(topic: string): void {
    const affected = [...this.groups.values()].some((topics) => topics.has(topic));
    if (!affected) return;
    const record: LogRecord = { op: 'deleteTopic', topic };
    this.append(record);
    this.apply(record);
    this.maybeCompact();
  }

  close(): void {
    if (this.fd !== null) fs.closeSync(this.fd);
    this.fd = null;
  }
}

/** Makes a rename durable; some platforms cannot open a directory, which is fine to ignore. */
function syncDirectory(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // best effort
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}
