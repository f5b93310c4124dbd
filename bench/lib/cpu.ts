// CPU time of groups of processes, read from /proc (Linux): what a benchmark
// needs to say where a run's time went when the machine's cores are the limit.
// Elsewhere every reading is NaN and the figures print as "n/a".
import fs from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ, 100 on every Linux this runs on

interface Proc {
  pid: number;
  ppid: number;
  cmdline: string;
  /** utime + stime, seconds. */
  cpu: number;
}

function processes(): Proc[] | undefined {
  if (process.platform !== 'linux') return undefined;
  const out: Proc[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      // Fields after "(comm)": state ppid … utime(14th overall) stime(15th).
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({
        pid: Number(name),
        ppid: Number(f[1]),
        cmdline: fs.readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' '),
        cpu: (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND,
      });
    } catch {
      // Gone between the listing and the read.
    }
  }
  return out;
}

/** Picks the processes of a group: those matching, and (with tree) their descendants. */
export interface CpuGroup {
  name: string;
  match(p: { pid: number; cmdline: string }): boolean;
  /** Count the matching processes' children too (a PostgreSQL postmaster's backends). */
  tree?: boolean;
}

/** CPU seconds used so far by each group (processes that exited are not counted). */
export function cpuReading(groups: readonly CpuGroup[]): Map<string, number> {
  const all = processes();
  const out = new Map<string, number>();
  for (const g of groups) {
    if (!all) {
      out.set(g.name, Number.NaN);
      continue;
    }
    const picked = new Set(all.filter((p) => g.match(p)).map((p) => p.pid));
    if (g.tree) {
      for (let grew = true; grew; ) {
        grew = false;
        for (const p of all) {
          if (picked.has(p.pid) || !picked.has(p.ppid)) continue;
          picked.add(p.pid);
          grew = true;
        }
      }
    }
    out.set(g.name, all.filter((p) => picked.has(p.pid)).reduce((s, p) => s + p.cpu, 0));
  }
  return out;
}

/** µs of CPU per item between two readings, per group, e.g. "sink function 26.1 µs". */
export function cpuPerItem(before: Map<string, number>, after: Map<string, number>, items: number): Array<[string, number]> {
  return [...after].map(([name, s]) => [name, ((s - (before.get(name) ?? 0)) * 1e6) / items]);
}

export function formatCpu(parts: Array<[string, number]>): string {
  const total = parts.reduce((s, [, us]) => s + us, 0);
  const fmt = (us: number) => (Number.isNaN(us) ? 'n/a' : `${us.toFixed(1)} µs`);
  return `${parts.map(([name, us]) => `${name} ${fmt(us)}`).join(', ')} (${fmt(total)})`;
}
