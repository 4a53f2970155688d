// `npm run bench`: runs every benchmark script in bench/ in turn, each in its own process,
// passing through flags such as --json.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// engine.js runs engine-native.js itself, and train.js runs its native rows itself.
const BENCHES = ['engine', 'tokenizer', 'data', 'train', 'webgpu'];
let failed = 0;
for (const name of BENCHES) {
  const file = fileURLToPath(new URL(`./${name}.js`, import.meta.url));
  if (!existsSync(file)) continue;
  const r = spawnSync(process.execPath, [file, ...process.argv.slice(2)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
