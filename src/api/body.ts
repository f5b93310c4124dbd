// Request bodies and path parameters of the REST API, checked before anything
// else sees them. Every problem is a BadRequestError (400) whose message says
// what was expected; nothing here throws anything else.
//
// Decisions (where Kafka Connect is lenient or silent):
// - Any Content-Type is read as JSON: curl users often forget the header, and
//   Kafka's 415 helps nobody.
// - Config values are strings. Numbers and booleans are accepted and stored as
//   their JSON text (`"tasks.max": 1` → "1"), as Kafka Connect's Jackson
//   mapping does; objects and arrays are refused. null is refused in a full
//   config (POST, PUT, validate) and means "remove the key" in a PATCH.
// - Connector names: Kafka's rule (non-empty, no ISO control characters),
//   plus no '/' (it could never be addressed in a path) and at most
//   MAX_NAME_LENGTH characters (the name is part of the store's partition key,
//   which DynamoDB limits to 2048 bytes).
// - Bodies larger than MAX_BODY_BYTES are refused (413): a config is one
//   DynamoDB item, limited to 400 KB.
import { BadRequestError, ConnectError } from '../connect/errors.js';
import type { TargetState } from '../store/index.js';

export const MAX_BODY_BYTES = 256 * 1024;
export const MAX_NAME_LENGTH = 255;
/** Config names are short; DynamoDB refuses attribute names over 64 KB (a 500 were it not checked). */
export const MAX_CONFIG_KEY_LENGTH = 1024;
/** Entries of one PATCH /connectors/{n}/offsets. */
export const MAX_OFFSET_ENTRIES = 1000;
/** Nesting of a source partition or offset (DynamoDB's own limit for documents is 32). */
const MAX_OFFSET_DEPTH = 32;

export type JsonObject = Record<string, unknown>;

/** 413, in the error body every endpoint uses. */
export class PayloadTooLargeError extends ConnectError {
  readonly status = 413;

  constructor(bytes: number) {
    super(`Request body of ${bytes} bytes is larger than the limit of ${MAX_BODY_BYTES} bytes`, { code: 'BAD_REQUEST' });
    this.name = 'PayloadTooLargeError';
  }
}

/** The body parsed as JSON; `what` names the expected content for the messages. */
export function parseJsonBody(text: string, what: string): unknown {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MAX_BODY_BYTES) throw new PayloadTooLargeError(bytes);
  if (text.trim() === '') throw new BadRequestError(`Request body is empty; expected ${what}`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequestError(`Request body is not valid JSON (${(err as Error).message}); expected ${what}`);
  }
}

/** No lone surrogates: DynamoDB stores UTF-8, and would store U+FFFD in their place. */
export function isWellFormed(s: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
}

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Why `name` cannot be a connector name, or undefined when it can. */
export function connectorNameProblem(name: string): string | undefined {
  if (name.trim() === '') return 'Connector name must not be empty';
  if (name.length > MAX_NAME_LENGTH) return `Connector name must be at most ${MAX_NAME_LENGTH} characters, got ${name.length}`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return `Connector name ${JSON.stringify(name)} must not contain control characters`;
  if (name.includes('/')) return `Connector name ${JSON.stringify(name)} must not contain '/'`;
  if (!isWellFormed(name)) return 'Connector name must be well-formed Unicode (it contains a lone surrogate)';
  return undefined;
}

export function checkConnectorName(name: string): string {
  const problem = connectorNameProblem(name);
  if (problem) throw new BadRequestError(problem);
  return name;
}

function checkKey(key: string, where: string): void {
  if (key === '') throw new BadRequestError(`${where} has an empty key`);
  if (key.length > MAX_CONFIG_KEY_LENGTH) throw new BadRequestError(`${where} has a key of ${key.length} characters; at most ${MAX_CONFIG_KEY_LENGTH} are allowed`);
  if (key === '__proto__') throw new BadRequestError(`${where} has the key __proto__, which is not a config name`);
  if (!isWellFormed(key)) throw new BadRequestError(`${where} has a key that is not well-formed Unicode`);
}

function configValue(key: string, value: unknown, where: string): string {
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw new BadRequestError(`${where}: the value of ${key} is not well-formed Unicode`);
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new BadRequestError(`${where}: the value of ${key} must be a string, got ${describe(value)}`);
}

/** A full config: a JSON object of strings (numbers and booleans as their text). */
export function parseConfigMap(value: unknown, where = 'Connector config'): Record<string, string> {
  if (!isJsonObject(value)) throw new BadRequestError(`${where} must be a JSON object of strings, got ${describe(value)}`);
  const entries: [string, string][] = [];
  for (const [key, v] of Object.entries(value)) {
    checkKey(key, where);
    entries.push([key, configValue(key, v, where)]);
  }
  // fromEntries defines properties, so no key can reach a prototype.
  return Object.fromEntries(entries);
}

/** A PATCH of a config: strings, or null to remove the key. */
export function parseConfigPatch(value: unknown): Record<string, string | null> {
  const where = 'Config patch';
  if (!isJsonObject(value)) throw new BadRequestError(`${where} must be a JSON object of strings (null removes a key), got ${describe(value)}`);
  const entries: [string, string | null][] = [];
  for (const [key, v] of Object.entries(value)) {
    checkKey(key, where);
    entries.push([key, v === null ? null : configValue(key, v, where)]);
  }
  return Object.fromEntries(entries);
}

export interface CreateConnectorRequest {
  name: string;
  config: Record<string, string>;
  initialState: TargetState;
}

