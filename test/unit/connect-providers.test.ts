import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPlaceholder, parseProperties, resolveConfig } from '../../src/connect/config/providers.js';
import { ConfigError } from '../../src/connect/errors.js';
import { tempDir } from '../helpers/env.js';
import { rejected } from '../helpers/errors.js';

let dir: string;
let cleanup: () => void;

beforeAll(() => {
  ({ dir, cleanup } = tempDir('slipway-providers-'));
  fs.writeFileSync(path.join(dir, 'db.properties'), 'db.user=inventory\ndb.password: s3cr=t:x \n# db.password=commented\n');
  fs.mkdirSync(path.join(dir, 'secrets'));
  fs.writeFileSync(path.join(dir, 'secrets', 'api-key'), 'k-123\n');
});
afterAll(() => cleanup());

describe('java.util.Properties parsing', () => {
  const parse = (text: string) => Object.fromEntries(parseProperties(text));

  it('reads key=value, key: value and key value, with whitespace rules', () => {
    expect(parse('a=1\nb: 2\nc 3\n  d\t=\t4\ne=\nf\ng = x  \n')).toEqual({ a: '1', b: '2', c: '3', d: '4', e: '', f: '', g: 'x  ' });
    expect(parse('key  =  value with = and : inside')).toEqual({ key: 'value with = and : inside' });
    expect(parse('key:=v')).toEqual({ key: '=v' });
    expect(parse('key = = v')).toEqual({ key: '= v' });
    expect(parse('\fkey\f\fvalue')).toEqual({ key: 'value' });
  });

  it('skips blank lines and # or ! comments, which never continue', () => {
    expect(parse('# comment \\\nx=1\n   ! also a comment\n\n   \ny=2')).toEqual({ x: '1', y: '2' });
  });

  it('joins lines ending in an odd number of backslashes, dropping the next line\'s leading whitespace', () => {
    expect(parse('list=a,\\\n    b,\\\n    c\nnext=1')).toEqual({ list: 'a,b,c', next: '1' });
    expect(parse('path=C:\\\\\nnext=1')).toEqual({ path: 'C:\\', next: '1' });
    expect(parse('a=x\\\n   \nb=2')).toEqual({ a: 'x', b: '2' });
    expect(parse('a=1\\\n# not a comment here')).toEqual({ a: '1# not a comment here' });
    expect(parse('a=end\\')).toEqual({ a: 'end' });
  });

  it('handles \\r\\n and \\r line ends', () => {
    expect(parse('a=1\r\nb=2\rc=3')).toEqual({ a: '1', b: '2', c: '3' });
  });

  it('unescapes \\t \\n \\r \\f, \\uXXXX and escaped separators; the last repeated key wins', () => {
    expect(parse('tab=a\\tb\nnl=a\\nb\nuni=caf\\u00e9\nother=\\q\\\\')).toEqual({ tab: 'a\tb', nl: 'a\nb', uni: 'café', other: 'q\\' });
    expect(parse('key\\=with\\:seps\\ and\\ space=v')).toEqual({ 'key=with:seps and space': 'v' });
    expect(parse('dup=1\ndup=2')).toEqual({ dup: '2' });
    expect(() => parse('bad=\\u12')).toThrow(/Malformed \\uxxxx encoding/);
  });
});

describe('hasPlaceholder', () => {
  it('recognises ${provider:[path:]key} placeholders', () => {
    expect(hasPlaceholder('${file:/etc/x.properties:pw}')).toBe(true);
    expect(hasPlaceholder('jdbc:${env:HOST}:3306')).toBe(true);
    expect(hasPlaceholder('${env::HOST}')).toBe(true);
    expect(hasPlaceholder('plain $text {x:y}')).toBe(false);
    expect(hasPlaceholder('${nocolon}')).toBe(false);
  });
});

describe('resolveConfig', () => {
  const env = { DB_HOST: 'db.internal', DB_PORT: '3306' };

  it('resolves file, env (both forms) and directory placeholders, several in one value', async () => {
    const raw = {
      'database.hostname': '${env:DB_HOST}',
      'database.url': 'jdbc:mysql://${env::DB_HOST}:${env:DB_PORT}/inventory',
      'database.user': '${file:db.properties:db.user}',
      'database.password': '${file:' + path.join(dir, 'db.properties') + ':db.password}',
      'api.key': '${directory:' + path.join(dir, 'secrets') + ':api-key}',
      'tasks.max': '1',
    };
    const resolved = await resolveConfig(raw, { env, cwd: dir });
    expect(resolved).toEqual({
      'database.hostname': 'db.internal',
      'database.url': 'jdbc:mysql://db.internal:3306/inventory',
      'database.user': 'inventory',
      'database.password': 's3cr=t:x ',
      'api.key': 'k-123\n',
      'tasks.max': '1',
    });
    expect(Object.keys(resolved)).toEqual(Object.keys(raw));
    expect(raw['database.password']).toMatch(/^\$\{file:/);
  });

  it('names the config key and the placeholder of everything it cannot resolve, never a secret', async () => {
    const err = await rejected(ConfigError, 
      resolveConfig(
        {
          a: '${env:MISSING}',
          b: '${file:db.properties:nope}',
          c: '${file:missing.properties:x}',
          d: '${vault:secret/db:password}',
          e: '${directory:secrets:../db.properties}',
          f: 'ok ${env:DB_HOST} then ${env:ALSO_MISSING}',
        },
        { env, cwd: dir },
      ),
    );
    expect(err.fields).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(err.messages['a']).toEqual(['Could not resolve ${env:MISSING} in configuration a: environment variable MISSING is not set']);
    expect(err.messages['b']).toEqual(['Could not resolve ${file:db.properties:nope} in configuration b: key nope not found in db.properties']);
    expect(err.messages['c']![0]).toMatch(/^Could not resolve \$\{file:missing.properties:x\} in configuration c: cannot read file missing.properties \(ENOENT\)$/);
    expect(err.messages['d']![0]).toMatch(/unknown config provider "vault"/);
    expect(err.messages['e']![0]).toMatch(/is not a file name inside secrets/);
    expect(err.messages['f']).toEqual(['Could not resolve ${env:ALSO_MISSING} in configuration f: environment variable ALSO_MISSING is not set']);
    expect(err.message).not.toContain('db.internal');
    expect(err.message).not.toContain('s3cr');
  });

  it('rejects a path for env and a missing path for file', async () => {
    const err = await rejected(ConfigError, resolveConfig({ x: '${env:some/path:VAR}', y: '${file:key}' }, { env }));
    expect(err.messages['x']![0]).toMatch(/the env provider takes no path/);
    expect(err.messages['y']![0]).toMatch(/the file provider needs a path/);
  });
});
