// The Converter contract, as Kafka Connect's: between a Connect (schema, value)
// and the bytes of a Kafka record key or value. One instance per key or value
// per task; configure() is called once, before any conversion, with the
// converter's own keys (the `key.converter.` / `value.converter.` prefix
// removed) and throws ConfigError for a bad one.

import type { ConfigSpec } from '../config/config-def.js';
import type { Schema } from '../data/schema.js';

export interface SchemaAndValue {
  readonly schema: Schema | null;
  readonly value: unknown;
}

export interface Converter {
  config(): ConfigSpec<unknown>;
  configure(config: Readonly<Record<string, string>>, isKey: boolean): void;
  /** null for a null value (a tombstone). Throws DataError when the value cannot be converted. */
  fromConnectData(topic: string, schema: Schema | null | undefined, value: unknown): Buffer | null;
  /** Throws DataError when the bytes cannot be read. */
  toConnectData(topic: string, bytes: Uint8Array | null | undefined): SchemaAndValue;
}

/** A Buffer view of `bytes` without copying. */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
