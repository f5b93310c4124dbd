// One config spec per plugin, as Kafka's ConfigDef. Parsing with defaults,
// validation, the `/connector-plugins/{p}/config/validate` response, the
// `/connector-plugins/{p}/config` listing and the docs all come from it.
//
// Raw configs are string maps (as Kafka Connect's REST API carries them).
// Parsing trims, converts by type and runs the validator; a missing key takes
// its default (null when there is none); a key marked `required` has no
// default and must be present. Keys the spec does not know are ignored (plugins
// are handed the whole map). Messages follow Kafka's wording and always name
// the field, and never show a PASSWORD value: it reads `[hidden]`.

import { ConfigError, type ConfigIssue } from '../errors.js';
import { hasPlaceholder } from './providers.js';

export type ConfigType = 'string' | 'int' | 'long' | 'double' | 'boolean' | 'list' | 'class' | 'password';
export type Importance = 'high' | 'medium' | 'low';
export type Width = 'none' | 'short' | 'medium' | 'long';
/** A parsed value: string (string, class, password), number (int, long, double), boolean, string[] (list), or null. */
export type ConfigValue = string | number | boolean | string[] | null;

/** The mask a PASSWORD value is shown as, everywhere. */
export const MASK = '[hidden]';

export interface Validator {
  /** An error message (without the field name), or undefined when the value is valid. Never called with null. */
  check(value: Exclude<ConfigValue, null>): string | undefined;
  /** The valid values as the docs show them, e.g. `[1,...]` or `[none, all]`. */
  readonly description: string;
  /** Values a UI may offer (the validate endpoint's recommended_values). */
  readonly values?: readonly string[];
}

export interface ConfigKeyDef {
  readonly name: string;
  readonly type: ConfigType;
  /** Typed (1, true, ['a']) or as a string ('1'). Absent and not required: null. */
  readonly default?: unknown;
  readonly importance: Importance;
  readonly doc: string;
  readonly validator?: Validator;
  readonly group?: string;
  readonly displayName?: string;
  readonly recommendedValues?: readonly string[];
  /** No default: the key must be given. */
  readonly required?: boolean;
  readonly width?: Width;
  readonly dependents?: readonly string[];
  /** Position within its group; by default the order of definition. */
  readonly orderInGroup?: number;
}

/** A cross-field check, run after every field parsed cleanly: returns issues (each naming its field). */
export type ConfigCheck = (values: Readonly<Record<string, ConfigValue>>) => ConfigIssue[] | void;

/** A key as the spec holds it: default parsed, display name and order filled in. */
export interface ConfigKey {
  readonly name: string;
  readonly type: ConfigType;
  readonly required: boolean;
  /** Parsed default; null when there is none. */
  readonly defaultValue: ConfigValue;
  readonly importance: Importance;
  readonly doc: string;
  readonly validator: Validator | null;
  readonly group: string | null;
  readonly displayName: string;
  readonly recommendedValues: readonly string[];
  readonly width: Width;
  readonly dependents: readonly string[];
  readonly orderInGroup: number;
}

// ---- Typed parse results -------------------------------------------------

type TypeOf<T extends ConfigType> = T extends 'int' | 'long' | 'double' ? number : T extends 'boolean' ? boolean : T extends 'list' ? string[] : string;
type HasValue<D> = D extends { required: true } ? true : D extends { default: infer V } ? ([V] extends [null | undefined] ? false : true) : false;
/** What parse() returns for a literal list of definitions: `tasks.max` → number, an optional string → string | null. */
export type ParsedConfig<Defs extends readonly ConfigKeyDef[]> = {
  -readonly [D in Defs[number] as D['name']]: HasValue<D> extends true ? TypeOf<D['type']> : TypeOf<D['type']> | null;
};

// ---- The validate endpoint's shapes (Kafka Connect's ConfigInfos) -----------

export interface ConfigKeyInfo {
  name: string;
  type: 'STRING' | 'INT' | 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'LIST' | 'CLASS' | 'PASSWORD';
  required: boolean;
  default_value: string | null;
  importance: 'HIGH' | 'MEDIUM' | 'LOW';
  documentation: string;
  group: string | null;
  width: 'NONE' | 'SHORT' | 'MEDIUM' | 'LONG';
  display_name: string;
  dependents: string[];
  order: number;
}

export interface ConfigValueInfo {
  name: string;
  value: string | null;
  recommended_values: string[];
  errors: string[];
  visible: boolean;
}

