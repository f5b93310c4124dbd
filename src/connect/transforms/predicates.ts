// The predicates of Kafka's org.apache.kafka.connect.transforms.predicates:
// TopicNameMatches (the whole topic name matches `pattern`), HasHeaderKey (a
// header named `name` exists), RecordIsTombstone (the value is null).

import { defineConfig, nonEmptyString, validator } from '../config/config-def.js';
import type { Predicate } from '../plugin.js';
import type { ConnectRecord } from '../record.js';

const patternValidator = validator('a valid regex', (v) => {
  try {
    new RegExp(v as string);
    return undefined;
  } catch (err) {
    return `Invalid regex: ${(err as Error).message}`;
  }
});

const topicSpec = defineConfig([{ name: 'pattern', type: 'string', required: true, validator: patternValidator, importance: 'medium', doc: 'A Java regular expression for matching against the name of a record\'s topic.' }]);

export class TopicNameMatches implements Predicate {
  #pattern = /^$/;

  config() {
    return topicSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    this.#pattern = new RegExp(`^(?:${topicSpec.parse(config).pattern})$`);
  }

  test(record: ConnectRecord): boolean {
    return record.topic !== null && record.topic !== undefined && this.#pattern.test(record.topic);
  }
}

const headerSpec = defineConfig([{ name: 'name', type: 'string', required: true, validator: nonEmptyString, importance: 'medium', doc: 'The header name.' }]);

export class HasHeaderKey implements Predicate {
  #name = '';

  config() {
    return headerSpec;
  }

  configure(config: Readonly<Record<string, string>>): void {
    this.#name = headerSpec.parse(config).name;
  }

  test(record: ConnectRecord): boolean {
    return record.headers.some((h) => h.key === this.#name);
  }
}

const tombstoneSpec = defineConfig([]);

export class RecordIsTombstone implements Predicate {
  config() {
    return tombstoneSpec;
  }

  configure(): void {}

  test(record: ConnectRecord): boolean {
    return record.value === null || record.value === undefined;
  }
}
