import { describe, expect, it } from 'vitest';
import { defineConfig, maskSecrets, nonEmptyString, oneOf, range, regex, restoreMasked, subset, MASK } from '../../src/connect/config/config-def.js';
import { connectorBaseConfig, sinkConnectorBaseConfig } from '../../src/connect/config/connector-config.js';
import { ConfigError } from '../../src/connect/errors.js';
import { thrown } from '../helpers/errors.js';

const fileSource = defineConfig([
  { name: 'file', type: 'string', required: true, validator: nonEmptyString, importance: 'high', group: 'File', doc: 'Source filename.' },
  { name: 'topic', type: 'string', required: true, importance: 'high', group: 'File', doc: 'The topic to publish data to.' },
  { name: 'batch.size', type: 'int', default: 2000, validator: range(1, 100000), importance: 'low', group: 'File', doc: 'Max lines per poll.' },
  { name: 'poll.ratio', type: 'double', default: '0.5', importance: 'low', doc: 'A double.' },
  { name: 'retention.ms', type: 'long', default: 604800000, importance: 'low', doc: 'A long.' },
  { name: 'follow', type: 'boolean', default: true, importance: 'medium', doc: 'Keep reading appended lines.' },
  { name: 'columns', type: 'list', default: 'a, b', validator: oneOf(['a', 'b', 'c']), importance: 'low', doc: 'Columns | with a pipe.' },
  { name: 'mode', type: 'string', default: 'bulk', validator: oneOf(['bulk', 'incrementing'], { caseInsensitive: true }), importance: 'medium', doc: 'Mode.' },
  { name: 'prefix', type: 'string', default: null, validator: regex(/[a-z]+/), importance: 'low', doc: 'Optional.' },
  { name: 'db.password', type: 'password', default: null, importance: 'high', doc: 'The password.' },
  { name: 'helper', type: 'class', default: 'org.example.Helper', importance: 'low', doc: 'A class.' },
]);

describe('ConfigSpec.parse', () => {
  it('converts by type, trims, and fills in defaults', () => {
    const c = fileSource.parse({ file: ' /tmp/in.txt ', topic: 'lines', 'batch.size': ' 10', follow: 'FALSE', columns: ' c ,a ', 'poll.ratio': '1e-3', mode: 'INCREMENTING', 'db.password': 's3cret' });
    expect(c).toEqual({
      file: '/tmp/in.txt',
      topic: 'lines',
      'batch.size': 10,
      'poll.ratio': 0.001,
      'retention.ms': 604800000,
      follow: false,
      columns: ['c', 'a'],
      mode: 'INCREMENTING',
      prefix: null,
      'db.password': 's3cret',
      helper: 'org.example.Helper',
    });
    // typed from the definitions
    const n: number = c['batch.size'];
    const p: string | null = c.prefix;
    expect([n, p]).toEqual([10, null]);
    expect(fileSource.parse({ file: 'f', topic: 't', columns: '' }).columns).toEqual([]);
  });

  it('throws one ConfigError naming every bad field, in Kafka\'s words', () => {
    const err = thrown(ConfigError, () =>
      fileSource.parse({ topic: 't', 'batch.size': '0', follow: 'yes', 'retention.ms': '12abc', columns: 'a,z', mode: 'stream', prefix: 'ABC', 'poll.ratio': 'x' }),
    );
    expect(err.issues).toEqual([
      { field: 'file', message: 'Missing required configuration "file" which has no default value.' },
      { field: 'batch.size', message: 'Invalid value 0 for configuration batch.size: Value must be at least 1' },
      { field: 'poll.ratio', message: 'Invalid value x for configuration poll.ratio: Not a number of type DOUBLE' },
      { field: 'retention.ms', message: 'Invalid value 12abc for configuration retention.ms: Not a number of type LONG' },
      { field: 'follow', message: 'Invalid value yes for configuration follow: Expected value to be either true or false' },
      { field: 'columns', message: 'Invalid value a,z for configuration columns: String must be one of: a, b, c' },
      { field: 'mode', message: 'Invalid value stream for configuration mode: String must be one of (case insensitive): bulk, incrementing' },
      { field: 'prefix', message: 'Invalid value ABC for configuration prefix: String must match the pattern ^(?:[a-z]+)$' },
    ]);
    expect(thrown(ConfigError, () => fileSource.parse({ file: 'f', topic: 't', 'batch.size': '3000000000' })).message).toMatch(/Not a number of type INT/);
    expect(thrown(ConfigError, () => fileSource.parse({ file: '', topic: 't' })).message).toBe('Invalid value  for configuration file: String must be non-empty');
  });

  it('never shows a password in an error', () => {
    const spec = defineConfig([{ name: 'db.password', type: 'password', required: true, validator: regex(/.{12,}/), importance: 'high', doc: '' }]);
    const err = thrown(ConfigError, () => spec.parse({ 'db.password': 'hunter2' }));
    expect(err.message).toBe('Invalid value [hidden] for configuration db.password: String must match the pattern ^(?:.{12,})$');
    expect(err.message).not.toContain('hunter2');
  });

  it('refuses inconsistent definitions when they are made', () => {
    expect(() => defineConfig([{ name: 'a', type: 'int', default: 'x', importance: 'low', doc: '' }])).toThrow(/Invalid default for config a/);
    expect(() => defineConfig([{ name: 'a', type: 'int', default: 0, validator: range(1), importance: 'low', doc: '' }])).toThrow(/at least 1/);
    expect(() => defineConfig([{ name: 'a', type: 'boolean', default: 1, importance: 'low', doc: '' }])).toThrow(/expected a boolean/);
    expect(() => defineConfig([{ name: 'a', type: 'string', required: true, default: 'x', importance: 'low', doc: '' }])).toThrow(/required and cannot have a default/);
    expect(() => fileSource.merge(defineConfig([{ name: 'file', type: 'string', importance: 'low', doc: '' }]))).toThrow(/defined twice/);
  });
});

