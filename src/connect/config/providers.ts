// Config providers, as Kafka's: a config value may hold placeholders that are
// resolved only inside the invocation that uses the config. Stored and
// returned configs keep them as written.
//
//   ${file:<path>:<key>}        key of a Java .properties file (path relative to cwd)
//   ${env:<VAR>} ${env::<VAR>}  an environment variable
//   ${directory:<dir>:<file>}   the whole content of <dir>/<file> (as Kafka: not trimmed)
//
// Syntax as Kafka's ConfigTransformer: `${provider:[path:]key}`, the provider up
// to the first colon, the path up to the next one, the key the rest. Several
// placeholders may stand in one value. A failure names the config key and the
// placeholder, never a resolved value.

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, type ConfigIssue } from '../errors.js';

const PLACEHOLDER = /\$\{([^}]*?):(?:([^}]*?):)?([^}]*?)\}/g;

/** Whether `value` holds at least one `${provider:...}` placeholder. */
export function hasPlaceholder(value: string): boolean {
  PLACEHOLDER.lastIndex = 0;
  return PLACEHOLDER.test(value);
}

export interface ResolveOptions {
  /** Environment for ${env:...}; default process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths are resolved against; default process.cwd(). */
  cwd?: string;
}

interface Placeholder {
  text: string;
  provider: string;
  path: string | undefined;
  key: string;
}

/** A failure to resolve one placeholder; the caller adds which config key it was in. */
class Unresolvable extends Error {}

/**
 * The config with every placeholder replaced. Throws one ConfigError listing
 * every placeholder that could not be resolved (config key + placeholder).
 */
export async function resolveConfig(raw: Readonly<Record<string, string>>, opts: ResolveOptions = {}): Promise<Record<string, string>> {
  const { resolved, issues } = await resolveConfigPartial(raw, opts);
  if (issues.length > 0) throw new ConfigError(issues);
  return resolved;
}

/**
 * As resolveConfig, but never throws for an unresolvable placeholder: its
 * config value is kept as written and the problem is returned beside it.
 */
export async function resolveConfigPartial(raw: Readonly<Record<string, string>>, opts: ResolveOptions = {}): Promise<{ resolved: Record<string, string>; issues: ConfigIssue[] }> {
  const env = opts.env ?? process.env;
  const cwd = opts.cwd ?? process.cwd();
  const files = new Map<string, Promise<string>>();
  const read = (p: string) => {
    const abs = path.resolve(cwd, p);
    let content = files.get(abs);
    if (!content) files.set(abs, (content = readFile(abs, 'utf8')));
    return content;
  };
  const propertiesFiles = new Map<string, Promise<Map<string, string>>>();
  const readProperties = (p: string) => {
    let props = propertiesFiles.get(p);
    if (!props) propertiesFiles.set(p, (props = read(p).then(parseProperties)));
    return props;
  };

  async function resolveOne(ph: Placeholder): Promise<string> {
    switch (ph.provider) {
      case 'env': {
        if (ph.path) throw new Unresolvable('the env provider takes no path: write ${env:VAR} or ${env::VAR}');
        const v = env[ph.key];
        if (v === undefined) throw new Unresolvable(`environment variable ${ph.key} is not set`);
        return v;
      }
      case 'file': {
        if (!ph.path) throw new Unresolvable('the file provider needs a path: ${file:<path>:<key>}');
        const props = await readProperties(ph.path).catch((err: NodeJS.ErrnoException) => {
          throw new Unresolvable(err.code ? `cannot read file ${ph.path} (${err.code})` : `invalid properties file ${ph.path}: ${err.message}`);
        });
        const v = props.get(ph.key);
        if (v === undefined) throw new Unresolvable(`key ${ph.key} not found in ${ph.path}`);
        return v;
      }
      case 'directory': {
        if (!ph.path) throw new Unresolvable('the directory provider needs a directory: ${directory:<dir>:<file>}');
        if (ph.key === '' || ph.key === '.' || ph.key === '..' || /[/\\]/.test(ph.key)) throw new Unresolvable(`${JSON.stringify(ph.key)} is not a file name inside ${ph.path}`);
        return read(path.join(ph.path, ph.key)).catch((err: NodeJS.ErrnoException) => {
          throw new Unresolvable(`cannot read file ${ph.key} in directory ${ph.path} (${err.code ?? err.message})`);
        });
      }
      default:
        throw new Unresolvable(`unknown config provider "${ph.provider}" (known: file, env, directory)`);
    }
  }

  const out: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  await Promise.all(
    Object.entries(raw).map(async ([configKey, value]) => {
      const found = findPlaceholders(value);
      if (found.length === 0) {
        out[configKey] = value;
        return;
      }
      let failed = false;
      const resolved = await Promise.all(
        found.map((ph) =>
          resolveOne(ph).catch((err: unknown) => {
            if (!(err instanceof Unresolvable)) throw err;
            issues.push({ field: configKey, message: `Could not resolve ${ph.text} in configuration ${configKey}: ${err.message}` });
            failed = true;
            return '';
          }),
        ),
      );
      let i = 0;
      out[configKey] = failed ? value : value.replace(PLACEHOLDER, () => resolved[i++]!);
    }),
  );
  issues.sort((a, b) => (a.field < b.field ? -1 : a.field > b.field ? 1 : 0));
  // Keep the caller's key order.
  return { resolved: Object.fromEntries(Object.keys(raw).map((k) => [k, out[k]!])), issues };
}

