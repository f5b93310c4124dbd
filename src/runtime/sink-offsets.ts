// A sink connector's offsets are its consumer groups' committed offsets in
// Kafka (the event source mappings commit them after each successful batch),
// shown and changed in Kafka Connect's REST shape:
//   {"partition": {"kafka_topic", "kafka_partition"}, "offset": {"kafka_offset"}}
// The groups are those of src/runtime/sink-mappings.ts: `connect-<name>` for a
// connector of one topic, `connect-<name>-<topic>` per topic otherwise.
// Changes need the connector STOPPED (its mappings disabled, so no member is in
// the group), which the REST API checks first.
import type { Admin, Kafka } from 'kafkajs';
import { DataError } from '../connect/errors.js';
import { sinkGroupId, sinkTopics } from './sink-mappings.js';

export interface SinkOffset {
  partition: { kafka_topic: string; kafka_partition: number };
  offset: { kafka_offset: number } | null;
}

async function earliest(admin: Admin, topic: string, partition: number): Promise<string> {
  const found = (await admin.fetchTopicOffsets(topic)).find((p) => p.partition === partition);
  if (!found) throw new DataError(`${topic} has no partition ${partition}`);
  return found.low;
}

export class SinkGroupOffsets {
  constructor(private readonly kafka: Kafka) {}

  /** The committed offset of every partition of the connector's topics that has one. */
  async read(connector: string, config: Readonly<Record<string, string>>): Promise<SinkOffset[]> {
    return this.withAdmin(async (admin) => {
      const out: SinkOffset[] = [];
      for (const [topic, groupId] of await this.groups(admin, connector, config)) {
        const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
        for (const p of fetched?.partitions ?? []) {
          const offset = Number(p.offset);
          if (offset >= 0) out.push({ partition: { kafka_topic: topic, kafka_partition: p.partition }, offset: { kafka_offset: offset } });
        }
      }
      return out;
    });
  }

  /** Commits the given offsets for the group that reads each topic. */
  async alter(connector: string, config: Readonly<Record<string, string>>, entries: readonly SinkOffset[]): Promise<void> {
    await this.withAdmin(async (admin) => {
      const groups = new Map(await this.groups(admin, connector, config));
      for (const { partition, offset } of entries) {
        const groupId = groups.get(partition.kafka_topic);
        if (groupId === undefined) throw new DataError(`${partition.kafka_topic} is not a topic of sink connector ${connector}`);
        // A null offset resets the partition. The client has no OffsetDelete; committing the
        // partition's earliest offset has the same effect for a mapping starting at TRIM_HORIZON.
        const position = offset === null ? await earliest(admin, partition.kafka_topic, partition.kafka_partition) : String(offset.kafka_offset);
        await admin.setOffsets({ groupId, topic: partition.kafka_topic, partitions: [{ partition: partition.kafka_partition, offset: position }] });
      }
    });
  }

  /** Deletes the connector's consumer groups, as Kafka Connect does: the mappings then start from their starting position. */
  async reset(connector: string, config: Readonly<Record<string, string>>): Promise<void> {
    await this.withAdmin(async (admin) => {
      const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
      const groups = [...new Set((await this.groups(admin, connector, config)).map(([, g]) => g))].filter((g) => existing.has(g));
      if (groups.length > 0) await admin.deleteGroups(groups);
    });
  }

  /** [topic, group id] for each topic the connector reads. */
  private async groups(admin: Admin, connector: string, config: Readonly<Record<string, string>>): Promise<[string, string][]> {
    const topics = await sinkTopics(config, () => admin.listTopics());
    const single = topics.length === 1 && !config['topics.regex']?.trim();
    return topics.map((t) => [t, sinkGroupId(connector, single ? undefined : t)]);
  }

  private async withAdmin<T>(fn: (admin: Admin) => Promise<T>): Promise<T> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      return await fn(admin);
    } finally {
      await admin.disconnect();
    }
  }
}
