// Registers every built-in SMT and predicate under Kafka's (and Debezium's)
// class names; the registry adds the simple names (`InsertField$Value`,
// `TopicNameMatches`) as aliases. `$Key`/`$Value` variants are one class
// given the side it works on.

import type { Predicate, Transformation } from '../plugin.js';
import { slipwayVersion, type PluginRegistry } from '../registry.js';
import { Cast } from './cast.js';
import { ExtractNewRecordState } from './extract-new-record-state.js';
import { Filter } from './filter.js';
import { Flatten } from './flatten.js';
import { DropHeaders, HeaderFrom, InsertHeader } from './headers.js';
import { ExtractField, HoistField } from './hoist-extract.js';
import { InsertField } from './insert-field.js';
import { MaskField } from './mask-field.js';
import { HasHeaderKey, RecordIsTombstone, TopicNameMatches } from './predicates.js';
import { ReplaceField } from './replace-field.js';
import { RegexRouter, TimestampRouter } from './routers.js';
import { SetSchemaMetadata } from './set-schema-metadata.js';
import { TimestampConverter } from './timestamp-converter.js';
import { KAFKA_PACKAGE, type Side } from './util.js';
import { ValueToKey } from './value-to-key.js';

/** Transforms with `$Key` and `$Value` variants: simple name → factory for a side. */
const SIDED: Record<string, (side: Side) => Transformation> = {
  InsertField: (s) => new InsertField(s),
  ReplaceField: (s) => new ReplaceField(s),
  MaskField: (s) => new MaskField(s),
  HoistField: (s) => new HoistField(s),
  ExtractField: (s) => new ExtractField(s),
  Cast: (s) => new Cast(s),
  TimestampConverter: (s) => new TimestampConverter(s),
  Flatten: (s) => new Flatten(s),
  HeaderFrom: (s) => new HeaderFrom(s),
  SetSchemaMetadata: (s) => new SetSchemaMetadata(s),
};

const SINGLE: Record<string, () => Transformation> = {
  ValueToKey: () => new ValueToKey(),
  TimestampRouter: () => new TimestampRouter(),
  RegexRouter: () => new RegexRouter(),
  Filter: () => new Filter(),
  InsertHeader: () => new InsertHeader(),
  DropHeaders: () => new DropHeaders(),
};

const PREDICATES: Record<string, () => Predicate> = {
  TopicNameMatches: () => new TopicNameMatches(),
  HasHeaderKey: () => new HasHeaderKey(),
  RecordIsTombstone: () => new RecordIsTombstone(),
};

export const EXTRACT_NEW_RECORD_STATE = 'io.debezium.transforms.ExtractNewRecordState';

export function registerTransforms(registry: PluginRegistry): void {
  const version = slipwayVersion();
  for (const [name, make] of Object.entries(SIDED)) {
    registry.registerTransform({ class: `${KAFKA_PACKAGE}.${name}$Key`, version, create: () => make('key') });
    registry.registerTransform({ class: `${KAFKA_PACKAGE}.${name}$Value`, version, create: () => make('value') });
  }
  for (const [name, make] of Object.entries(SINGLE)) registry.registerTransform({ class: `${KAFKA_PACKAGE}.${name}`, version, create: make });
  registry.registerTransform({ class: EXTRACT_NEW_RECORD_STATE, version, create: () => new ExtractNewRecordState() });
  for (const [name, make] of Object.entries(PREDICATES)) registry.registerPredicate({ class: `${KAFKA_PACKAGE}.predicates.${name}`, version, create: make });
}

export { TransformChain, TransformError, validateTransforms } from './chain.js';