function findPlaceholders(value: string): Placeholder[] {
  return [...value.matchAll(PLACEHOLDER)].map((m) => ({ text: m[0], provider: m[1]!, path: m[2], key: m[3]! }));
}

// ---- java.util.Properties ------------------------------------------------------

const WS = ' \t\f';

/**
 * Parses a .properties file as java.util.Properties.load does: natural lines
 * end at \n, \r or \r\n; a line ending in an odd number of backslashes
 * continues on the next one, whose leading whitespace is dropped; blank lines
 * and lines whose first non-blank character is # or ! are comments (a comment
 * never continues). The key ends at the first unescaped `=`, `:` or
 * whitespace; whitespace, then at most one `=` or `:`, then whitespace
 * separate it from the value, which keeps its trailing whitespace. Escapes:
 * \t \n \r \f, \uXXXX, and a backslash before any other character stands for
 * that character. The last of repeated keys wins.
 */
export function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  let i = 0;
  while (i < lines.length) {
    let logical = trimLeading(lines[i++]!);
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue;
    while (endsInOddBackslashes(logical)) {
      logical = logical.slice(0, -1);
      if (i >= lines.length) break;
      logical += trimLeading(lines[i++]!);
    }
    const [key, value] = splitKeyValue(logical);
    props.set(unescape(key), unescape(value));
  }
  return props;
}

function trimLeading(s: string): string {
  let j = 0;
  while (j < s.length && WS.includes(s[j]!)) j++;
  return s.slice(j);
}

function endsInOddBackslashes(s: string): boolean {
  let n = 0;
  for (let j = s.length - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

function splitKeyValue(line: string): [string, string] {
  let keyEnd = 0;
  let valueStart = line.length;
  let hasSeparator = false;
  let escaped = false;
  for (; keyEnd < line.length; keyEnd++) {
    const c = line[keyEnd]!;
    if (!escaped && (c === '=' || c === ':')) {
      valueStart = keyEnd + 1;
      hasSeparator = true;
      break;
    }
    if (!escaped && WS.includes(c)) {
      valueStart = keyEnd + 1;
      break;
    }
    escaped = c === '\\' ? !escaped : false;
  }
  for (; valueStart < line.length; valueStart++) {
    const c = line[valueStart]!;
    if (WS.includes(c)) continue;
    if (!hasSeparator && (c === '=' || c === ':')) {
      hasSeparator = true;
      continue;
    }
    break;
  }
  return [line.slice(0, keyEnd), line.slice(valueStart)];
}

const SIMPLE_ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(s: string): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let j = 0; j < s.length; j++) {
    const c = s[j]!;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = s[++j];
    if (next === undefined) break;
    if (next === 'u') {
      const hex = s.slice(j + 1, j + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error('Malformed \\uxxxx encoding');
      out += String.fromCharCode(parseInt(hex, 16));
      j += 4;
    } else {
      out += SIMPLE_ESCAPES[next] ?? next;
    }
  }
  return out;
}
