// The transformer on the engine (ref backend): a saved and re-read model gives identical
// logits; the KV cache gives the logits of a full forward pass; generation with a fixed
// seed is reproducible; initialisation follows the families (scaled residual projections).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine } from '../src/tensor/index.js';
import { Transformer, initialWeights, decays } from '../src/model/transformer.js';
import { generate } from '../src/model/generate.js';
import { readModelFolder, writeModelFolder } from '../src/io/model-folder.js';
import { readSafetensorsFolder, writeSafetensors, writeSafetensorsFolder, type NamedTensor } from '../src/io/safetensors.js';
import type { TransformerConfig } from '../src/model/config.js';
import { InputError } from '../src/util/errors.js';

const configs: TransformerConfig[] = [
  { family: 'gpt2', vocabSize: 40, context: 16, layers: 2, heads: 2, kvHeads: 2, width: 16, hidden: 64, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: true },
  { family: 'llama', vocabSize: 40, context: 16, layers: 2, heads: 4, kvHeads: 2, width: 16, hidden: 48, normEps: 1e-5, ropeTheta: 10000, tieEmbeddings: false },
];

const ids = Int32Array.from({ length: 2 * 10 }, (_, i) => (i * 13 + 5) % 40);

for (const cfg of configs) {
  test(`${cfg.family}: save -> load gives identical logits; loss at init is near ln(V)`, async () => {
    const e = await createEngine({ backend: 'ref' });
    try {
      const a = Transformer.init(e, cfg, 7);
      const dir = mkdtempSync(join(tmpdir(), 'anvil-model-'));
      writeModelFolder(dir, { config: cfg, ids: { bosId: 0, eosId: 0 }, weights: a.exportWeights() });
      const back = readModelFolder(dir);
      assert.deepEqual(back.config, cfg);
      const b = new Transformer(e, back.config, back.weights, dir);
      const la = e.noGrad(() => a.forward(ids, 2, 10).toArray());
      const lb = e.noGrad(() => b.forward(ids, 2, 10).toArray());
      assert.equal(la.length, 2 * 10 * 40);
      assert.deepEqual(lb, la);
      const targets = ids.map((x) => (x * 7 + 3) % 40);
      const loss = e.noGrad(() => a.loss(ids, targets, 2, 10).item());
      assert.ok(Math.abs(loss - Math.log(40)) < 0.1, `initial loss ${loss}`);
    } finally {
      e.dispose();
    }
  });

  test(`${cfg.family}: KV-cache logits equal full-forward logits, and sampling is reproducible`, async () => {
    const e = await createEngine({ backend: 'ref' });
    try {
      const m = Transformer.init(e, cfg, 3);
      const seq = Array.from(ids.slice(0, 9));
      const full = e.noGrad(() => m.forward(Int32Array.from(seq), 1, 9).toArray());
      const cache = m.createCache(1);
      const V = cfg.vocabSize;
      // Prefill 5 positions, then feed one token at a time.
      const first = e.noGrad(() => m.forward(Int32Array.from(seq.slice(0, 5)), 1, 5, { cache, lastOnly: true }).toArray());
      for (let v = 0; v < V; v++) assert.ok(Math.abs(first[v]! - full[4 * V + v]!) < 1e-4);
      for (let t = 5; t < 9; t++) {
        const step = e.noGrad(() => m.forward(Int32Array.from([seq[t]!]), 1, 1, { cache, lastOnly: true }).toArray());
        for (let v = 0; v < V; v++) assert.ok(Math.abs(step[v]! - full[t * V + v]!) < 1e-4, `position ${t}`);
      }
      m.disposeCache(cache);
      const g1 = generate(m, [1, 2, 3], { maxTokens: 20, seed: 5, temperature: 1 });
      const g2 = generate(m, [1, 2, 3], { maxTokens: 20, seed: 5, temperature: 1 });
      const g3 = generate(m, [1, 2, 3], { maxTokens: 20, seed: 5, temperature: 1, useCache: false });
      assert.equal(g1.ids.length, 20); // runs past the context of 16: the cache is rebuilt
      assert.deepEqual(g1.ids, g2.ids);
      assert.deepEqual(g3.ids.slice(0, 10), g1.ids.slice(0, 10));
      const stopped = generate(m, [1, 2, 3], { maxTokens: 20, seed: 5, stopIds: [g1.ids[2]!] });
      assert.equal(stopped.finishReason, 'stop');
    } finally {
      e.dispose();
    }
  });
}

