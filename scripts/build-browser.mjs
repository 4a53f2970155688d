// Bundles the browser test page (test/browser/page.ts: the engine, the webgpu backend on
// navigator.gpu and a model's forward pass) into dist/browser/page.js with esbuild.
// Node built-ins reached by the model's imports (file loading in src/io) are replaced by stubs
// that throw: a page has no file system, and the forward pass never touches it.
// Usage: node scripts/build-browser.mjs

import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'browser');

const STUBS = {
  'node:fs': 'const no = () => { throw new Error("no file system in a browser"); };\n' +
    'export const existsSync = () => false; export const readFileSync = no; export const writeFileSync = no;',
  'node:path': 'export const join = (...p) => p.join("/"); export const dirname = (p) => p.replace(/\\/[^/]*$/, "");',
};

const nodeStubs = {
  name: 'node-stubs',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => {
      if (!(args.path in STUBS)) throw new Error(`build-browser: ${args.importer} imports ${args.path}, which has no browser stub`);
      return { path: args.path, namespace: 'node-stub' };
    });
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, (args) => ({ contents: STUBS[args.path], loader: 'js' }));
  },
};

mkdirSync(out, { recursive: true });
await build({
  entryPoints: [join(root, 'test', 'browser', 'page.ts')],
  outfile: join(out, 'page.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  plugins: [nodeStubs],
  logLevel: 'warning',
});
copyFileSync(join(root, 'test', 'browser', 'index.html'), join(out, 'index.html'));