export interface ConfigInfos {
  name: string;
  error_count: number;
  groups: string[];
  configs: Array<{ definition: ConfigKeyInfo; value: ConfigValueInfo }>;
}

export interface ValidateOptions {
  /** The response's `name` (Kafka: the connector class). Default: raw['connector.class'] ?? ''. */
  name?: string;
  /** More errors per field, e.g. from a plugin's own validate(). */
  extraErrors?: Readonly<Record<string, readonly string[]>>;
  /**
   * The config as the user wrote it, when `raw` has its placeholders resolved:
   * a value that holds a placeholder there is shown as written, never resolved.
   */
  display?: RawConfig;
}

export type RawConfig = Readonly<Record<string, string | null | undefined>>;

interface Evaluated {
  key: ConfigKey;
  value: ConfigValue;
  errors: string[];
}

export class ConfigSpec<T = Record<string, ConfigValue>> {
  readonly keys: readonly ConfigKey[];
  readonly #byName: ReadonlyMap<string, ConfigKey>;
  readonly #checks: readonly ConfigCheck[];

  constructor(keys: readonly ConfigKey[], checks: readonly ConfigCheck[] = []) {
    const byName = new Map<string, ConfigKey>();
    for (const k of keys) {
      if (byName.has(k.name)) throw new Error(`Config ${k.name} is defined twice`);
      byName.set(k.name, k);
    }
    this.keys = keys;
    this.#byName = byName;
    this.#checks = checks;
  }

  get(name: string): ConfigKey | undefined {
    return this.#byName.get(name);
  }

  names(): string[] {
    return this.keys.map((k) => k.name);
  }

