// JsonConverter (org.apache.kafka.connect.json.JsonConverter).
//
// schemas.enable=true (default): `{"schema":<schema JSON>,"payload":<value JSON>}`;
// reading requires exactly that envelope. schemas.enable=false: the bare value
// JSON; reading gives a schemaless value. A null value without a schema is a
// null record (tombstone) either way; so are empty bytes and the JSON text
// `null` when read. Formats: json-writer.ts; exact numbers: json-reader.ts.

import { atLeast, defineConfig, oneOf } from '../config/config-def.js';
import type { Schema } from '../data/schema.js';
import { DataError } from '../errors.js';
import { asBuffer, type Converter, type SchemaAndValue } from './converter.js';
import { JsonNumber, parseJson, schemaFromJson, valueFromJson } from './json-reader.js';
import { JsonWriter, type DecimalFormat } from './json-writer.js';

const spec = defineConfig([
  { name: 'schemas.enable', type: 'boolean', default: true, importance: 'high', displayName: 'Enable Schemas', doc: 'Include schemas within each of the serialized values and keys.' },
  { name: 'schemas.cache.size', type: 'int', default: 1000, validator: atLeast(0), importance: 'high', displayName: 'Schema Cache Size', doc: 'The maximum number of schemas that can be cached in this converter instance.' },
  {
    name: 'decimal.format',
    type: 'string',
    default: 'BASE64',
    validator: oneOf(['BASE64', 'NUMERIC'], { caseInsensitive: true }),
    importance: 'low',
    displayName: 'Decimal Format',
    doc: "How decimals are serialized (case insensitive): 'BASE64' (default), the base64 of the unscaled two's-complement bytes; or 'NUMERIC', a JSON number with every digit.",
  },
  {
    name: 'replace.null.with.default',
    type: 'boolean',
    default: true,
    importance: 'low',
    displayName: 'Replace null with default',
    doc: 'Whether a null field that has a default value is written (and read) as that default. Otherwise null is kept.',
  },
]);

const ENVELOPE_ERROR =
  'JsonConverter with schemas.enable requires "schema" and "payload" fields and may not contain additional fields. ' +
  'If you are trying to deserialize plain JSON data, set schemas.enable=false in your converter configuration.';

const NULL: SchemaAndValue = Object.freeze({ schema: null, value: null });
const ENVELOPE_START = '{"schema":';
const PAYLOAD_KEY = ',"payload":';

export class JsonConverter implements Converter {
  static readonly CLASS = 'org.apache.kafka.connect.json.JsonConverter';

  #schemasEnable = true;
  #replaceNull = true;
  #cacheSize = 1000;
  #lastKey: string | undefined;
  #lastSchema: Schema | null = null;
  #writer = new JsonWriter({ decimalFormat: 'BASE64', replaceNullWithDefault: true });
  /** Schema JSON text → schema, least recently used first. */
  readonly #schemas = new Map<string, Schema | null>();

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>, _isKey = false): void {
    const c = spec.parse(config);
    this.#schemasEnable = c['schemas.enable'];
    this.#replaceNull = c['replace.null.with.default'];
    this.#cacheSize = c['schemas.cache.size'];
    this.#writer = new JsonWriter({ decimalFormat: c['decimal.format'].toUpperCase() as DecimalFormat, replaceNullWithDefault: this.#replaceNull });
    this.#schemas.clear();
  }

  fromConnectData(_topic: string, schema: Schema | null | undefined, value: unknown): Buffer | null {
    if (!schema && (value === null || value === undefined)) return null;
    const payload = this.#writer.payload(schema ?? null, value);
    if (!this.#schemasEnable) return Buffer.from(payload, 'utf8');
    return Buffer.from(ENVELOPE_START + (schema ? this.#writer.schemaJson(schema) : 'null') + PAYLOAD_KEY + payload + '}', 'utf8');
  }

  toConnectData(_topic: string, bytes: Uint8Array | null | undefined): SchemaAndValue {
    if (!bytes || bytes.length === 0) return NULL;
    const text = asBuffer(bytes).toString('utf8');
    if (!this.#schemasEnable) return { schema: null, value: valueFromJson(null, parseJson(text)) };
    const fast = this.#readEnvelopeFast(text);
    if (fast) return fast;
    const json = parseJson(text);
    if (json === null) return NULL;
    if (typeof json !== 'object' || Array.isArray(json) || !('schema' in json) || !('payload' in json) || Object.keys(json).length !== 2) {
      throw new DataError(ENVELOPE_ERROR);
    }
    const { schema: schemaJson, payload } = json as { schema: unknown; payload: unknown };
    const schema = this.#schemaFor(JSON.stringify(schemaJson, (_k, v: unknown) => (v instanceof JsonNumber ? v.text : v)), () => schemaJson);
    return { schema, value: valueFromJson(schema, payload, this.#replaceNull) };
  }

  /**
   * The envelope as this converter (and Kafka's) writes it, `{"schema":S,"payload":P}`,
   * read without parsing S again when its text was seen before. The split at the
   * first `,"payload":` is right exactly when both halves parse on their own:
   * a proper prefix of a JSON object is never itself valid JSON. Anything else
   * returns undefined and takes the general path.
   */
  #readEnvelopeFast(text: string): SchemaAndValue | undefined {
    if (!text.startsWith(ENVELOPE_START) || !text.endsWith('}')) return undefined;
    const at = text.indexOf(PAYLOAD_KEY, ENVELOPE_START.length);
    if (at < 0) return undefined;
    const schemaText = text.slice(ENVELOPE_START.length, at);
    let payload: unknown;
    let schemaJson: unknown;
    try {
      payload = parseJson(text.slice(at + PAYLOAD_KEY.length, -1));
      if (schemaText !== this.#lastKey && !this.#schemas.has(schemaText)) schemaJson = parseJson(schemaText);
    } catch {
      return undefined;
    }
    const schema = this.#schemaFor(schemaText, () => schemaJson);
    return { schema, value: valueFromJson(schema, payload, this.#replaceNull) };
  }

  #schemaFor(key: string, json: () => unknown): Schema | null {
    // Consecutive records nearly always share their schema: no cache lookup then.
    if (key === this.#lastKey) return this.#lastSchema;
    const schema = this.#schemaLookup(key, json);
    if (this.#cacheSize > 0) {
      this.#lastKey = key;
      this.#lastSchema = schema;
    }
    return schema;
  }

  #schemaLookup(key: string, json: () => unknown): Schema | null {
    const cached = this.#schemas.get(key);
    if (cached !== undefined || this.#schemas.has(key)) {
      // Move to the most recently used end.
      this.#schemas.delete(key);
      this.#schemas.set(key, cached ?? null);
      return cached ?? null;
    }
    const schema = schemaFromJson(json(), this.#replaceNull);
    if (this.#cacheSize > 0) {
      this.#schemas.set(key, schema);
      if (this.#schemas.size > this.#cacheSize) this.#schemas.delete(this.#schemas.keys().next().value!);
    }
    return schema;
  }
}
