// What the CLI loads before it does anything: `anvil --help` and `anvil <cmd> --help` must
// not import the heavy stacks (data pipeline, engine, eld's n-gram tables, YAML), which
// would cost every command a second or more. Checked by recording every module the ESM
// loader loads (a module hook, registered with --import), never by timing.

import test from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ANVIL } from './helpers/cli.js';
import { COMMANDS } from '../src/cli/commands.js';

const dir = mkdtempSync(join(tmpdir(), 'anvil-startup-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

// The hook runs on the loader's thread; it appends each loaded URL to the file in
// ANVIL_TEST_MODULE_LOG.
const hooks = join(dir, 'hooks.mjs');
writeFileSync(hooks, `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  appendFileSync(process.env.ANVIL_TEST_MODULE_LOG, url + '\\n');
  return next(url, context);
}
`);
const register = join(dir, 'register.mjs');
writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);

/** Runs `anvil ...args` and returns its exit code and the modules it loaded, as URLs. */
function modulesLoadedBy(args: string[]): { code: number; modules: string[] } {
  const log = join(dir, `log-${args.join('-')}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(register).href, ANVIL, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ANVIL_TEST_MODULE_LOG: log },
  });
  return { code: r.status ?? -1, modules: readFileSync(log, 'utf8').split('\n').filter(Boolean) };
}

/**
 * The stacks no help text needs, by the part of a module URL that names them. (train's
 * help shows TRAIN_DEFAULTS, so it loads the trainer and the model code, not the engine.)
 */
const HEAVY = ['/src/data/', '/src/tensor/', '/node_modules/eld/', '/node_modules/yaml/', '/node_modules/htmlparser2/'];

test('the module hook sees the CLI load (the checks below are not vacuous)', () => {
  const { code, modules } = modulesLoadedBy(['--version']);
  assert.equal(code, 0);
  assert.ok(modules.some((m) => m.endsWith('/src/cli/main.js')), modules.join('\n'));
});

test('anvil --help loads no command module and no dependency', () => {
  const { code, modules } = modulesLoadedBy(['--help']);
  assert.equal(code, 0);
  const ours = modules.filter((m) => m.startsWith('file:'));
  const allowed = /\/src\/cli\/(main|commands)\.js$|\/src\/util\/[\w-]+\.js$/;
  assert.deepEqual(ours.filter((m) => !allowed.test(m)), []);
});

for (const c of COMMANDS) {
  test(`anvil ${c.name} --help loads none of the heavy stacks`, () => {
    const { code, modules } = modulesLoadedBy([c.name, '--help']);
    assert.equal(code, 0);
    assert.ok(modules.some((m) => m.endsWith(`/src/cli/${c.name}.js`)), `${c.name}'s own module loads`);
    assert.deepEqual(modules.filter((m) => HEAVY.some((h) => m.includes(h))), []);
  });
}

test('a command loads its stack when it runs: plan reads plan files with yaml', () => {
  const { code, modules } = modulesLoadedBy(['plan', '--params', '125M', '--gpu', 'A100', '--json']);
  assert.equal(code, 0);
  assert.ok(modules.some((m) => m.includes('/node_modules/yaml/')));
  assert.ok(!modules.some((m) => m.includes('/src/data/') || m.includes('/node_modules/eld/')));
});
