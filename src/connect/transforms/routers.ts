// The two topic routers. TimestampRouter: `topic.format` with ${topic} and
// ${timestamp}, the record timestamp in `timestamp.format` (a Java date
// pattern, UTC; see java-date.ts). RegexRouter: if the topic matches `regex`
// in full (Java's Matcher.matches), it becomes `replacement`, written in
// Java's syntax: $1 / ${name} for groups, \$ and \\ for literals.

import { defineConfig, nonEmptyString, validator } from '../config/config-def.js';
import { ConfigError, DataError } from '../errors.js';
import type { Transformation } from '../plugin.js';
import type { ConnectRecord } from '../record.js';
import { JavaDateFormat } from './java-date.js';
import { isNullish } from './util.js';

const datePattern = validator('a Java SimpleDateFormat pattern, e.g. yyyyMMdd', (v) => {
  try {
    new JavaDateFormat(v as string);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
});

const timestampRouterSpec = defineConfig([
  { name: 'topic.format', type: 'string', default: '${topic}-${timestamp}', validator: nonEmptyString, importance: 'high', doc: 'Format string which can contain ${topic} and ${timestamp} as placeholders for the topic and timestamp, respectively.' },
  { name: 'timestamp.format', type: 'string', default: 'yyyyMMdd', validator: datePattern, importance: 'high', doc: 'Format string for the timestamp that is compatible with java.text.SimpleDateFormat (UTC). YYYY is read as yyyy.' },
]);

export class TimestampRouter implements Transformation {
  #topicFormat = '';
  #format = new JavaDateFormat('yyyyMMdd');
  #last: { ts: number; topic: string; routed: string } = { ts: NaN, topic: '', routed: '' };

  config() {
    return timestampRouterSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = timestampRouterSpec.parse(config);
    this.#topicFormat = c['topic.format'];
    this.#format = new JavaDateFormat(c['timestamp.format']);
  }

  apply<R extends ConnectRecord>(record: R): R {
    if (isNullish(record.timestamp)) throw new DataError(`Timestamp missing on record: topic ${record.topic}`);
    // Records of a batch mostly share topic and format period: remember the last answer.
    if (record.timestamp !== this.#last.ts || record.topic !== this.#last.topic) {
      const ts = this.#format.format(new Date(record.timestamp));
      this.#last = { ts: record.timestamp, topic: record.topic, routed: this.#topicFormat.replaceAll('${topic}', record.topic).replaceAll('${timestamp}', ts) };
    }
    return { ...record, topic: this.#last.routed };
  }
}

type Part = string | { group: number | string };

/** Java's Matcher replacement syntax → parts; `groupCount` decides how many digits `$12` takes, as Java does. */
export function parseJavaReplacement(replacement: string, groupCount: number, names: ReadonlySet<string>): Part[] {
  const parts: Part[] = [];
  let lit = '';
  for (let i = 0; i < replacement.length; i++) {
    const ch = replacement[i]!;
    if (ch === '\\') {
      if (i + 1 >= replacement.length) throw new Error('character to be escaped is missing');
      lit += replacement[++i];
    } else if (ch === '$') {
      if (i + 1 >= replacement.length) throw new Error('Illegal group reference: group index is missing');
      if (replacement[i + 1] === '{') {
        const end = replacement.indexOf('}', i + 2);
        const name = end < 0 ? '' : replacement.slice(i + 2, end);
        if (!name || !names.has(name)) throw new Error(`No group with name {${name}}`);
        if (lit) parts.push(lit);
        lit = '';
        parts.push({ group: name });
        i = end;
        continue;
      }
      let j = i + 1;
      if (!/[0-9]/.test(replacement[j] ?? '')) throw new Error('Illegal group reference');
      let n = Number(replacement[j]);
      if (n > groupCount) throw new Error(`No group ${n}`);
      while (j + 1 < replacement.length && /[0-9]/.test(replacement[j + 1]!) && n * 10 + Number(replacement[j + 1]) <= groupCount) n = n * 10 + Number(replacement[++j]);
      if (lit) parts.push(lit);
      lit = '';
      parts.push({ group: n });
      i = j;
    } else lit += ch;
  }
  if (lit) parts.push(lit);
  return parts;
}

function compileRegex(source: string): RegExp {
  return new RegExp(`^(?:${source})$`);
}

const regexValidator = validator('valid regex', (v) => {
  try {
    compileRegex(v as string);
    return undefined;
  } catch (err) {
    return `Invalid regex: ${(err as Error).message}`;
  }
});

const regexRouterSpec = defineConfig([
  { name: 'regex', type: 'string', required: true, validator: regexValidator, importance: 'high', doc: 'Regular expression to use for matching.' },
  { name: 'replacement', type: 'string', required: true, importance: 'high', doc: 'Replacement string.' },
]);

export class RegexRouter implements Transformation {
  #regex = /^$/;
  #parts: Part[] = [];

  config() {
    return regexRouterSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    const c = regexRouterSpec.parse(config);
    this.#regex = compileRegex(c.regex);
    // Count groups by matching the empty alternative: (?:re)|  always matches '' with every group present.
    const groupCount = new RegExp(`(?:${c.regex})|`).exec('')!.length - 1;
    const names = new Set(Object.keys(new RegExp(`(?:${c.regex})|`).exec('')!.groups ?? {}));
    try {
      // The config layer trims values; a replacement is used as written.
      this.#parts = parseJavaReplacement(config.replacement ?? c.replacement, groupCount, names);
    } catch (err) {
      throw new ConfigError({ field: 'replacement', message: `Invalid value ${c.replacement} for configuration replacement: ${(err as Error).message}` });
    }
  }

  apply<R extends ConnectRecord>(record: R): R {
    const m = this.#regex.exec(record.topic);
    if (!m) return record;
    const topic = this.#parts.map((p) => (typeof p === 'string' ? p : ((typeof p.group === 'number' ? m[p.group] : m.groups?.[p.group]) ?? ''))).join('');
    return { ...record, topic };
  }
}
