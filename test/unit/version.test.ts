import fs from 'node:fs';
import { expect, it } from 'vitest';
import { SLIPWAY_VERSION } from '../../src/version.js';

it('SLIPWAY_VERSION is package.json version', () => {
  const pkg = JSON.parse(fs.readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  expect(SLIPWAY_VERSION).toBe(pkg.version);
});
