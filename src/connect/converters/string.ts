// StringConverter: values as text in `converter.encoding` (Java charset names:
// UTF-8, UTF-16, UTF-16BE, UTF-16LE, ISO-8859-1, US-ASCII). Reading gives an
// optional string. Writing: strings as they are; numbers, booleans, bigints
// and Decimals as their text; Dates in ISO-8601; bytes untouched; anything
// else (Struct, array, map) as schemaless JSON.

import { defineConfig, validator } from '../config/config-def.js';
import { Schema } from '../data/schema.js';
import { Decimal } from '../data/logical.js';
import { asBuffer, type Converter, type SchemaAndValue } from './converter.js';
import { writeSchemaless } from './json-writer.js';

type Codec = { encode(s: string): Buffer; decode(b: Buffer): string };

const node = (enc: BufferEncoding): Codec => ({ encode: (s) => Buffer.from(s, enc), decode: (b) => b.toString(enc) });
const swapped = (b: Buffer) => Buffer.from(b).swap16();
const utf16be: Codec = { encode: (s) => swapped(Buffer.from(s, 'utf16le')), decode: (b) => swapped(b.subarray(0, b.length & ~1)).toString('utf16le') };
// Java's "UTF-16": writes a big-endian byte order mark; reads either mark, big-endian without one.
const utf16: Codec = {
  encode: (s) => Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be.encode(s)]),
  decode: (b) => (b[0] === 0xff && b[1] === 0xfe ? b.subarray(2).toString('utf16le') : utf16be.decode(b[0] === 0xfe && b[1] === 0xff ? b.subarray(2) : b)),
};

const CODECS: Record<string, Codec> = {
  'utf-8': node('utf8'),
  utf8: node('utf8'),
  'utf-16': utf16,
  utf16: utf16,
  'utf-16be': utf16be,
  utf_16be: utf16be,
  'utf-16le': node('utf16le'),
  utf_16le: node('utf16le'),
  utf16le: node('utf16le'),
  'iso-8859-1': node('latin1'),
  iso8859_1: node('latin1'),
  latin1: node('latin1'),
  'us-ascii': node('ascii'),
  ascii: node('ascii'),
};

const spec = defineConfig([
  {
    name: 'converter.encoding',
    type: 'string',
    default: 'UTF-8',
    validator: validator('UTF-8, UTF-16, UTF-16BE, UTF-16LE, ISO-8859-1, US-ASCII', (v) => (typeof v === 'string' && CODECS[v.toLowerCase()] ? undefined : 'Unsupported encoding')),
    importance: 'high',
    displayName: 'Encoding',
    doc: 'The name of the character encoding used to convert between strings and bytes.',
  },
]);

export class StringConverter implements Converter {
  static readonly CLASS = 'org.apache.kafka.connect.storage.StringConverter';
  #codec: Codec = CODECS['utf-8']!;

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>, _isKey = false): void {
    this.#codec = CODECS[spec.parse(config)['converter.encoding'].toLowerCase()]!;
  }

  fromConnectData(_topic: string, _schema: Schema | null | undefined, value: unknown): Buffer | null {
    if (value === null || value === undefined) return null;
    if (value instanceof Uint8Array) return asBuffer(value);
    return this.#codec.encode(textOf(value));
  }

  toConnectData(_topic: string, bytes: Uint8Array | null | undefined): SchemaAndValue {
    return { schema: Schema.OPTIONAL_STRING_SCHEMA, value: bytes ? this.#codec.decode(asBuffer(bytes)) : null };
  }
}

function textOf(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(value);
  }
  if (value instanceof Decimal) return value.toString();
  if (value instanceof Date) return value.toISOString();
  return writeSchemaless(value);
}
