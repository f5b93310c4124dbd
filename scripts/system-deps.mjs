#!/usr/bin/env node
// System packages Slipway needs beyond Node: each is proved present by a
// command on the PATH (or in sbin). Missing ones are installed with apt-get
// when we are root; otherwise we stop and name the exact command to run.
//
//   node scripts/system-deps.mjs            ensure all of them
//   node scripts/system-deps.mjs kcat       ensure only these (by command)
//
// Uses only Node built-ins: it runs before `npm install` may have happened.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** To add one: the command that proves it is installed and the Debian packages that provide it. */
export const SYSTEM_DEPS = [
  { command: 'kcat', packages: ['kcat'], why: 'librdkafka client: tests and benchmarks check the broker with it' },
  { command: 'mariadbd', packages: ['mariadb-server', 'mariadb-client'], why: 'a private MariaDB with a row binlog: CDC tests, benchmarks and the inventory demo' },
  // initdb and postgres live in /usr/lib/postgresql/<v>/bin, off the PATH; pg_ctlcluster (postgresql-common, pulled in by postgresql) proves the package.
  { command: 'pg_ctlcluster', packages: ['postgresql'], why: 'a private PostgreSQL per test file (test/helpers/postgres.ts): JDBC sink tests' },
];

const EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];

export function hasCommand(command) {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
  return dirs.some((dir) => {
    try {
      fs.accessSync(path.join(dir, command), fs.constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

export class SystemDepsError extends Error {
  name = 'SystemDepsError';
}

function installCommand(packages, sudo) {
  const s = sudo ? 'sudo ' : '';
  return `${s}apt-get update && ${s}apt-get install -y --no-install-recommends ${packages.join(' ')}`;
}

function apt(args) {
  const r = spawnSync('apt-get', args, { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  if (r.error) throw new SystemDepsError(`apt-get ${args[0]} could not run: ${r.error.message}`);
  if (r.status !== 0) throw new SystemDepsError(`apt-get ${args.join(' ')} failed with exit code ${r.status}`);
}

/** Installs what is missing (root) or throws a SystemDepsError naming the command (not root). */
export function ensureSystemDeps(deps = SYSTEM_DEPS, log = (line) => process.stderr.write(`system-deps: ${line}\n`)) {
  const missing = deps.filter((d) => !hasCommand(d.command));
  if (missing.length === 0) return;
  const packages = [...new Set(missing.flatMap((d) => d.packages))];
  const what = missing.map((d) => `${d.command} (${d.why})`).join(', ');
  const isRoot = process.getuid?.() === 0;
  if (!isRoot || !hasCommand('apt-get')) {
    const reason = isRoot ? 'apt-get is not available on this machine' : 'not running as root';
    throw new SystemDepsError(`missing ${what}; ${reason}, so install it yourself:\n  ${installCommand(packages, !isRoot)}`);
  }
  log(`missing ${what}; installing ${packages.join(' ')} with apt-get`);
  apt(['update']);
  apt(['install', '-y', '--no-install-recommends', ...packages]);
  const still = missing.filter((d) => !hasCommand(d.command));
  if (still.length > 0) throw new SystemDepsError(`installed ${packages.join(' ')} but still missing: ${still.map((d) => d.command).join(', ')}`);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const names = process.argv.slice(2);
  const unknown = names.filter((n) => !SYSTEM_DEPS.some((d) => d.command === n));
  if (unknown.length > 0) {
    process.stderr.write(`system-deps: unknown ${unknown.join(', ')}; known: ${SYSTEM_DEPS.map((d) => d.command).join(', ')}\n`);
    process.exit(2);
  }
  try {
    ensureSystemDeps(names.length ? SYSTEM_DEPS.filter((d) => names.includes(d.command)) : SYSTEM_DEPS);
  } catch (err) {
    if (!(err instanceof SystemDepsError)) throw err;
    process.stderr.write(`system-deps: ${err.message}\n`);
    process.exit(1);
  }
}
