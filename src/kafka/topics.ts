// Topics are created on demand, as Kafka Connect does with topic.creation.default.*.
import type { Admin } from 'kafkajs';

export interface TopicCreationSettings {
  partitions: number;
  replicationFactor: number;
}

/** Remembers what exists, so the admin round trip happens once per topic per invocation. */
export class TopicCreator {
  private readonly known = new Set<string>();

  constructor(
    private readonly admin: Admin,
    private readonly settings: TopicCreationSettings,
  ) {}

  async ensure(topics: Iterable<string>): Promise<void> {
    const missing = [...new Set(topics)].filter((t) => !this.known.has(t));
    if (missing.length === 0) return;
    const existing = new Set(await this.admin.listTopics());
    const create = missing.filter((t) => !existing.has(t));
    if (create.length > 0) {
      // A topic created concurrently by another task is fine: createTopics then returns false.
      await this.admin.createTopics({
        waitForLeaders: true,
        topics: create.map((topic) => ({ topic, numPartitions: this.settings.partitions, replicationFactor: this.settings.replicationFactor })),
      });
    }
    for (const t of missing) this.known.add(t);
  }
}