describe('ConfigSpec.validate: the /connector-plugins/{p}/config/validate response', () => {
  it('has Kafka Connect\'s shape, with upper-case types and importance', () => {
    const res = fileSource.validate({ 'connector.class': 'FileStreamSource', file: '/in.txt', topic: 'lines', 'batch.size': '0', 'db.password': 'hunter2' });
    expect(res.name).toBe('FileStreamSource');
    expect(res.error_count).toBe(1);
    expect(res.groups).toEqual(['File']);
    expect(res.configs.map((c) => c.definition.name)).toEqual(fileSource.names());
    expect(res.configs[2]).toEqual({
      definition: {
        name: 'batch.size',
        type: 'INT',
        required: false,
        default_value: '2000',
        importance: 'LOW',
        documentation: 'Max lines per poll.',
        group: 'File',
        width: 'NONE',
        display_name: 'batch.size',
        dependents: [],
        order: 3,
      },
      value: { name: 'batch.size', value: '0', recommended_values: [], errors: ['Invalid value 0 for configuration batch.size: Value must be at least 1'], visible: true },
    });
    const file = res.configs[0]!;
    expect([file.definition.required, file.definition.default_value, file.definition.type, file.value.value, file.value.errors]).toEqual([true, null, 'STRING', '/in.txt', []]);
    const columns = res.configs.find((c) => c.definition.name === 'columns')!;
    expect([columns.definition.type, columns.definition.default_value, columns.value.value, columns.value.recommended_values, columns.definition.group, columns.definition.order]).toEqual([
      'LIST',
      'a,b',
      'a,b',
      ['a', 'b', 'c'],
      null,
      -1,
    ]);
  });

  it('masks password values, but shows provider placeholders as written', () => {
    const literal = fileSource.validate({ 'db.password': 'hunter2' }).configs.find((c) => c.definition.name === 'db.password')!;
    expect(literal.definition.type).toBe('PASSWORD');
    expect(literal.value.value).toBe(MASK);
    expect(JSON.stringify(fileSource.validate({ 'db.password': 'hunter2' }))).not.toContain('hunter2');
    const ref = fileSource.validate({ 'db.password': '${file:/etc/secrets.properties:db.password}' }).configs.find((c) => c.definition.name === 'db.password')!;
    expect(ref.value.value).toBe('${file:/etc/secrets.properties:db.password}');
  });

  it('counts missing required fields and merges a plugin\'s own errors, also for keys outside the spec', () => {
    const res = fileSource.validate({}, { name: 'x', extraErrors: { topic: ['Topic lines does not exist'], 'other.key': ['Not allowed here'] } });
    expect(res.error_count).toBe(4);
    expect(res.configs.find((c) => c.definition.name === 'topic')!.value.errors).toEqual(['Missing required configuration "topic" which has no default value.', 'Topic lines does not exist']);
    expect(res.configs.at(-1)!.value).toEqual({ name: 'other.key', value: null, recommended_values: [], errors: ['Not allowed here'], visible: true });
  });
});

