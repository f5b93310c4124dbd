// Every topic of the broker and its partition logs.
//
// Layout (changing it needs a migration of existing data dirs):
//   <dataDir>/topics/<topic>/topic.json     {"version":1,"name","partitions","configs"}
//   <dataDir>/topics/<topic>/<partition>/   segment files, see partition-log.ts
// topic.json is replaced atomically (write a temp file, fsync, rename). A topic
// folder without topic.json is a creation that crashed before it was
// acknowledged: it is skipped on open and replaced if the topic is created
// again. Deletion first renames the folder to a
// name no topic can have (`~deleted-...`), so a crash never leaves half a topic.
//
// Topic configs are validated and stored; retention.*, segment.bytes apply to
// the partition logs. cleanup.policy=compact is accepted and stored, but
// compaction itself is not performed (such topics are only ever appended to and
// deleted by retention). max.message.bytes is enforced by the produce handler;
// message.timestamp.type and min.insync.replicas are stored only.

import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../logging.js';
import { ErrorCode, KafkaProtocolError } from '../protocol/errors.js';
import { fsyncDir, PartitionLog, type LogConfig } from './partition-log.js';


/** One folder and one open file per partition: a single node keeps topics to this many (Kafka has no fixed limit). */
export const MAX_PARTITIONS = 1000;
export interface TopicDefaults {
  partitions: number;
  segmentBytes: number;
  retentionMs: number;
  retentionBytes: number;
  /** message.max.bytes, shown as the default of max.message.bytes; Kafka's 1048588 if absent. */
  maxMessageBytes?: number;
}

export interface Topic {
  name: string;
  partitions: PartitionLog[];
  /** Only the configs set on the topic; describeConfigs adds the defaults. */
  configs: Record<string, string>;
}

interface TopicMetadata {
  version: 1;
  name: string;
  partitions: number;
  configs: Record<string, string>;
}

const TOPICS_DIR = 'topics';
const METADATA_FILE = 'topic.json';
const DELETED_PREFIX = '~deleted-';
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;
const KAFKA_MAX_MESSAGE_BYTES = 1_048_588;

interface ConfigSpec {
  /** Why a value is rejected, or null if it is fine. */
  check(value: string): string | null;
  defaultValue(d: TopicDefaults): string;
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER): (value: string) => string | null {
  return (value) => {
    if (!/^-?\d+$/.test(value.trim())) return 'must be an integer';
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) return `must be between ${min} and ${max}`;
    return null;
  };
}

function oneOf(...allowed: string[]): (value: string) => string | null {
  return (value) => (allowed.includes(value) ? null : `must be one of ${allowed.join(', ')}`);
}

function cleanupPolicy(value: string): string | null {
  const parts = value.split(',').map((p) => p.trim());
  const ok = parts.every((p) => p === 'delete' || p === 'compact') && new Set(parts).size === parts.length;
  return ok ? null : 'must be delete, compact or compact,delete';
}

const INT32_MAX = 0x7fff_ffff;

/** The topic configs this broker accepts, with their validators and defaults. */
const TOPIC_CONFIGS: Record<string, ConfigSpec> = {
  'cleanup.policy': { check: cleanupPolicy, defaultValue: () => 'delete' },
  'max.message.bytes': { check: integer(0, INT32_MAX), defaultValue: (d) => String(d.maxMessageBytes ?? KAFKA_MAX_MESSAGE_BYTES) },
  'message.timestamp.type': { check: oneOf('CreateTime', 'LogAppendTime'), defaultValue: () => 'CreateTime' },
  'min.insync.replicas': { check: integer(1, INT32_MAX), defaultValue: () => '1' },
  'retention.bytes': { check: integer(-1), defaultValue: (d) => String(d.retentionBytes) },
  'retention.ms': { check: integer(-1), defaultValue: (d) => String(d.retentionMs) },
  'segment.bytes': { check: integer(14, INT32_MAX), defaultValue: (d) => String(d.segmentBytes) },
};

