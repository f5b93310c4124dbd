// Connector config files in the three forms users have (Kafka Connect JSON,
// Strimzi KafkaConnector YAML, MSK Connect properties), read unchanged into
// one {name, config, initialState?}; bad files fail with the file, the line
// and the field.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFormError, detectForm, parseConfigText, readConfigFile } from '../../src/cli/config-forms.js';
import { tempDir } from '../helpers/env.js';

const CLASS = 'org.apache.kafka.connect.file.FileStreamSourceConnector';

/** The one connector of a file. */
function one(text: string, file: string) {
  const parsed = parseConfigText(text, file);
  expect(parsed.connectors).toHaveLength(1);
  return parsed.connectors[0]!;
}

function failure(text: string, file: string): ConfigFormError {
  try {
    parseConfigText(text, file);
  } catch (err) {
    if (err instanceof ConfigFormError) return err;
    throw err;
  }
  throw new Error(`${file} was accepted`);
}

describe('the examples', () => {
  it('read into the same connector from all three forms', async () => {
    const dir = path.resolve('examples');
    const [json, yaml, props] = await Promise.all(['file-source.json', 'file-source.yaml', 'file-source.properties'].map((f) => readConfigFile(path.join(dir, f))));
    expect(json!.form).toBe('kafka-connect-json');
    expect(yaml!.form).toBe('strimzi-yaml');
    expect(props!.form).toBe('msk-properties');
    const expected = {
      name: 'file-source',
      'connector.class': CLASS,
      'tasks.max': '1',
      file: '/tmp/slipway-file-source.txt',
      topic: 'file-lines',
      'batch.size': '500',
      'value.converter': 'org.apache.kafka.connect.storage.StringConverter',
    };
    for (const parsed of [json!, yaml!, props!]) {
      expect(parsed.warnings).toEqual([]);
      expect(parsed.connectors).toHaveLength(1);
      expect(parsed.connectors[0]!.name).toBe('file-source');
      expect(parsed.connectors[0]!.config).toEqual(expected);
    }
    // Only Strimzi is declarative about the state.
    expect(yaml!.connectors[0]!.initialState).toBe('RUNNING');
    expect(json!.connectors[0]!.initialState).toBeUndefined();
    expect(props!.connectors[0]!.initialState).toBeUndefined();
  });

  it('read the Debezium tutorial connector into one config from all three forms, its ${file:…} placeholders kept', async () => {
    const dir = path.resolve('examples');
    const forms = await Promise.all(['inventory-connector.json', 'inventory-connector.yaml', 'inventory-connector.properties'].map((f) => readConfigFile(path.join(dir, f))));
    expect(forms.map((f) => f.form)).toEqual(['kafka-connect-json', 'strimzi-yaml', 'msk-properties']);
    const [first, ...rest] = forms.map((f) => {
      expect(f.warnings).toEqual([]);
      expect(f.connectors).toHaveLength(1);
      return f.connectors[0]!;
    });
    expect(first!.name).toBe('inventory-connector');
    expect(first!.config['connector.class']).toBe('io.debezium.connector.mariadb.MariaDbConnector');
    expect(first!.config['database.password']).toBe('${file:.slipway/demo/inventory-credentials.properties:password}');
    for (const c of rest) expect(c.config).toEqual(first!.config);
  });
});

describe('form detection', () => {
  it('reads the content first and the extension only without a sign in it', () => {
    expect(detectForm('\n  {"name": "a"}', 'x.properties')).toBe('kafka-connect-json');
    expect(detectForm('# comment\napiVersion: kafka.strimzi.io/v1beta2\n', 'x.json')).toBe('strimzi-yaml');
    expect(detectForm('---\nkind: KafkaConnector\n', 'connector')).toBe('strimzi-yaml');
    expect(detectForm('a=b\n', 'x.json')).toBe('kafka-connect-json');
    expect(detectForm('a: b\n', 'x.yml')).toBe('strimzi-yaml');
    expect(detectForm('a: b\n', 'x.properties')).toBe('msk-properties');
    expect(detectForm('connector.class=X\n', 'connector.txt')).toBe('msk-properties');
  });
});

