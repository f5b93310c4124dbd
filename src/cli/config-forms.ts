// Connector config files in the three forms users already have, read
// unchanged into one shape, {name, config, initialState?}:
//
//   Kafka Connect JSON      {"name": "n", "config": {...}, "initial_state"?: "PAUSED"}
//                           or a bare config with a "name" key (connect-standalone's form)
//   Strimzi KafkaConnector  apiVersion kafka.strimzi.io/v1beta2 (v1alpha1, v1), kind
//                           KafkaConnector, metadata.name, spec.{class, tasksMax, config,
//                           state | pause, autoRestart}; several documents → several connectors
//   MSK Connect properties  key=value lines (java.util.Properties syntax), # comments;
//                           the name from name=, else from the file name
//
// The form is read from the content: a leading `{` is JSON, a top-level
// `apiVersion:` / `kind:` or a `---` document marker is YAML. Without such a
// sign the extension decides (.json, .yaml/.yml), and anything else is
// properties.
//
// Decisions:
// - Values are strings, as Kafka Connect stores them. A number or boolean is
//   kept as written (`1.50` stays "1.50", an integer past 2^53 keeps every
//   digit), as Kafka Connect's Jackson mapping does for JSON; null, lists and
//   objects are refused, naming the field.
// - Placeholders (`${file:…}`, Strimzi's `${secrets:ns/name:key}`, `${env:VAR}`)
//   pass through as written.
// - The config always carries `name` (as Kafka Connect stores it), so the
//   three forms of one connector read into equal definitions.
// - Strimzi is declarative: no spec.state means running (Strimzi's default),
//   so a Strimzi file always brings a state. The JSON form brings one only
//   with `initial_state`; the properties form never.
// - Strimzi's spec.class / spec.tasksMax win over connector.class / tasks.max
//   in spec.config (with a warning), as Strimzi's operator does; autoRestart
//   maps to Slipway's slipway.auto.restart.* keys. Documents of other kinds
//   (a KafkaConnect next to its connectors) are skipped with a warning.
// - A repeated key: JSON and properties keep the last value, as Kafka Connect
//   and java.util.Properties do, with a warning; YAML refuses it, as kubectl does.
import fs from 'node:fs/promises';
import path from 'node:path';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseAllDocuments, parseDocument, type Document, type Node, type YAMLMap } from 'yaml';
import { parseProperties } from '../connect/config/providers.js';

export type ConnectorTargetState = 'RUNNING' | 'PAUSED' | 'STOPPED';

export interface ConnectorDefinition {
  name: string;
  config: Record<string, string>;
  /** The state the file asks for; absent when the form has none (apply leaves the state alone). */
  initialState?: ConnectorTargetState;
}

export type ConfigForm = 'kafka-connect-json' | 'strimzi-yaml' | 'msk-properties';

export const FORM_NAMES: Record<ConfigForm, string> = {
  'kafka-connect-json': 'Kafka Connect JSON',
  'strimzi-yaml': 'Strimzi KafkaConnector YAML',
  'msk-properties': 'MSK Connect properties',
};

export interface ParsedConfigFile {
  /** As given; `-` is standard input. */
  file: string;
  form: ConfigForm;
  connectors: ConnectorDefinition[];
  /** Things that were ignored or overridden, each naming the file and line. */
  warnings: string[];
}

/** A file that cannot be read as a connector config: `file:line: field: problem`. */
export class ConfigFormError extends Error {
  override readonly name = 'ConfigFormError';
  constructor(
    readonly file: string,
    readonly problem: string,
    readonly line?: number,
    readonly field?: string,
  ) {
    super(`${location(file, line)}: ${field ? `${field}: ` : ''}${problem}`);
  }
}