test('a Hub-style GPT-2 folder (no "transformer." prefix, mask buffers, sharded, f16) loads with the same logits', async () => {
  const e = await createEngine({ backend: 'ref' });
  try {
    const cfg = configs[0]!;
    const a = Transformer.init(e, cfg, 9);
    const hub = new Map<string, NamedTensor>();
    for (const [name, t] of a.exportWeights()) hub.set(name.replace(/^transformer\./, ''), t);
    for (let l = 0; l < cfg.layers; l++) hub.set(`h.${l}.attn.bias`, { shape: [1, 1, 16, 16], data: new Float32Array(256).fill(1) });
    const dir = mkdtempSync(join(tmpdir(), 'anvil-hub-'));
    writeSafetensorsFolder(dir, hub, { maxShardBytes: 4096 });
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ architectures: ['GPT2LMHeadModel'], model_type: 'gpt2', vocab_size: 40, n_ctx: 16, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 }));
    const { config, weights } = readModelFolder(dir);
    const b = new Transformer(e, config, weights, dir);
    assert.deepEqual(e.noGrad(() => b.forward(ids, 2, 10).toArray()), e.noGrad(() => a.forward(ids, 2, 10).toArray()));
    // The same weights stored as f16 give logits within half-precision error.
    const half = mkdtempSync(join(tmpdir(), 'anvil-hub-'));
    writeSafetensorsFolder(half, new Map([...a.exportWeights()].map(([n, t]) => [n, { ...t, dtype: 'F16' as const }])));
    const c = new Transformer(e, cfg, readSafetensorsFolder(half), half);
    const la = e.noGrad(() => a.forward(ids, 2, 10).toArray());
    const lc = e.noGrad(() => c.forward(ids, 2, 10).toArray());
    for (let i = 0; i < la.length; i++) assert.ok(Math.abs(la[i]! - lc[i]!) < 2e-2);
  } finally {
    e.dispose();
  }
});

test('initialisation: N(0, 0.02), residual projections scaled by 1/sqrt(2L), unit norms, zero biases', () => {
  const cfg = { ...configs[0]!, layers: 8, width: 64, hidden: 256, vocabSize: 500 };
  const w = initialWeights(cfg, 1);
  const std = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0) / a.length);
  assert.ok(Math.abs(std(w.get('transformer.wte.weight')!.data) - 0.02) < 0.001);
  assert.ok(Math.abs(std(w.get('transformer.h.0.mlp.c_proj.weight')!.data) - 0.02 / 4) < 0.0005);
  assert.ok(w.get('transformer.h.0.ln_1.weight')!.data.every((x) => x === 1));
  assert.ok(w.get('transformer.h.0.attn.c_attn.bias')!.data.every((x) => x === 0));
  assert.deepEqual(initialWeights(cfg, 1).get('transformer.wpe.weight')!.data, w.get('transformer.wpe.weight')!.data);
  assert.equal(decays('transformer.h.0.attn.c_attn.weight', [64, 192]), true);
  assert.equal(decays('transformer.wte.weight', [500, 64]), false);
  assert.equal(decays('model.layers.0.input_layernorm.weight', [64]), false);
  assert.equal(decays('transformer.h.0.attn.c_attn.bias', [192]), false);
});

test('loading weights of a different config names the tensor and the folder', async () => {
  const e = await createEngine({ backend: 'ref' });
  try {
    const cfg = configs[1]!;
    const weights = initialWeights(cfg, 1);
    weights.set('model.norm.weight', { shape: [8], data: new Float32Array(8) });
    assert.throws(() => new Transformer(e, cfg, weights, 'some/dir'), (err: unknown) => err instanceof InputError && /some\/dir.*model\.norm\.weight.*different config/.test(err.message));
    weights.delete('model.norm.weight');
    assert.throws(() => new Transformer(e, cfg, weights, 'some/dir'), /missing/);
    const dir = mkdtempSync(join(tmpdir(), 'anvil-model-'));
    writeFileSync(join(dir, 'config.json'), '{"model_type": "llama"');
    assert.throws(() => readModelFolder(dir), (err: unknown) => err instanceof InputError && /config\.json.*JSON/.test(err.message));
    writeSafetensors(join(dir, 'model.safetensors'), new Map());
  } finally {
    e.dispose();
  }
});