describe('Kafka Connect JSON', () => {
  it('reads {"name", "config"}, keeping numbers and booleans as written', () => {
    const c = one('{"name": "orders", "config": {"connector.class": "X", "tasks.max": 2, "ratio": 1.50, "id": 18446744073709551615, "on": true}}', 'a.json');
    expect(c).toEqual({ name: 'orders', config: { 'connector.class': 'X', 'tasks.max': '2', ratio: '1.50', id: '18446744073709551615', on: 'true', name: 'orders' } });
  });

  it('reads a bare config with a name key, as connect-standalone does', () => {
    expect(one('{"name": "orders", "connector.class": "X"}', 'a.json')).toEqual({ name: 'orders', config: { name: 'orders', 'connector.class': 'X' } });
  });

  it('takes initial_state in any case, and ignores the tasks and type of a saved GET answer', () => {
    const parsed = parseConfigText('{"name": "a", "config": {"connector.class": "X"}, "initial_state": "stopped", "tasks": [], "type": "source"}', 'a.json');
    expect(parsed.connectors[0]!.initialState).toBe('STOPPED');
    expect(parsed.warnings).toEqual([]);
  });

  it('passes placeholders through unchanged', () => {
    const c = one('{"name": "a", "config": {"database.password": "${file:/secrets/db.properties:password}", "x": "${env:DB_USER}"}}', 'a.json');
    expect(c.config['database.password']).toBe('${file:/secrets/db.properties:password}');
    expect(c.config.x).toBe('${env:DB_USER}');
  });

  it('reads tab-indented files and a byte order mark', () => {
    expect(one('\uFEFF{\n\t"name": "a",\n\t"config": {\n\t\t"k": "v"\n\t}\n}\n', 'a.json').config).toEqual({ k: 'v', name: 'a' });
  });

  it('warns about a repeated key and keeps the last value, as Kafka Connect does', () => {
    const parsed = parseConfigText('{"name": "a",\n "config": {\n"k": "1",\n"k": "2"}}', 'a.json');
    expect(parsed.connectors[0]!.config.k).toBe('2');
    expect(parsed.warnings).toEqual([expect.stringMatching(/^a\.json:4: config\.k repeats the key of line 3/)]);
  });

  it('warns about keys that are not part of a connector', () => {
    const parsed = parseConfigText('{"name": "a", "config": {}, "confg": {}}', 'a.json');
    expect(parsed.warnings).toEqual([expect.stringContaining('"confg" is not part of a connector')]);
  });

  it.each([
    ['{"name": "a", "config": {"k": "v",}}', /^a\.json: not valid JSON: .*line 1, column/],
    ['{"name": "a",\n  "config": {"k": }}', /^a\.json: not valid JSON/],
    ['', /^a\.json: not valid JSON/],
    ['[{"name": "a", "config": {}}]', /^a\.json:1: is a JSON array/],
    ['"orders"', /^a\.json:1: expected a connector/],
    ['{"config": {"k": "v"}}', /^a\.json:1: name: missing/],
    ['{"connector.class": "X"}', /no connector name/],
    ['{"name": 7, "config": {}}', /^a\.json:1: name: must be a string, got number 7/],
    ['{"name": "  ", "config": {}}', /name: the connector name must not be empty/],
    ['{"name": "a", "config": "k=v"}', /^a\.json:1: config: must be an object/],
    ['{"name": "a",\n"config": {\n"k": null}}', /^a\.json:3: config\.k: has no value \(null\)/],
    ['{"name": "a",\n"config": {\n"k": ["x"]}}', /^a\.json:3: config\.k: must be a single value .*got a list/],
    ['{"name": "a", "config": {"k": {"x": 1}}}', /config\.k: must be a single value .*got a mapping/],
    ['{"name": "a", "config": {"": "v"}}', /config\.: has an empty key/],
    ['{"name": "a", "config": {"name": "b"}}', /the connector is named "a" but its config says name="b"/],
    ['{"name": "a", "config": {}, "initial_state": "SLEEPING"}', /initial_state: must be one of RUNNING, PAUSED, STOPPED/],
  ])('refuses %j', (text, message) => {
    expect(failure(text, 'a.json').message).toMatch(message);
  });
});

const STRIMZI = `# a KafkaConnector as kubectl would apply it
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: inventory
  labels:
    strimzi.io/cluster: my-connect-cluster
spec:
  class: io.debezium.connector.mysql.MySqlConnector
  tasksMax: 1
  config:
    database.hostname: mysql
    database.port: 3306
    database.password: \${secrets:kafka/mysql-credentials:password}
    database.user: \${env:MYSQL_USER}
    include.schema.changes: false
    decimal.ratio: 1.50
    snapshot.mode: "when_needed"
    empty: ""
`;

