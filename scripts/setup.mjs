// The set-up every entry script (npm test, npm start, npm run bench) does
// first: node_modules matching package-lock.json, then the system packages.
// Fast when nothing changed: it compares lock files, it does not run npm.
// Uses only Node built-ins: it runs before `npm install` may have happened.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SystemDepsError, ensureSystemDeps } from './system-deps.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const DEP_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

function sameJson(a, b) {
  return JSON.stringify(a ?? {}) === JSON.stringify(b ?? {});
}

/**
 * What npm needs to do: 'install' when there is no lock or package.json
 * changed since it was written; 'ci' when node_modules is missing or differs
 * from the lock (compared with npm's own record, node_modules/.package-lock.json);
 * null when everything is in place.
 */
export function npmAction(root = ROOT) {
  const pkg = readJson(path.join(root, 'package.json'));
  const lock = readJson(path.join(root, 'package-lock.json'));
  if (!lock?.packages) return { action: 'install', why: 'no package-lock.json' };
  const locked = lock.packages[''] ?? {};
  if (!DEP_FIELDS.every((f) => sameJson(pkg?.[f], locked[f]))) return { action: 'install', why: 'package.json changed since package-lock.json' };
  const installed = readJson(path.join(root, 'node_modules', '.package-lock.json'))?.packages;
  if (!installed) return { action: 'ci', why: 'node_modules is missing' };
  for (const [key, entry] of Object.entries(lock.packages)) {
    if (key === '' || entry.link) continue;
    const have = installed[key];
    // Optional packages for other platforms (esbuild's, napi's) are never installed.
    if (!have) {
      if (entry.optional) continue;
      return { action: 'ci', why: `${key} is not installed` };
    }
    if (have.version !== entry.version || (entry.integrity && have.integrity !== entry.integrity)) return { action: 'ci', why: `${key} is not at ${entry.version}` };
  }
  for (const key of Object.keys(installed)) {
    if (!lock.packages[key]) return { action: 'ci', why: `${key} is installed but not in package-lock.json` };
  }
  for (const f of DEP_FIELDS) {
    for (const name of Object.keys(pkg?.[f] ?? {})) {
      if (f !== 'optionalDependencies' && f !== 'peerDependencies' && !fs.existsSync(path.join(root, 'node_modules', name, 'package.json'))) {
        return { action: 'ci', why: `${name} is missing from node_modules` };
      }
    }
  }
  return null;
}

/** Runs a command with inherited stdio; resolves to its exit code (signals map to 128+n). */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.error) {
    process.stderr.write(`${cmd}: ${r.error.message}\n`);
    return 127;
  }
  if (r.signal) return 128 + (signalNumber(r.signal) ?? 1);
  return r.status ?? 1;
}

function signalNumber(signal) {
  return { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGTERM: 15 }[signal];
}

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** node_modules and system packages in place; returns 0 or the exit code of what failed. */
export function setup() {
  const need = npmAction();
  if (need) {
    process.stderr.write(`setup: npm ${need.action} (${need.why})\n`);
    const code = run(NPM, [need.action, '--no-audit', '--no-fund']);
    if (code !== 0) return code;
  }
  try {
    ensureSystemDeps();
  } catch (err) {
    if (!(err instanceof SystemDepsError)) throw err;
    process.stderr.write(`setup: ${err.message}\n`);
    return 1;
  }
  return 0;
}

/** A binary from node_modules/.bin. */
export function bin(name) {
  return path.join(ROOT, 'node_modules', '.bin', name);
}