const STDIN = '-';
const STATES: readonly ConnectorTargetState[] = ['RUNNING', 'PAUSED', 'STOPPED'];
const STRIMZI_API_VERSIONS = ['kafka.strimzi.io/v1beta2', 'kafka.strimzi.io/v1alpha1', 'kafka.strimzi.io/v1'];
/** Strimzi spec fields Slipway has no use for: other ways exist (`slipway offsets`). */
const STRIMZI_IGNORED_SPEC = new Set(['listOffsets', 'alterOffsets', 'version']);
const STRIMZI_SPEC = new Set(['class', 'tasksMax', 'config', 'state', 'pause', 'autoRestart', ...STRIMZI_IGNORED_SPEC]);
/** Keys of a JSON connector next to name and config: GET /connectors/{n} answers with tasks and type, and people save that. */
const JSON_IGNORED_KEYS = new Set(['tasks', 'type']);

function location(file: string, line?: number): string {
  const shown = file === STDIN ? '<stdin>' : file;
  return line === undefined ? shown : `${shown}:${line}`;
}

/** Reads and parses one file; `-` reads standard input. */
export async function readConfigFile(file: string): Promise<ParsedConfigFile> {
  let text: string;
  try {
    text = file === STDIN ? await readStdin() : await fs.readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory; name the files one by one (-f a.yaml -f b.json)' : code ?? (err as Error).message;
    throw new ConfigFormError(file, `cannot read: ${why}`);
  }
  return parseConfigText(text, file);
}

/** All of standard input, as UTF-8. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Which form `text` is in; `file` (its extension) breaks ties. */
export function detectForm(text: string, file: string): ConfigForm {
  const firstLine = text
    .replace(/^\uFEFF/, '')
    .split(/\r\n|\r|\n/)
    .map((l) => l.trim())
    .find((l) => l !== '' && !l.startsWith('#') && !l.startsWith('!') && !l.startsWith('//'));
  if (firstLine?.startsWith('{') || firstLine?.startsWith('[')) return 'kafka-connect-json';
  if (/^(apiVersion|kind)[ \t]*:/m.test(text) || /^(---|%YAML)/m.test(text)) return 'strimzi-yaml';
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return 'kafka-connect-json';
  if (ext === '.yaml' || ext === '.yml') return 'strimzi-yaml';
  return 'msk-properties';
}

/** Parses the text of one file (the name is for messages and, for properties, the connector name). */
export function parseConfigText(text: string, file: string): ParsedConfigFile {
  const body = text.replace(/^\uFEFF/, '');
  const form = detectForm(body, file);
  const warnings: string[] = [];
  const connectors =
    form === 'kafka-connect-json' ? [parseConnectJson(body, file, warnings)] : form === 'strimzi-yaml' ? parseStrimzi(body, file, warnings) : [parseMskProperties(body, file, warnings)];
  return { file, form, connectors, warnings };
}

// ---- YAML nodes, shared by the JSON and Strimzi forms -----------------------

/** Positions and failures of one parsed document. */
class Source {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
    readonly doc: Document.Parsed,
    private readonly warnings: string[],
  ) {}

  line(node: Node | null | undefined): number | undefined {
    const start = node?.range?.[0];
    return start === undefined ? undefined : this.lines.linePos(start).line;
  }

  fail(node: Node | null | undefined, field: string | undefined, problem: string): never {
    throw new ConfigFormError(this.file, problem, this.line(node), field);
  }

  warn(node: Node | null | undefined, message: string): void {
    this.warnings.push(`${location(this.file, this.line(node))}: ${message}`);
  }

  /** The node behind an alias (`*ref`). */
  resolve(node: unknown): Node | null {
    if (isAlias(node)) return (node.resolve(this.doc) as Node | undefined) ?? null;
    return (node as Node | null | undefined) ?? null;
  }

  /** A mapping's entries in order, keys as strings. */
  entries(map: YAMLMap, field: string): { key: string; keyNode: Node | null; value: Node | null }[] {
    return map.items.map((pair) => {
      const keyNode = this.resolve(pair.key);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') this.fail(keyNode ?? map, field, 'every key must be a plain name');
      const key = typeof keyNode.value === 'string' ? keyNode.value : (keyNode.source ?? String(keyNode.value));
      return { key, keyNode, value: this.resolve(pair.value) };
    });
  }

  /** A config value as Kafka Connect stores it: strings as they are, numbers and booleans as written. */
  configValue(node: Node | null, field: string, near: Node | null): string {
    if (isScalar(node)) {
      const v = node.value;
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return node.source ?? String(v);
      if (v === null) this.fail(node, field, 'has no value (null); write "" for an empty string');
    }
    this.fail(node ?? near, field, `must be a single value (string, number or boolean), got ${describeNode(node)}`);
  }

  /** An optional string field. */
  string(node: Node | null, field: string): string | undefined {
    if (node === null || (isScalar(node) && node.value === null)) return undefined;
    if (isScalar(node) && typeof node.value === 'string') return node.value;
    this.fail(node, field, `must be a string, got ${describeNode(node)}`);
  }
}