describe('connectorBaseConfig', () => {
  it('holds Kafka Connect\'s common connector configs with their defaults', () => {
    const c = connectorBaseConfig.parse({ name: 'inventory', 'connector.class': 'FileStreamSource' });
    expect(c).toMatchObject({
      name: 'inventory',
      'connector.class': 'FileStreamSource',
      'tasks.max': 1,
      'key.converter': null,
      'value.converter': null,
      transforms: [],
      predicates: [],
      'errors.tolerance': 'none',
      'errors.retry.timeout': 0,
      'errors.retry.delay.max.ms': 60000,
      'errors.log.enable': false,
      'errors.log.include.messages': false,
      'errors.deadletterqueue.topic.name': '',
      'errors.deadletterqueue.context.headers.enable': false,
      'topic.creation.default.partitions': null,
      'config.action.reload': 'restart',
    });
    expect(connectorBaseConfig.validate({}).groups).toEqual(['Common', 'Transforms', 'Predicates', 'Error Handling', 'Topic Creation', 'Slipway']);
  });

  it('rejects what Kafka Connect rejects', () => {
    const err = thrown(ConfigError, () => connectorBaseConfig.parse({ name: 'x', 'connector.class': 'C', 'tasks.max': '0', 'errors.tolerance': 'some', transforms: 'a,b,a', 'topic.creation.default.partitions': '0' }));
    expect(err.fields).toEqual(['tasks.max', 'transforms', 'errors.tolerance', 'topic.creation.default.partitions']);
    expect(err.messages['tasks.max']).toEqual(['Invalid value 0 for configuration tasks.max: Value must be at least 1']);
    expect(thrown(ConfigError, () => connectorBaseConfig.parse({ 'connector.class': 'C' })).fields).toEqual(['name']);
  });

  it('sink connectors need exactly one of topics and topics.regex', () => {
    const base = { name: 's', 'connector.class': 'FileStreamSink' };
    expect(sinkConnectorBaseConfig.parse({ ...base, topics: 'a,b' }).topics).toEqual(['a', 'b']);
    expect(thrown(ConfigError, () => sinkConnectorBaseConfig.parse(base)).message).toBe('Must configure one of topics or topics.regex');
    expect(thrown(ConfigError, () => sinkConnectorBaseConfig.parse({ ...base, topics: 'a', 'topics.regex': 'a.*' })).fields).toEqual(['topics']);
    expect(thrown(ConfigError, () => sinkConnectorBaseConfig.parse({ ...base, 'topics.regex': '(' })).fields).toEqual(['topics.regex']);
    const topics = sinkConnectorBaseConfig.validate(base).configs.find((c) => c.definition.name === 'topics')!;
    expect(topics.value.errors).toEqual(['Must configure one of topics or topics.regex']);
    expect(topics.definition.order).toBeGreaterThan(connectorBaseConfig.get('header.converter')!.orderInGroup);
  });
});

describe('docs', () => {
  it('renders one markdown row per key from the same spec', () => {
    const md = fileSource.toDocs();
    expect(md.split('\n')[0]).toBe('| Name | Type | Default | Valid values | Importance | Description |');
    expect(md).toContain('| `batch.size` | int | `2000` | [1,...,100000] | low | Max lines per poll. |');
    expect(md).toContain('| `file` | string | *(required)* | non-empty string | high | Source filename. |');
    expect(md).toContain('Columns \\| with a pipe.');
    expect(md.trim().split('\n')).toHaveLength(2 + fileSource.keys.length);
  });
});

describe('secrets', () => {
  const stored = { name: 'db', 'db.password': 'hunter2', 'producer.override.sasl.jaas.config': 'org.apache... password="x";', file: '/in.txt' };

  it('maskSecrets hides literal password values, by spec and by well-known names, but not placeholders', () => {
    const masked = maskSecrets({ ...stored, 'ssl.key.password': '${env:KEY_PASS}', 'other.password': '' }, fileSource);
    expect(masked).toEqual({
      name: 'db',
      'db.password': MASK,
      'producer.override.sasl.jaas.config': MASK,
      file: '/in.txt',
      'ssl.key.password': '${env:KEY_PASS}',
      'other.password': '',
    });
    expect(stored['db.password']).toBe('hunter2');
    const custom = defineConfig([{ name: 'token', type: 'password', importance: 'high', doc: '' }]);
    expect(maskSecrets({ token: 'abc' }, custom)).toEqual({ token: MASK });
    expect(maskSecrets({ token: 'abc' })).toEqual({ token: 'abc' });
  });

  it('restoreMasked keeps the stored secret when a PUT sends the mask back', () => {
    const put = { ...maskSecrets(stored, fileSource), file: '/other.txt' };
    expect(restoreMasked(put, stored, fileSource)).toEqual({ ...stored, file: '/other.txt' });
    expect(restoreMasked({ 'db.password': 'new-secret' }, stored, fileSource)).toEqual({ 'db.password': 'new-secret' });
    const err = thrown(ConfigError, () => restoreMasked({ 'db.password': MASK }, undefined, fileSource));
    expect(err.fields).toEqual(['db.password']);
  });

  it('subset strips a prefix', () => {
    expect(subset({ 'value.converter': 'Json', 'value.converter.schemas.enable': 'false', 'key.converter.x': '1' }, 'value.converter.')).toEqual({ 'schemas.enable': 'false' });
  });
});