  /**
   * This spec and `other` as one (a connector's own keys beside
   * connectorBaseConfig). A name in both is an error. Keys of `other` in a
   * group this spec has already come after that group's keys.
   */
  merge<U>(other: ConfigSpec<U>): ConfigSpec<T & U> {
    const lastOrder = new Map<string, number>();
    for (const k of this.keys) if (k.group !== null) lastOrder.set(k.group, Math.max(lastOrder.get(k.group) ?? 0, k.orderInGroup));
    const moved = other.keys.map((k) => (k.group !== null && lastOrder.has(k.group) && k.orderInGroup > 0 ? Object.freeze({ ...k, orderInGroup: k.orderInGroup + lastOrder.get(k.group)! }) : k));
    return new ConfigSpec<T & U>([...this.keys, ...moved], [...this.#checks, ...other.#checks]);
  }

  #evaluate(raw: RawConfig): { fields: Evaluated[]; checkIssues: ConfigIssue[] } {
    const fields = this.keys.map((key) => evaluateKey(key, raw[key.name]));
    const checkIssues: ConfigIssue[] = [];
    if (fields.every((f) => f.errors.length === 0) && this.#checks.length > 0) {
      const values = Object.fromEntries(fields.map((f) => [f.key.name, f.value]));
      for (const check of this.#checks) checkIssues.push(...(check(values) ?? []));
    }
    return { fields, checkIssues };
  }

  /** Typed values for every key of the spec. Throws ConfigError listing every bad field. */
  parse(raw: RawConfig): T {
    const { fields, checkIssues } = this.#evaluate(raw);
    const issues: ConfigIssue[] = [];
    for (const f of fields) for (const message of f.errors) issues.push({ field: f.key.name, message });
    issues.push(...checkIssues);
    if (issues.length > 0) throw new ConfigError(issues);
    return Object.fromEntries(fields.map((f) => [f.key.name, f.value])) as T;
  }

  /** The response of `PUT /connector-plugins/{p}/config/validate`; PASSWORD values are masked. */
  validate(raw: RawConfig, opts: ValidateOptions = {}): ConfigInfos {
    const { fields, checkIssues } = this.#evaluate(raw);
    const extra: Record<string, string[]> = {};
    const addExtra = (field: string, msgs: readonly string[]) => (extra[field] ??= []).push(...msgs);
    for (const i of checkIssues) addExtra(i.field, [i.message]);
    for (const [field, msgs] of Object.entries(opts.extraErrors ?? {})) addExtra(field, msgs);

    const configs: ConfigInfos['configs'] = fields.map((f) => ({
      definition: keyInfo(f.key),
      value: {
        name: f.key.name,
        value: shownAsWritten(opts.display?.[f.key.name]) ?? displayValue(f.key, raw[f.key.name], f.value),
        recommended_values: [...f.key.recommendedValues],
        errors: [...f.errors, ...(extra[f.key.name] ?? [])],
        visible: true,
      },
    }));
    // Errors about keys this spec does not define still reach the caller.
    for (const [field, msgs] of Object.entries(extra)) {
      if (this.#byName.has(field)) continue;
      const key = normalizeKey({ name: field, type: 'string', importance: 'low', doc: '' }, -1);
      const value = shownAsWritten(opts.display?.[field]) ?? displayValue(key, raw[field], raw[field] ?? null);
      configs.push({ definition: keyInfo(key), value: { name: field, value, recommended_values: [], errors: [...msgs], visible: true } });
    }
    const groups = [...new Set(this.keys.map((k) => k.group).filter((g): g is string => g !== null))];
    const errorCount = configs.reduce((n, c) => n + c.value.errors.length, 0);
    return { name: opts.name ?? raw['connector.class'] ?? '', error_count: errorCount, groups, configs };
  }

  /** The definitions as `GET /connector-plugins/{p}/config` lists them. */
  describe(): ConfigKeyInfo[] {
    return this.keys.map(keyInfo);
  }

  /** A markdown table of every key: name, type, default, valid values, importance, description. */
  toDocs(): string {
    const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
    const rows = this.keys.map((k) => {
      const def = k.required ? '*(required)*' : k.defaultValue === null ? '' : '`' + cell(showDefault(k)!) + '`';
      return `| \`${k.name}\` | ${k.type} | ${def} | ${cell(k.validator?.description ?? '')} | ${k.importance} | ${cell(k.doc)} |`;
    });
    return ['| Name | Type | Default | Valid values | Importance | Description |', '|---|---|---|---|---|---|', ...rows].join('\n') + '\n';
  }
}

/** Builds a spec from definitions; the parse result is typed from them when they are written literally. */
export function defineConfig<const Defs extends readonly ConfigKeyDef[]>(defs: Defs, opts: { checks?: readonly ConfigCheck[] } = {}): ConfigSpec<ParsedConfig<Defs>> {
  const orderByGroup = new Map<string, number>();
  const keys = defs.map((def) => {
    let order = def.orderInGroup ?? -1;
    if (def.orderInGroup === undefined && def.group !== undefined) {
      order = (orderByGroup.get(def.group) ?? 0) + 1;
      orderByGroup.set(def.group, order);
    }
    return normalizeKey(def, order);
  });
  return new ConfigSpec<ParsedConfig<Defs>>(keys, opts.checks ?? []);
}

function normalizeKey(def: ConfigKeyDef, order: number): ConfigKey {
  let defaultValue: ConfigValue = null;
  if (def.required && def.default !== undefined) throw new Error(`Config ${def.name} is required and cannot have a default`);
  if (def.default !== undefined && def.default !== null) {
    const d = def.default;
    let value: Exclude<ConfigValue, null>;
    if (typeof d === 'string') {
      const parsed = parseTyped(def.type, d);
      if (parsed.error !== undefined) throw new Error(`Invalid default for config ${def.name}: ${parsed.error}`);
      value = parsed.value;
    } else if (typeof d === 'number' || typeof d === 'boolean' || (Array.isArray(d) && d.every((x) => typeof x === 'string'))) {
      value = Array.isArray(d) ? [...(d as string[])] : d;
    } else {
      throw new Error(`Invalid default for config ${def.name}: ${String(d)}`);
    }
    const expected = def.type === 'int' || def.type === 'long' || def.type === 'double' ? 'number' : def.type === 'boolean' ? 'boolean' : def.type === 'list' ? 'object' : 'string';
    if (typeof value !== expected) throw new Error(`Invalid default for config ${def.name}: expected a ${def.type}`);
    defaultValue = value;
    const err = def.validator?.check(value);
    if (err) throw new Error(`Invalid default for config ${def.name}: ${err}`);
  }
  return Object.freeze({
    name: def.name,
    type: def.type,
    required: def.required ?? false,
    defaultValue,
    importance: def.importance,
    doc: def.doc,
    validator: def.validator ?? null,
    group: def.group ?? null,
    displayName: def.displayName ?? def.name,
    recommendedValues: def.recommendedValues ?? def.validator?.values ?? [],
    width: def.width ?? 'none',
    dependents: def.dependents ?? [],
    orderInGroup: order,
  });
}

const TYPE_ERRORS: Record<ConfigType, string> = {
  string: 'Expected value to be a string',
  class: 'Expected a class name',
  password: 'Expected value to be a string',
  int: 'Not a number of type INT',
  long: 'Not a number of type LONG',
  double: 'Not a number of type DOUBLE',
  boolean: 'Expected value to be either true or false',
  list: 'Expected a comma-separated list',
};

function parseTyped(type: ConfigType, text: string): { value: Exclude<ConfigValue, null>; error?: undefined } | { value?: undefined; error: string } {
  const t = text.trim();
  switch (type) {
    case 'string':
    case 'class':
    case 'password':
      return { value: t };
    case 'boolean': {
      const lower = t.toLowerCase();
      if (lower === 'true' || lower === 'false') return { value: lower === 'true' };
      break;
    }
    case 'int':
    case 'long': {
      if (!/^[+-]?\d+$/.test(t)) break;
      const n = Number(t);
      if (type === 'int' ? n < -2147483648 || n > 2147483647 : !Number.isSafeInteger(n)) break;
      return { value: n };
    }
    case 'double': {
      const n = Number(t);
      if (t === '' || (Number.isNaN(n) && t !== 'NaN')) break;
      return { value: n };
    }
    case 'list':
      return { value: t === '' ? [] : t.split(/\s*,\s*/) };
  }
  return { error: TYPE_ERRORS[type] };
}

function evaluateKey(key: ConfigKey, raw: string | null | undefined): Evaluated {
  if (raw === undefined || raw === null) {
    if (key.required) return { key, value: null, errors: [`Missing required configuration "${key.name}" which has no default value.`] };
    return { key, value: key.defaultValue, errors: [] };
  }
  const text = typeof raw === 'string' ? raw : String(raw);
  const shown = key.type === 'password' && !hasPlaceholder(text) ? MASK : text.trim();
  const parsed = parseTyped(key.type, text);
  if (parsed.error !== undefined) return { key, value: null, errors: [`Invalid value ${shown} for configuration ${key.name}: ${parsed.error}`] };
  const err = key.validator?.check(parsed.value);
  if (err) return { key, value: null, errors: [`Invalid value ${shown} for configuration ${key.name}: ${err}`] };
  return { key, value: parsed.value, errors: [] };
}

function stringOf(type: ConfigType, value: ConfigValue): string | null {
  if (value === null) return null;
  if (Array.isArray(value)) return value.join(',');
  return type === 'password' && !hasPlaceholder(String(value)) ? MASK : String(value);
}

function showDefault(key: ConfigKey): string | null {
  return stringOf(key.type, key.defaultValue);
}

/** The value the validate endpoint reports: the parsed (or default) value as a string; the raw text when it did not parse. */
function displayValue(key: ConfigKey, raw: string | null | undefined, parsed: ConfigValue): string | null {
  if (parsed !== null) return stringOf(key.type, parsed);
  if (raw === undefined || raw === null) return null;
  return key.type === 'password' && !hasPlaceholder(raw) ? MASK : raw;
}

function shownAsWritten(written: string | null | undefined): string | undefined {
  return typeof written === 'string' && hasPlaceholder(written) ? written : undefined;
}

function keyInfo(k: ConfigKey): ConfigKeyInfo {
  return {
    name: k.name,
    type: k.type.toUpperCase() as ConfigKeyInfo['type'],
    required: k.required,
    default_value: k.required ? null : showDefault(k),
    importance: k.importance.toUpperCase() as ConfigKeyInfo['importance'],
    documentation: k.doc,
    group: k.group,
    width: k.width.toUpperCase() as ConfigKeyInfo['width'],
    display_name: k.displayName,
    dependents: [...k.dependents],
    order: k.orderInGroup,
  };
}

// ---- Validators ------------------------------------------------------------

/** A validator from a description and a check returning an error message or undefined. */
export function validator(description: string, check: Validator['check'], values?: readonly string[]): Validator {
  return values ? { description, check, values } : { description, check };
}

/** Numbers within [min, max]; either bound may be omitted. */
export function range(min?: number, max?: number): Validator {
  const description = `[${min ?? ''}${min !== undefined ? ',' : ''}...${max !== undefined ? ',' : ''}${max ?? ''}]`;
  return validator(description, (v) => {
    if (typeof v !== 'number') return 'Value must be a number';
    if (min !== undefined && v < min) return `Value must be at least ${min}`;
    if (max !== undefined && v > max) return `Value must be no more than ${max}`;
    return undefined;
  });
}

export const atLeast = (min: number): Validator => range(min);

/** One of `values` (each element, for lists). */
export function oneOf(values: readonly string[], opts: { caseInsensitive?: boolean } = {}): Validator {
  const ci = opts.caseInsensitive ?? false;
  const allowed = new Set(ci ? values.map((v) => v.toLowerCase()) : values);
  const msg = `String must be one of${ci ? ' (case insensitive)' : ''}: ${values.join(', ')}`;
  return validator(`[${values.join(', ')}]`, (v) => eachString(v, (s) => (allowed.has(ci ? s.toLowerCase() : s) ? undefined : msg)), values);
}

/** A non-empty string (each element, for lists). */
export const nonEmptyString: Validator = validator('non-empty string', (v) => eachString(v, (s) => (s.length > 0 ? undefined : 'String must be non-empty')));

/** Strings matching `pattern` in full (each element, for lists). */
export function regex(pattern: RegExp | string, description?: string): Validator {
  const re = new RegExp(`^(?:${typeof pattern === 'string' ? pattern : pattern.source})$`, typeof pattern === 'string' ? '' : pattern.flags);
  const shown = description ?? `matches ${re.source}`;
  return validator(shown, (v) => eachString(v, (s) => (re.test(s) ? undefined : `String must match the pattern ${re.source}`)));
}

/** A list whose elements are all different. */
export const uniqueList: Validator = validator('unique values', (v) => {
  if (!Array.isArray(v)) return undefined;
  const dup = v.find((s, i) => v.indexOf(s) !== i);
  return dup === undefined ? undefined : `Duplicate value provided: ${dup}`;
});

function eachString(v: Exclude<ConfigValue, null>, check: (s: string) => string | undefined): string | undefined {
  if (Array.isArray(v)) {
    for (const s of v) {
      const err = check(s);
      if (err) return err;
    }
    return undefined;
  }
  return typeof v === 'string' ? check(v) : 'Value must be a string';
}

// ---- Helpers over raw configs -------------------------------------------------

/** The keys that start with `prefix`, with the prefix removed (`value.converter.` → `schemas.enable`). */
export function subset(raw: RawConfig, prefix: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (k.startsWith(prefix) && typeof v === 'string') out[k.slice(prefix.length)] = v;
  return out;
}

// Keys that hold secrets whatever the spec says: pass-through configs such as
// `producer.override.sasl.jaas.config` or `database.history.consumer.ssl.key.password`.
const SECRET_KEY = /(^|[._-])(password|passwd|secret|secret\.key|secret\.access\.key|api\.key|sasl\.jaas\.config)$/i;

/** Whether `key` holds a secret: a PASSWORD key of `spec`, or a name that always means one. */
export function isSecretKey(key: string, spec?: ConfigSpec<unknown>): boolean {
  return spec?.get(key)?.type === 'password' || SECRET_KEY.test(key);
}

/**
 * A copy of `config` in which every literal secret reads `[hidden]`. Values
 * that are config-provider placeholders (`${file:...}`) are kept as written:
 * they are references, not secrets.
 */
export function maskSecrets(config: RawConfig, spec?: ConfigSpec<unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (typeof v !== 'string') continue;
    out[k] = isSecretKey(k, spec) && v !== '' && !hasPlaceholder(v) ? MASK : v;
  }
  return out;
}

/**
 * For a PUT of a config read back masked: every secret sent as `[hidden]`
 * keeps the stored value. A mask with nothing stored behind it is a ConfigError
 * (storing the literal mask as a password would fail much later, and silently).
 */
export function restoreMasked(newConfig: RawConfig, storedConfig: RawConfig | undefined, spec?: ConfigSpec<unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: ConfigIssue[] = [];
  for (const [k, v] of Object.entries(newConfig)) {
    if (typeof v !== 'string') continue;
    if (v === MASK && isSecretKey(k, spec)) {
      const stored = storedConfig?.[k];
      if (typeof stored === 'string') out[k] = stored;
      else issues.push({ field: k, message: `Invalid value ${MASK} for configuration ${k}: the masked value was sent but no stored value exists; send the secret itself` });
    } else {
      out[k] = v;
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return out;
}