describe('Strimzi KafkaConnector', () => {
  it('maps spec.class and spec.tasksMax, stringifies scalars as written and keeps placeholders', () => {
    expect(one(STRIMZI, 'c.yaml')).toEqual({
      name: 'inventory',
      initialState: 'RUNNING',
      config: {
        name: 'inventory',
        'connector.class': 'io.debezium.connector.mysql.MySqlConnector',
        'tasks.max': '1',
        'database.hostname': 'mysql',
        'database.port': '3306',
        'database.password': '${secrets:kafka/mysql-credentials:password}',
        'database.user': '${env:MYSQL_USER}',
        'include.schema.changes': 'false',
        'decimal.ratio': '1.50',
        'snapshot.mode': 'when_needed',
        empty: '',
      },
    });
  });

  it.each([
    ['state: running', 'RUNNING'],
    ['state: paused', 'PAUSED'],
    ['state: stopped', 'STOPPED'],
    ['pause: true', 'PAUSED'],
    ['pause: false', 'RUNNING'],
    ['state: stopped\n  pause: true', 'STOPPED'],
  ])('reads %j as %s', (line, state) => {
    expect(one(`apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata:\n  name: a\nspec:\n  class: X\n  ${line}\n`, 'c.yaml').initialState).toBe(state);
  });

  it('accepts the older v1alpha1 and the newer v1 API versions', () => {
    for (const v of ['v1alpha1', 'v1']) expect(one(`apiVersion: kafka.strimzi.io/${v}\nkind: KafkaConnector\nmetadata: {name: a}\nspec: {class: X}\n`, 'c.yaml').name).toBe('a');
  });

  it('reads every KafkaConnector of a multi-document file and skips other kinds with a warning', () => {
    const text = `apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnect
metadata:
  name: my-connect-cluster
spec:
  replicas: 1
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: first
spec:
  class: X
  state: paused
---
---
apiVersion: kafka.strimzi.io/v1beta2
kind: KafkaConnector
metadata:
  name: second
spec:
  class: Y
  tasksMax: 3
`;
    const parsed = parseConfigText(text, 'all.yaml');
    expect(parsed.connectors.map((c) => [c.name, c.config['connector.class'], c.config['tasks.max'], c.initialState])).toEqual([
      ['first', 'X', undefined, 'PAUSED'],
      ['second', 'Y', '3', 'RUNNING'],
    ]);
    expect(parsed.warnings).toEqual([expect.stringMatching(/^all\.yaml:1: skipped KafkaConnect "my-connect-cluster"/)]);
  });

  it('lets spec.class and spec.tasksMax win over spec.config, with a warning, as Strimzi does', () => {
    const parsed = parseConfigText('apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata: {name: a}\nspec:\n  class: X\n  tasksMax: 2\n  config:\n    connector.class: Y\n    tasks.max: 2\n', 'c.yaml');
    expect(parsed.connectors[0]!.config).toMatchObject({ 'connector.class': 'X', 'tasks.max': '2' });
    expect(parsed.warnings).toEqual([expect.stringMatching(/^c\.yaml:5: spec\.class \(X\) overrides spec\.config\.connector\.class \(Y\)/)]);
  });

  it('maps autoRestart to Slipway auto restart keys and warns about fields it ignores', () => {
    const parsed = parseConfigText(
      'apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata: {name: a}\nspec:\n  class: X\n  autoRestart:\n    enabled: true\n    maxRestarts: 5\n  listOffsets:\n    toConfigMap: {name: offsets}\n  replicas: 2\n',
      'c.yaml',
    );
    expect(parsed.connectors[0]!.config).toMatchObject({ 'slipway.auto.restart.enabled': 'true', 'slipway.auto.restart.max.restarts': '5' });
    expect(parsed.warnings).toEqual([expect.stringContaining('c.yaml:10: spec.listOffsets is not used by Slipway'), expect.stringContaining('c.yaml:11: spec.replicas is not a KafkaConnector field')]);
  });

  it('resolves anchors and aliases', () => {
    const c = one('apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata: {name: a}\nspec:\n  class: &cls X\n  config:\n    also.class: *cls\n', 'c.yaml');
    expect(c.config['also.class']).toBe('X');
  });

  const head = 'apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata:\n  name: a\nspec:\n';
  it.each([
    ['apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n', /^c\.yaml: no KafkaConnector resource in this file/],
    ['kind: KafkaConnector\nmetadata: {name: a}\nspec: {}\n', /^c\.yaml:1: apiVersion: missing/],
    ['apiVersion: kafka.strimzi.io/v2\nkind: KafkaConnector\nmetadata: {name: a}\nspec: {}\n', /^c\.yaml:1: apiVersion: must be one of .*got "kafka\.strimzi\.io\/v2"/],
    ['apiVersion: kafka.strimzi.io/v1beta2\nmetadata: {name: a}\n', /^c\.yaml:1: kind: missing/],
    ['apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nspec: {}\n', /metadata: missing/],
    ['apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata:\n  labels: {}\nspec: {}\n', /metadata\.name: missing/],
    ['apiVersion: kafka.strimzi.io/v1beta2\nkind: KafkaConnector\nmetadata: {name: a}\n', /spec: must be a mapping/],
    [`${head}  class: X\n  tasksMax: two\n`, /^c\.yaml:7: spec\.tasksMax: must be an integer of at least 1, got string "two"/],
    [`${head}  tasksMax: 0\n`, /spec\.tasksMax: must be an integer of at least 1/],
    [`${head}  state: sleeping\n`, /^c\.yaml:6: spec\.state: must be running, paused or stopped/],
    [`${head}  pause: "yes"\n`, /spec\.pause: must be true or false/],
    [`${head}  config:\n    a: 1\n    b:\n`, /^c\.yaml:8: spec\.config\.b: has no value \(null\)/],
    [`${head}  config:\n    a: [1, 2]\n`, /^c\.yaml:7: spec\.config\.a: must be a single value .*got a list/],
    [`${head}  config: [a, b]\n`, /spec\.config: must be a mapping/],
    [`${head}  config:\n    a: 1\n    a: 2\n`, /^c\.yaml:8: not valid YAML: Map keys must be unique/],
    [`${head}  config:\n    a: "unterminated\n`, /^c\.yaml:\d+: not valid YAML/],
    [`${head}  config:\n    name: b\n`, /the connector is named "a" but its config says name="b"/],
    [`${head}\tclass: X\n`, /^c\.yaml:\d+: not valid YAML/],
    ['- a\n- b\n', /^c\.yaml: no KafkaConnector resource|expected a Kubernetes resource/],
    [`${head}  class: X\n---\n${head}  class: Y\n`, /two KafkaConnector resources are named "a"/],
  ])('refuses %j', (text, message) => {
    expect(failure(text, 'c.yaml').message).toMatch(message);
  });
});

