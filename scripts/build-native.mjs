// Build step for the native backend (src/backend/native/csrc -> build/Release/anvil_native.node).
// Runs node-gyp with the machine's C++ compiler against Node's own headers. It never
// fails the install: without a compiler or node-gyp it prints nothing and exits 0, and
// if compiling fails it says so in one line and exits 0 (anvil then uses the cpu backend).
// ANVIL_NATIVE=off skips it. Up-to-date builds are not redone.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const addon = join(root, 'build', 'Release', 'anvil_native.node');
const srcDir = join(root, 'src', 'backend', 'native', 'csrc');

function main() {
  if (['off', '0', 'false'].includes(String(process.env.ANVIL_NATIVE ?? '').toLowerCase())) return;
  if (!existsSync(srcDir)) return;
  if (upToDate()) return;
  const cxx = [process.env.CXX, 'c++', 'g++', 'clang++'].filter(Boolean).find(works);
  if (!cxx) return;
  const gyp = findNodeGyp();
  if (!gyp) return;
  const args = [...gyp, 'rebuild', '--release', `--jobs=${process.env.ANVIL_NATIVE_JOBS ?? '2'}`];
  const nodedir = findNodeDir();
  if (nodedir) args.push(`--nodedir=${nodedir}`);
  const r = spawnSync(args[0], args.slice(1), { cwd: root, encoding: 'utf8', env: { ...process.env, CXX: cxx } });
  if (r.status !== 0) {
    const lines = `${r.stderr ?? ''}${r.stdout ?? ''}`.split('\n').filter((l) => /error/i.test(l));
    process.stderr.write(
      `anvil: native backend not built (${lines[0]?.trim() ?? r.error?.message ?? 'node-gyp failed'}); the cpu backend will be used\n`,
    );
  }
}

function works(cmd) {
  const r = spawnSync(cmd, ['--version'], { encoding: 'utf8' });
  return r.status === 0;
}

// npm exports the path of its bundled node-gyp to scripts; otherwise look beside node.
function findNodeGyp() {
  const candidates = [
    process.env.npm_config_node_gyp,
    join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
    join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  ];
  for (const c of candidates) if (c && existsSync(c)) return [process.execPath, c];
  const r = spawnSync('node-gyp', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? ['node-gyp'] : null;
}

// Headers of the running Node (Debian and most installs ship them), so nothing is downloaded.
function findNodeDir() {
  const prefix = join(dirname(process.execPath), '..');
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) return prefix;
  return process.env.npm_config_nodedir || null;
}

function upToDate() {
  if (!existsSync(addon)) return false;
  const built = statSync(addon).mtimeMs;
  const inputs = [join(root, 'binding.gyp'), ...readdirSync(srcDir).map((f) => join(srcDir, f))];
  return inputs.every((f) => statSync(f).mtimeMs <= built);
}

try {
  main();
} catch (e) {
  process.stderr.write(`anvil: native backend not built (${e instanceof Error ? e.message : String(e)})\n`);
}
