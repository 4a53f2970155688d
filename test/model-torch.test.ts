// Semantics check against PyTorch: an anvil model folder, read by bench/train_ref.py
// (an independent PyTorch implementation of both families with HF layouts), gives the
// same logits. Skipped, with the reason, where python3 with torch is not installed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine } from '../src/tensor/index.js';
import { Transformer } from '../src/model/transformer.js';
import { writeModelFolder } from '../src/io/model-folder.js';
import type { TransformerConfig } from '../src/model/config.js';

const REF = fileURLToPath(new URL('../../bench/train_ref.py', import.meta.url));
// Debian's python3-torch lives under /usr/bin/python3 (a pyenv python3 may come first on PATH).
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const hasTorch = spawnSync(PYTHON, ['-c', 'import torch, numpy'], { encoding: 'utf8' }).status === 0;

const configs: TransformerConfig[] = [
  { family: 'gpt2', vocabSize: 37, context: 12, layers: 2, heads: 2, kvHeads: 2, width: 16, hidden: 64, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true },
  { family: 'llama', vocabSize: 37, context: 12, layers: 2, heads: 4, kvHeads: 2, width: 32, hidden: 48, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false },
];

for (const cfg of configs) {
  test(`${cfg.family}: logits match an independent PyTorch implementation`, { skip: hasTorch ? false : 'python3 with torch and numpy is not installed' }, async () => {
    const e = await createEngine({ backend: 'ref' });
    try {
      const m = Transformer.init(e, cfg, 11);
      const dir = mkdtempSync(join(tmpdir(), 'anvil-torch-'));
      writeModelFolder(dir, { config: cfg, ids: { bosId: 0, eosId: 0 }, weights: m.exportWeights() });
      const ids = [[1, 5, 9, 2, 33, 7, 7, 0, 12, 3], [4, 4, 4, 8, 16, 30, 2, 1, 0, 36]];
      const ours = e.noGrad(() => m.forward(Int32Array.from(ids.flat()), 2, 10).toArray());
      const r = spawnSync(PYTHON, [REF, 'logits', dir, JSON.stringify(ids)], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
      assert.equal(r.status, 0, r.stderr);
      const theirs = JSON.parse(r.stdout) as { shape: number[]; logits: number[] };
      assert.deepEqual(theirs.shape, [2, 10, cfg.vocabSize]);
      let worst = 0;
      for (let i = 0; i < ours.length; i++) worst = Math.max(worst, Math.abs(ours[i]! - theirs.logits[i]!));
      assert.ok(worst < 1e-4, `largest logit difference ${worst}`);
    } finally {
      e.dispose();
    }
  });
}