function describeNode(node: Node | null): string {
  if (node === null) return 'nothing';
  if (isMap(node)) return 'a mapping';
  if (isSeq(node)) return 'a list';
  if (isScalar(node)) {
    const v = node.value;
    if (v === null) return 'null';
    return typeof v === 'string' ? `string ${JSON.stringify(v)}` : `${typeof v} ${node.source ?? String(v)}`;
  }
  return 'something else';
}

function checkKey(src: Source, key: string, node: Node | null, field: string): void {
  if (key.trim() === '') src.fail(node, field, 'has an empty key');
  if (key === '__proto__') src.fail(node, field, '__proto__ is not a config name');
}

/** The name, trimmed as Kafka trims it; checked against a `name` in the config. */
function finishDefinition(src: Source, name: string, nameNode: Node | null, field: string, config: Map<string, string>, initialState?: ConnectorTargetState): ConnectorDefinition {
  const trimmed = name.trim();
  if (trimmed === '') src.fail(nameNode, field, 'the connector name must not be empty');
  const inConfig = config.get('name');
  if (inConfig !== undefined && inConfig !== trimmed) src.fail(nameNode, field, `the connector is named "${trimmed}" but its config says name=${JSON.stringify(inConfig)}`);
  config.set('name', trimmed);
  return { name: trimmed, config: Object.fromEntries(config), ...(initialState ? { initialState } : {}) };
}

// ---- Kafka Connect JSON -------------------------------------------------------