describe('MSK Connect properties', () => {
  it('reads key=value lines with comments, taking the name from the file name', () => {
    const c = one('# MSK connector configuration\nconnector.class=X\ntasks.max=2\n\n! another comment\ntopics = orders \n', '/configs/orders-sink.properties');
    expect(c).toEqual({ name: 'orders-sink', config: { 'connector.class': 'X', 'tasks.max': '2', topics: 'orders ', name: 'orders-sink' } });
  });

  it('takes the name from name= when present', () => {
    expect(one('name=inventory\nconnector.class=X\n', 'whatever.properties').name).toBe('inventory');
  });

  it('reads java.util.Properties syntax: key: value, continuations, escapes; placeholders unchanged', () => {
    const c = one('transforms: a,\\\n    b\nregex=a\\=b\npath=C\\:\\\\dir\nnote=caf\\u00e9\npassword=${file:/s.properties:pw}\n', 'c.properties');
    expect(c.config).toMatchObject({ transforms: 'a,b', regex: 'a=b', path: 'C:\\dir', note: 'café', password: '${file:/s.properties:pw}' });
  });

  it('warns about a repeated key and keeps the last value', () => {
    const parsed = parseConfigText('tasks.max=1\nconnector.class=X\ntasks.max=2\n', 'c.properties');
    expect(parsed.connectors[0]!.config['tasks.max']).toBe('2');
    expect(parsed.warnings).toEqual([expect.stringMatching(/^c\.properties:3: tasks\.max repeats line 1/)]);
  });

  it.each([
    ['# only comments\n\n', 'c.properties', /^c\.properties: no config entries/],
    ['connector.class=X\n=orphan value\n', 'c.properties', /^c\.properties:2: a line with no key/],
    ['name=  \nconnector.class=X\n', 'c.properties', /^c\.properties:1: name: the connector name must not be empty/],
    ['connector.class=X\n', '-', /^<stdin>: no name= line/],
  ])('refuses %j', (text, file, message) => {
    expect(failure(text, file).message).toMatch(message);
  });
});

describe('reading files', () => {
  it('names a missing file and a directory', async () => {
    const tmp = tempDir();
    try {
      await expect(readConfigFile(path.join(tmp.dir, 'none.json'))).rejects.toThrow(/none\.json: cannot read: no such file/);
      await expect(readConfigFile(tmp.dir)).rejects.toThrow(/cannot read: is a directory/);
      const file = path.join(tmp.dir, 'c.properties');
      fs.writeFileSync(file, 'connector.class=X\r\ntasks.max=1\r\n');
      expect((await readConfigFile(file)).connectors[0]).toEqual({ name: 'c', config: { 'connector.class': 'X', 'tasks.max': '1', name: 'c' } });
    } finally {
      tmp.cleanup();
    }
  });
});