function validateTopicName(name: string): void {
  if (!TOPIC_NAME.test(name) || name === '.' || name === '..') {
    throw new KafkaProtocolError(
      ErrorCode.INVALID_TOPIC_EXCEPTION,
      `invalid topic name '${name}': 1 to 249 characters of [a-zA-Z0-9._-], not '.' or '..'`,
    );
  }
}

function validateConfigs(configs: Record<string, string>): void {
  for (const [key, value] of Object.entries(configs)) {
    const spec = Object.hasOwn(TOPIC_CONFIGS, key) ? TOPIC_CONFIGS[key] : undefined;
    if (spec === undefined) throw new KafkaProtocolError(ErrorCode.INVALID_CONFIG, `unknown or unsupported topic config '${key}'`);
    const problem = typeof value === 'string' ? spec.check(value) : 'must be a string';
    if (problem !== null) throw new KafkaProtocolError(ErrorCode.INVALID_CONFIG, `invalid value '${String(value)}' for topic config '${key}': ${problem}`);
  }
}

function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp`;
  const fd = fs.openSync(tmp, 'w');
  try {
    fs.writeFileSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  fsyncDir(path.dirname(file));
}

export class LogManager {
  private readonly topics = new Map<string, Topic>();
  private readonly topicsDir: string;
  private deletions = 0;

  private constructor(
    dataDir: string,
    readonly defaults: TopicDefaults,
    private readonly logger: Logger,
  ) {
    this.topicsDir = path.join(dataDir, TOPICS_DIR);
  }

  /** Opens every topic under dataDir/topics/, recovering each partition log. */
  static open(dataDir: string, defaults: TopicDefaults, logger: Logger): LogManager {
    const manager = new LogManager(dataDir, defaults, logger);
    manager.load();
    return manager;
  }

  topic(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  topicNames(): string[] {
    return [...this.topics.keys()].sort();
  }

  /**
   * Creates a topic (partitions -1: the default count). With validateOnly
   * nothing is created and the returned topic has no partition logs.
   */
  createTopic(name: string, partitions: number, configs: Record<string, string>, validateOnly = false): Topic {
    validateTopicName(name);
    if (this.topics.has(name)) throw new KafkaProtocolError(ErrorCode.TOPIC_ALREADY_EXISTS, `topic '${name}' already exists`);
    const count = partitions === -1 ? this.defaults.partitions : partitions;
    if (!Number.isInteger(count) || count < 1 || count > MAX_PARTITIONS) {
      throw new KafkaProtocolError(ErrorCode.INVALID_PARTITIONS, `topic '${name}': partition count ${partitions} must be between 1 and ${MAX_PARTITIONS}`);
    }
    validateConfigs(configs);
    const stored = { ...configs };
    if (validateOnly) return { name, partitions: [], configs: stored };

    const dir = this.topicDir(name);
    // A folder without topic.json left by an interrupted creation: never acknowledged, so not reused.
    if (fs.existsSync(dir)) this.removeTopicDir(name);
    fs.mkdirSync(dir, { recursive: true });
    this.writeMetadata(name, count, stored);
    const topic: Topic = { name, partitions: [], configs: stored };
    this.openPartitions(topic, count);
    this.topics.set(name, topic);
    return topic;
  }

  /** Deletes a topic and its files. */
  deleteTopic(name: string): void {
    const topic = this.existing(name);
    this.topics.delete(name);
    for (const log of topic.partitions) log.close();
    this.removeTopicDir(name);
  }

  /** Grows a topic to totalCount partitions (INVALID_PARTITIONS unless it grows). */
  createPartitions(name: string, totalCount: number, validateOnly = false): void {
    const topic = this.existing(name);
    const current = topic.partitions.length;
    if (!Number.isInteger(totalCount) || totalCount <= current || totalCount > MAX_PARTITIONS) {
      throw new KafkaProtocolError(
        ErrorCode.INVALID_PARTITIONS,
        `topic '${name}' has ${current} partitions; the new count ${totalCount} must be larger, and at most ${MAX_PARTITIONS}`,
      );
    }
    if (validateOnly) return;
    this.writeMetadata(name, totalCount, topic.configs);
    this.openPartitions(topic, totalCount);
  }

  /** Effective topic config (defaults filled in), for DescribeConfigs. */
  describeConfigs(name: string): { name: string; value: string; isDefault: boolean }[] {
    const topic = this.existing(name);
    return Object.keys(TOPIC_CONFIGS)
      .sort()
      .map((key) => {
        const set = Object.hasOwn(topic.configs, key);
        return { name: key, value: set ? topic.configs[key] : TOPIC_CONFIGS[key].defaultValue(this.defaults), isDefault: !set };
      });
  }

  /** Applies retention to every partition. */
  enforceRetention(now: number): void {
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) log.enforceRetention(now);
    }
  }

  /** fsyncs every partition's active segment (the broker's flush timer). */
  syncAll(): void {
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) log.sync();
    }
  }

  close(): void {
    for (const topic of this.topics.values()) {
      for (const log of topic.partitions) log.close();
    }
    this.topics.clear();
  }

  private existing(name: string): Topic {
    const topic = this.topics.get(name);
    if (!topic) throw new KafkaProtocolError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `unknown topic '${name}'`);
    return topic;
  }

  /** Renames first, so a crash half-way through never leaves a partial topic behind. */
  private removeTopicDir(name: string): void {
    // Not named after the topic: a 249-character name plus a prefix would exceed NAME_MAX.
    const trash = path.join(this.topicsDir, `${DELETED_PREFIX}${process.pid}-${this.deletions++}`);
    fs.renameSync(this.topicDir(name), trash);
    fs.rmSync(trash, { recursive: true, force: true });
  }

  private topicDir(name: string): string {
    return path.join(this.topicsDir, name);
  }

  private logConfig(configs: Record<string, string>): LogConfig {
    const num = (key: string, fallback: number) => (Object.hasOwn(configs, key) ? Number(configs[key]) : fallback);
    return {
      segmentBytes: num('segment.bytes', this.defaults.segmentBytes),
      retentionMs: num('retention.ms', this.defaults.retentionMs),
      retentionBytes: num('retention.bytes', this.defaults.retentionBytes),
    };
  }

  private openPartitions(topic: Topic, count: number): void {
    const config = this.logConfig(topic.configs);
    for (let p = topic.partitions.length; p < count; p++) {
      const logger = this.logger.child({ topic: topic.name, partition: p });
      topic.partitions.push(PartitionLog.open(path.join(this.topicDir(topic.name), String(p)), { ...config }, logger));
    }
  }

  private writeMetadata(name: string, partitions: number, configs: Record<string, string>): void {
    const meta: TopicMetadata = { version: 1, name, partitions, configs };
    writeFileAtomic(path.join(this.topicDir(name), METADATA_FILE), JSON.stringify(meta, null, 2) + '\n');
  }

  private load(): void {
    fs.mkdirSync(this.topicsDir, { recursive: true });
    for (const entry of fs.readdirSync(this.topicsDir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(this.topicsDir, entry.name);
      if (entry.name.startsWith(DELETED_PREFIX)) {
        fs.rmSync(dir, { recursive: true, force: true });
        continue;
      }
      const metaFile = path.join(dir, METADATA_FILE);
      if (!fs.existsSync(metaFile)) {
        this.logger.warn('ignoring topic folder without topic.json (creation interrupted?)', { dir });
        continue;
      }
      const meta = JSON.parse(fs.readFileSync(metaFile, 'utf8')) as TopicMetadata;
      if (meta.version !== 1 || meta.name !== entry.name) {
        throw new Error(`unsupported or mismatched topic metadata in ${metaFile}`);
      }
      const topic: Topic = { name: meta.name, partitions: [], configs: meta.configs };
      this.openPartitions(topic, meta.partitions);
      this.topics.set(meta.name, topic);
    }
  }
}