function parseConnectJson(text: string, file: string, warnings: string[]): ConnectorDefinition {
  // JSON.parse is the strict gate (YAML would take `{a: 1}`); the YAML reading
  // of the same text then gives line numbers and numbers as written.
  try {
    JSON.parse(text);
  } catch (err) {
    throw new ConfigFormError(file, `not valid JSON: ${jsonErrorAt(text, (err as Error).message)}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  const src: Source = new Source(file, lines, doc, warnings);
  const root = src.resolve(doc.contents);
  if (isSeq(root)) src.fail(root, undefined, 'is a JSON array; expected one connector: {"name": ..., "config": {...}}');
  if (!isMap(root)) src.fail(root, undefined, `expected a connector {"name": ..., "config": {...}}, got ${describeNode(root)}`);

  const top = src.entries(root, 'the top level');
  const configEntry = top.find((e) => e.key === 'config');
  const nameEntry = top.find((e) => e.key === 'name');
  if (configEntry && !isMap(configEntry.value)) src.fail(configEntry.value ?? configEntry.keyNode, 'config', `must be an object of config names to values, got ${describeNode(configEntry.value)}`);
  if (!configEntry) {
    // connect-standalone's form: the config itself, with its name inside.
    const config = jsonConfig(src, root, '');
    const name = config.get('name');
    if (name === undefined) src.fail(root, undefined, 'no connector name: expected {"name": ..., "config": {...}} or a config with a "name" key');
    return finishDefinition(src, name, nameEntry?.value ?? root, 'name', config);
  }

  let initialState: ConnectorTargetState | undefined;
  for (const { key, keyNode, value } of top) {
    if (key === 'name' || key === 'config') continue;
    if (key === 'initial_state') initialState = stateValue(src, value, 'initial_state');
    else if (!JSON_IGNORED_KEYS.has(key)) src.warn(keyNode, `"${key}" is not part of a connector {"name", "config", "initial_state"}; ignored`);
  }
  const config = jsonConfig(src, configEntry.value as YAMLMap, 'config.');
  const name = nameEntry ? src.string(nameEntry.value, 'name') : undefined;
  const resolved = name ?? config.get('name');
  if (resolved === undefined) src.fail(root, 'name', 'missing: expected {"name": ..., "config": {...}}');
  return finishDefinition(src, resolved, nameEntry?.value ?? configEntry.keyNode, 'name', config, initialState);
}

function jsonConfig(src: Source, map: YAMLMap, prefix: string): Map<string, string> {
  const config = new Map<string, string>();
  const lineOf = new Map<string, number | undefined>();
  for (const { key, keyNode, value } of src.entries(map, prefix ? 'config' : 'the config')) {
    const field = `${prefix}${key}`;
    checkKey(src, key, keyNode, field);
    if (config.has(key)) src.warn(keyNode, `${field} repeats the key of line ${lineOf.get(key)}; the last value wins, as in Kafka Connect`);
    config.set(key, src.configValue(value, field, keyNode));
    lineOf.set(key, src.line(keyNode));
  }
  return config;
}

function stateValue(src: Source, node: Node | null, field: string): ConnectorTargetState {
  const raw = src.string(node, field);
  const upper = raw?.trim().toUpperCase();
  if (!STATES.includes(upper as ConnectorTargetState)) src.fail(node, field, `must be one of ${STATES.join(', ')}, got ${describeNode(node)}`);
  return upper as ConnectorTargetState;
}

/** V8's JSON.parse message, with the line and column when it names a position. */
export function jsonErrorAt(text: string, message: string): string {
  const m = /at position (\d+)/.exec(message);
  if (!m || /\(line \d+/.test(message)) return message;
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return `${message.replace(/ in JSON at position \d+.*$/, '')} at line ${line}, column ${column}`;
}

// ---- Strimzi KafkaConnector ---------------------------------------------------

function parseStrimzi(text: string, file: string, warnings: string[]): ConnectorDefinition[] {
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, prettyErrors: false });
  const connectors: ConnectorDefinition[] = [];
  for (const doc of Array.isArray(docs) ? docs : []) {
    const problem = doc.errors[0];
    if (problem) throw new ConfigFormError(file, `not valid YAML: ${problem.message.split('\n')[0]}`, lines.linePos(problem.pos[0]).line);
    const connector = strimziConnector(new Source(file, lines, doc, warnings));
    if (connector) connectors.push(connector);
  }
  if (connectors.length === 0) throw new ConfigFormError(file, 'no KafkaConnector resource in this file (expected apiVersion: kafka.strimzi.io/v1beta2, kind: KafkaConnector)');
  const seen = new Set<string>();
  for (const c of connectors) {
    if (seen.has(c.name)) throw new ConfigFormError(file, `two KafkaConnector resources are named "${c.name}"`);
    seen.add(c.name);
  }
  return connectors;
}

/** The connector of one document; undefined for an empty document or another kind of resource. */
function strimziConnector(src: Source): ConnectorDefinition | undefined {
  const root = src.resolve(src.doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) return undefined;
  if (!isMap(root)) src.fail(root, undefined, `expected a Kubernetes resource (apiVersion, kind, metadata, spec), got ${describeNode(root)}`);
  const top = fields(src, root, '');
  const kind = src.string(top.get('kind') ?? null, 'kind');
  const apiVersion = src.string(top.get('apiVersion') ?? null, 'apiVersion');
  const metadata = top.get('metadata') ?? null;
  const metadataFields = isMap(metadata) ? fields(src, metadata, 'metadata.') : new Map<string, Node | null>();
  const name = src.string(metadataFields.get('name') ?? null, 'metadata.name');

  if (kind === undefined) src.fail(root, 'kind', 'missing: expected a Strimzi resource with kind: KafkaConnector');
  if (kind !== 'KafkaConnector') {
    src.warn(root, `skipped ${kind}${name ? ` "${name}"` : ''}: only KafkaConnector resources are applied`);
    return undefined;
  }
  if (apiVersion === undefined) src.fail(root, 'apiVersion', 'missing: expected kafka.strimzi.io/v1beta2');
  if (!STRIMZI_API_VERSIONS.includes(apiVersion)) src.fail(top.get('apiVersion'), 'apiVersion', `must be one of ${STRIMZI_API_VERSIONS.join(', ')}, got "${apiVersion}"`);
  if (!isMap(metadata)) src.fail(metadata ?? root, 'metadata', 'missing: a KafkaConnector needs metadata.name');
  if (name === undefined) src.fail(metadata, 'metadata.name', 'missing: it is the connector name');

  const spec = top.get('spec') ?? null;
  if (!isMap(spec)) src.fail(spec ?? root, 'spec', `must be a mapping with class, tasksMax and config, got ${describeNode(spec)}`);
  const specFields = fields(src, spec, 'spec.');
  for (const [key, node] of specFields) {
    if (STRIMZI_IGNORED_SPEC.has(key)) src.warn(node, `spec.${key} is not used by Slipway; ignored`);
    else if (!STRIMZI_SPEC.has(key)) src.warn(node, `spec.${key} is not a KafkaConnector field; ignored`);
  }

  const config = new Map<string, string>();
  const configNode = specFields.get('config') ?? null;
  if (configNode !== null && !(isScalar(configNode) && configNode.value === null)) {
    if (!isMap(configNode)) src.fail(configNode, 'spec.config', `must be a mapping of config names to values, got ${describeNode(configNode)}`);
    for (const { key, keyNode, value } of src.entries(configNode, 'spec.config')) {
      checkKey(src, key, keyNode, `spec.config.${key}`);
      config.set(key, src.configValue(value, `spec.config.${key}`, keyNode));
    }
  }

  const className = src.string(specFields.get('class') ?? null, 'spec.class');
  if (className !== undefined) override(src, config, 'connector.class', className, 'spec.class', specFields.get('class') ?? null);
  const tasksMaxNode = specFields.get('tasksMax') ?? null;
  if (tasksMaxNode !== null && !(isScalar(tasksMaxNode) && tasksMaxNode.value === null)) {
    const v = isScalar(tasksMaxNode) ? tasksMaxNode.value : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1) src.fail(tasksMaxNode, 'spec.tasksMax', `must be an integer of at least 1, got ${describeNode(tasksMaxNode)}`);
    override(src, config, 'tasks.max', String(v), 'spec.tasksMax', tasksMaxNode);
  }
  const autoRestart = specFields.get('autoRestart') ?? null;
  if (autoRestart !== null) strimziAutoRestart(src, autoRestart, config);

  return finishDefinition(src, name, metadataFields.get('name') ?? null, 'metadata.name', config, strimziState(src, specFields));
}

/** A mapping's fields by key (mappings here are Kubernetes objects: a repeated key is already a YAML error). */
function fields(src: Source, map: YAMLMap, prefix: string): Map<string, Node | null> {
  return new Map(src.entries(map, prefix ? prefix.slice(0, -1) : 'the resource').map((e) => [e.key, e.value]));
}

function override(src: Source, config: Map<string, string>, key: string, value: string, field: string, node: Node | null): void {
  const given = config.get(key);
  if (given !== undefined && given !== value) src.warn(node, `${field} (${value}) overrides spec.config.${key} (${given}), as Strimzi does`);
  config.set(key, value);
}

/** spec.state wins over the deprecated spec.pause; neither means running (Strimzi's default). */
function strimziState(src: Source, spec: Map<string, Node | null>): ConnectorTargetState {
  const stateNode = spec.get('state') ?? null;
  if (stateNode !== null && !(isScalar(stateNode) && stateNode.value === null)) {
    const raw = src.string(stateNode, 'spec.state');
    const upper = raw?.trim().toUpperCase();
    if (!STATES.includes(upper as ConnectorTargetState)) src.fail(stateNode, 'spec.state', `must be running, paused or stopped, got ${describeNode(stateNode)}`);
    return upper as ConnectorTargetState;
  }
  const pauseNode = spec.get('pause') ?? null;
  if (pauseNode === null || (isScalar(pauseNode) && pauseNode.value === null)) return 'RUNNING';
  if (!isScalar(pauseNode) || typeof pauseNode.value !== 'boolean') src.fail(pauseNode, 'spec.pause', `must be true or false, got ${describeNode(pauseNode)}`);
  return pauseNode.value ? 'PAUSED' : 'RUNNING';
}

/** Strimzi's autoRestart {enabled, maxRestarts} as Slipway's per-connector auto restart keys. */
function strimziAutoRestart(src: Source, node: Node, config: Map<string, string>): void {
  if (!isMap(node)) src.fail(node, 'spec.autoRestart', `must be a mapping {enabled, maxRestarts}, got ${describeNode(node)}`);
  const f = fields(src, node, 'spec.autoRestart.');
  const enabled = f.get('enabled') ?? null;
  if (enabled !== null) {
    if (!isScalar(enabled) || typeof enabled.value !== 'boolean') src.fail(enabled, 'spec.autoRestart.enabled', `must be true or false, got ${describeNode(enabled)}`);
    override(src, config, 'slipway.auto.restart.enabled', String(enabled.value), 'spec.autoRestart.enabled', enabled);
  }
  const max = f.get('maxRestarts') ?? null;
  if (max !== null) {
    const v = isScalar(max) ? max.value : undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) src.fail(max, 'spec.autoRestart.maxRestarts', `must be an integer of at least 0, got ${describeNode(max)}`);
    override(src, config, 'slipway.auto.restart.max.restarts', String(v), 'spec.autoRestart.maxRestarts', max);
  }
}

// ---- MSK Connect properties -----------------------------------------------------

/**
 * java.util.Properties syntax (providers.ts parses it), read one logical line
 * at a time so that problems name their line.
 */
function parseMskProperties(text: string, file: string, warnings: string[]): ConnectorDefinition {
  const config = new Map<string, string>();
  const lineOf = new Map<string, number>();
  for (const { line, text: logical } of logicalLines(text)) {
    const [entry] = parseProperties(logical);
    if (!entry) continue;
    const [key, value] = entry;
    if (key.trim() === '') throw new ConfigFormError(file, `a line with no key: expected key=value, got ${JSON.stringify(logical.trim())}`, line);
    if (key === '__proto__') throw new ConfigFormError(file, '__proto__ is not a config name', line);
    if (config.has(key)) warnings.push(`${location(file, line)}: ${key} repeats line ${lineOf.get(key)}; the last value wins, as in java.util.Properties`);
    config.set(key, value);
    lineOf.set(key, line);
  }
  if (config.size === 0) throw new ConfigFormError(file, 'no config entries: expected key=value lines (connector.class=..., tasks.max=...)');
  let name = config.get('name');
  if (name === undefined) {
    if (file === STDIN) throw new ConfigFormError(file, 'no name= line, and standard input has no file name to take the connector name from');
    name = path.basename(file, path.extname(file));
  }
  const trimmed = name.trim();
  if (trimmed === '') throw new ConfigFormError(file, 'the connector name must not be empty', lineOf.get('name'), 'name');
  config.set('name', trimmed);
  return { name: trimmed, config: Object.fromEntries(config) };
}

/** Physical lines grouped into logical ones (a line ending in an odd number of backslashes continues), with the first line's number. */
function logicalLines(text: string): { line: number; text: string }[] {
  const physical = text.split(/\r\n|\r|\n/);
  const out: { line: number; text: string }[] = [];
  for (let i = 0; i < physical.length; i++) {
    const start = i;
    let joined = physical[i]!;
    const trimmed = joined.trimStart();
    // A comment never continues.
    if (!(trimmed.startsWith('#') || trimmed.startsWith('!'))) {
      while (/(^|[^\\])(\\\\)*\\$/.test(physical[i]!) && i + 1 < physical.length) joined += `\n${physical[++i]!}`;
    }
    out.push({ line: start + 1, text: joined });
  }
  return out;
}
