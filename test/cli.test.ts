// The CLI contract shared by every command: help, version, exit codes.

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { anvil } from './helpers/cli.js';
import { COMMANDS } from '../src/cli/commands.js';

test('anvil --help lists every registered command', () => {
  const r = anvil(['--help']);
  assert.equal(r.code, 0);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`\\b${c.name}\\b`));
});

test('anvil --version prints the package version', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const r = anvil(['--version']);
  assert.equal(r.code, 0);
  assert.equal(r.stdout.trim(), `anvil ${pkg.version}`);
});

test('an unknown command exits 2 with a one-line reason', () => {
  const r = anvil(['frobnicate']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /unknown command "frobnicate"/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});

test('every command has --help with an example', () => {
  for (const c of COMMANDS) {
    const r = anvil([c.name, '--help']);
    assert.equal(r.code, 0, c.name);
    assert.match(r.stdout, /example/i, `${c.name} --help has no example`);
  }
});
