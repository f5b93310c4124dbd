// kcat -G (librdkafka balanced consumer) members for the group tests: start one
// with fast timers, and read its current assignment from what it prints.
import { spawnKcat } from './kcat.js';

export type KcatMember = ReturnType<typeof spawnKcat>;

/**
 * A kcat group member printing 'partition|offset|value' lines. Short session
 * timeout and heartbeats so evictions and rebalances take seconds, not minutes.
 */
export function spawnKcatMember(bootstrap: string, groupId: string, topics: string[], extra: string[] = []): KcatMember {
  return spawnKcat([
    '-b', bootstrap,
    '-G', groupId,
    '-f', '%p|%o|%s\\n',
    '-u',
    '-X', 'session.timeout.ms=6000',
    '-X', 'heartbeat.interval.ms=500',
    '-X', 'fetch.wait.max.ms=100',
    '-X', 'topic.metadata.refresh.interval.ms=1000',
    '-X', 'auto.offset.reset=earliest',
    '-X', 'auto.commit.interval.ms=200',
    ...extra,
    ...topics,
  ]);
}

/**
 * The partitions kcat holds now: the last "Group G rebalanced (memberid M):
 * assigned: t [0], t [1]" line, or [] after a "revoked:" line.
 * Undefined before the first rebalance.
 */
export function kcatAssignment(stderr: string): number[] | undefined {
  const lines = stderr.split('\n').filter((l) => / rebalanced \(memberid [^)]*\): (assigned|revoked): /.test(l));
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  if (/: revoked: /.test(last)) return [];
  return [...last.slice(last.indexOf('assigned: ')).matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1])).sort((a, b) => a - b);
}

/** The records a kcat member printed with the format above. */
export function kcatRecords(stdout: string): Array<{ partition: number; offset: number; value: string }> {
  return stdout
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => {
      const [p, o, ...v] = l.split('|');
      return { partition: Number(p), offset: Number(o), value: v.join('|') };
    });
}
