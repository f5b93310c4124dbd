// ByteArrayConverter: passes bytes through untouched (schema bytes or none).

import { defineConfig } from '../config/config-def.js';
import { Schema } from '../data/schema.js';
import { describeValue } from '../data/values.js';
import { DataError } from '../errors.js';
import { asBuffer, type Converter, type SchemaAndValue } from './converter.js';

const spec = defineConfig([]);

export class ByteArrayConverter implements Converter {
  static readonly CLASS = 'org.apache.kafka.connect.converters.ByteArrayConverter';

  config() {
    return spec;
  }

  configure(config: Readonly<Record<string, string>>, _isKey = false): void {
    spec.parse(config);
  }

  fromConnectData(_topic: string, schema: Schema | null | undefined, value: unknown): Buffer | null {
    if (schema && schema.type !== 'bytes') throw new DataError(`Invalid schema type for ByteArrayConverter: ${schema.type}`);
    if (value === null || value === undefined) return null;
    if (!(value instanceof Uint8Array)) throw new DataError(`ByteArrayConverter is not compatible with objects of type ${describeValue(value)}`);
    return asBuffer(value);
  }

  toConnectData(_topic: string, bytes: Uint8Array | null | undefined): SchemaAndValue {
    return { schema: Schema.OPTIONAL_BYTES_SCHEMA, value: bytes ? asBuffer(bytes) : null };
  }
}
