// The sample events in events/ are what AWS delivers to each function (and what
// `sam local invoke -e` and `slipway invoke` send): each one must parse and pass
// the guard of the function it is named after, so a sample can never drift from
// the shape the handler accepts.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { isHttpApiEvent } from '../../functions/api.js';
import { isWorkerEvent } from '../../functions/worker.js';
import { isKafkaSinkEvent } from '../../src/runtime/sink-event.js';

const EVENTS_DIR = fileURLToPath(new URL('../../events', import.meta.url));

/**
 * The coordinator accepts any event (both of its sources only mean "look now"),
 * so its samples are held to the shape EventBridge sends for the template's
 * 1-minute Schedule rule.
 */
function isScheduledEvent(event: unknown): boolean {
  const e = event as Record<string, unknown> | null;
  return (
    typeof e === 'object' && e !== null && e.version === '0' && e['detail-type'] === 'Scheduled Event' && e.source === 'aws.events' &&
    typeof e.id === 'string' && typeof e.time === 'string' && !Number.isNaN(Date.parse(e.time)) && typeof e.region === 'string' &&
    /^\d{12}$/.test(String(e.account)) && Array.isArray(e.resources) && e.resources.every((r) => typeof r === 'string' && r.startsWith('arn:aws:events:')) &&
    typeof e.detail === 'object' && e.detail !== null
  );
}

/** A sample's file name starts with the function it is for. */
const guards: Array<{ fn: string; prefix: RegExp; guard: (event: unknown) => boolean }> = [
  { fn: 'worker', prefix: /^worker(-|\.json$)/, guard: isWorkerEvent },
  { fn: 'coordinator', prefix: /^coordinator-/, guard: isScheduledEvent },
  { fn: 'api', prefix: /^api-/, guard: isHttpApiEvent },
  { fn: 'sink', prefix: /^sink-/, guard: isKafkaSinkEvent },
];

const files = fs.readdirSync(EVENTS_DIR).filter((f) => f.endsWith('.json')).sort();
const load = (file: string): unknown => JSON.parse(fs.readFileSync(path.join(EVENTS_DIR, file), 'utf8'));
const guardFor = (file: string) => guards.find((g) => g.prefix.test(file));

describe('sample events (events/*.json)', () => {
  it('there is at least one sample for every function', () => {
    for (const { fn } of guards) expect(files.filter((f) => guardFor(f)?.fn === fn), `samples for ${fn}`).not.toHaveLength(0);
  });

  it.each(files)('%s parses and passes the guard of its function', (file) => {
    const entry = guardFor(file);
    expect(entry, `${file} is named after no function (worker*, coordinator-*, api-*)`).toBeDefined();
    const event = load(file);
    expect(entry!.guard(event)).toBe(true);
  });

  it.each(files)('%s is refused by the guards of the other functions', (file) => {
    const event = load(file);
    for (const other of guards.filter((g) => g !== guardFor(file))) expect(other.guard(event), `${other.fn} guard`).toBe(false);
  });

  it('the worker samples are a first start and a hand-off, identifiers only', () => {
    const first = load('worker.json') as Record<string, unknown>;
    const handoff = load('worker-handoff.json') as Record<string, unknown>;
    expect(first.handoffEpoch).toBeUndefined();
    expect(Number.isInteger(handoff.handoffEpoch)).toBe(true);
    expect(Object.keys(handoff).sort()).toEqual(['connector', 'handoffEpoch', 'task']);
    // Async invoke payloads are capped at 1 MB: configs and records never travel in them.
    expect(JSON.stringify(handoff).length).toBeLessThan(256);
  });
});