const TARGET_STATES: readonly TargetState[] = ['RUNNING', 'PAUSED', 'STOPPED'];

/** `POST /connectors`: `{name, config, initial_state?}`; other members are ignored (clients post back what GET returned). */
export function parseCreateRequest(value: unknown): CreateConnectorRequest {
  if (!isJsonObject(value)) throw new BadRequestError(`Request body must be a JSON object {"name": ..., "config": {...}}, got ${describe(value)}`);
  const { name, config, initial_state: initialState } = value;
  if (name === undefined || name === null) throw new BadRequestError('Connector name is missing: the body must be {"name": ..., "config": {...}}');
  if (typeof name !== 'string') throw new BadRequestError(`Connector name must be a string, got ${describe(name)}`);
  if (config === undefined || config === null) throw new BadRequestError('Connector config is missing: the body must be {"name": ..., "config": {...}}');
  let state: TargetState = 'RUNNING';
  if (initialState !== undefined && initialState !== null) {
    const upper = typeof initialState === 'string' ? initialState.trim().toUpperCase() : '';
    if (!TARGET_STATES.includes(upper as TargetState)) {
      throw new BadRequestError(`initial_state must be one of ${TARGET_STATES.join(', ')}, got ${JSON.stringify(initialState)}`);
    }
    state = upper as TargetState;
  }
  // Kafka trims the name of a new connector.
  return { name: checkConnectorName(name.trim()), config: parseConfigMap(config), initialState: state };
}

/**
 * Kafka's rule: a `name` in the config must equal the connector's name; when
 * absent it is filled in.
 */
export function withConnectorName(config: Record<string, string>, name: string): Record<string, string> {
  const included = config['name'];
  if (included !== undefined && included !== name) {
    throw new BadRequestError(`Connector name configuration (${included}) doesn't match connector name in the URL (${name})`);
  }
  return { ...config, name };
}

export interface OffsetEntry {
  partition: JsonObject;
  /** null resets the partition. */
  offset: JsonObject | null;
}

function depthAtMost(value: unknown, limit: number): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (limit === 0) return false;
  return Object.values(value).every((v) => depthAtMost(v, limit - 1));
}

/** `PATCH /connectors/{n}/offsets`: `{"offsets": [{"partition": {...}, "offset": {...} | null}]}`. */
export function parseOffsetsRequest(value: unknown): OffsetEntry[] {
  const shape = '{"offsets": [{"partition": {...}, "offset": {...} or null}]}';
  if (!isJsonObject(value)) throw new BadRequestError(`Request body must be ${shape}, got ${describe(value)}`);
  const list = value.offsets;
  if (!Array.isArray(list)) throw new BadRequestError(`"offsets" must be a list: ${shape}`);
  if (list.length === 0) throw new BadRequestError('The offsets to be modified must not be empty');
  if (list.length > MAX_OFFSET_ENTRIES) throw new BadRequestError(`At most ${MAX_OFFSET_ENTRIES} offsets can be modified in one request, got ${list.length}`);
  return list.map((entry, i) => {
    if (!isJsonObject(entry)) throw new BadRequestError(`offsets[${i}] must be an object {"partition": {...}, "offset": {...} or null}, got ${describe(entry)}`);
    const { partition, offset } = entry;
    if (!isJsonObject(partition)) throw new BadRequestError(`offsets[${i}].partition must be an object, got ${describe(partition)}`);
    if (offset !== null && !isJsonObject(offset)) throw new BadRequestError(`offsets[${i}].offset must be an object or null, got ${describe(offset)}`);
    if (!depthAtMost(partition, MAX_OFFSET_DEPTH) || !depthAtMost(offset, MAX_OFFSET_DEPTH)) {
      throw new BadRequestError(`offsets[${i}] is nested deeper than ${MAX_OFFSET_DEPTH} levels`);
    }
    if (!wellFormedStrings(partition) || !wellFormedStrings(offset)) throw new BadRequestError(`offsets[${i}] holds a string that is not well-formed Unicode`);
    return { partition, offset };
  });
}

function wellFormedStrings(value: unknown): boolean {
  if (typeof value === 'string') return isWellFormed(value);
  if (typeof value !== 'object' || value === null) return true;
  return Object.entries(value).every(([k, v]) => isWellFormed(k) && wellFormedStrings(v));
}

/** Sink offsets are Kafka positions: `{kafka_topic, kafka_partition}` → `{kafka_offset}`. */
export function checkSinkOffsets(entries: readonly OffsetEntry[]): void {
  entries.forEach(({ partition, offset }, i) => {
    const topic = partition['kafka_topic'];
    const part = partition['kafka_partition'];
    if (typeof topic !== 'string' || topic === '') throw new BadRequestError(`offsets[${i}].partition.kafka_topic must be a non-empty string for a sink connector`);
    if (!Number.isSafeInteger(part) || (part as number) < 0) throw new BadRequestError(`offsets[${i}].partition.kafka_partition must be a non-negative integer for a sink connector`);
    if (offset === null) return;
    const position = offset['kafka_offset'];
    if (!Number.isSafeInteger(position) || (position as number) < 0) throw new BadRequestError(`offsets[${i}].offset.kafka_offset must be a non-negative integer for a sink connector`);
  });
}

/** A query flag: absent → the default; true/false in any case; anything else is a 400. */
export function booleanQuery(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  const lower = value.trim().toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  throw new BadRequestError(`Query parameter ${name} must be true or false, got ${JSON.stringify(value)}`);
}
