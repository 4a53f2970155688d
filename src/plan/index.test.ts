// plan(): the JSON contract, the fit verdicts of the issue, and suggestions that are
// checked to fit by planning them.

import test from 'node:test';
import assert from 'node:assert/strict';
import { plan, type PlanInput } from './index.js';
import { UsageError } from '../util/errors.js';

test('the result carries the contract keys', () => {
  const r = plan({ params: 1.3e9, gpu: 'A100', gpus: 8 });
  for (const k of ['params', 'tokens', 'flops', 'gpuHours', 'wallClockHours', 'costUsd', 'fits', 'memoryPerGpuGB', 'suggestions'] as const) {
    assert.ok(k in r, k);
  }
  for (const k of ['weights', 'gradients', 'optimizer', 'activations', 'total'] as const) assert.equal(typeof r.memoryPerGpuGB[k], 'number');
  assert.equal(r.tokens, 26e9); // 20 tokens per parameter
  assert.equal(r.flops, 6 * 1.3e9 * 26e9);
  assert.equal(r.people.label, 'rule of thumb');
  assert.ok(r.data.languages[0]!.rawGB > 0);
  const m = r.memoryPerGpuGB;
  assert.ok(Math.abs(m.total - (m.weights + m.gradients + m.optimizer + m.activations + m.kvCache)) < 1e-9);
});

test('ZeRO example through plan(): 7.5B on 64 GPUs, model states per stage', () => {
  const expected = ['120.0', '31.4', '16.6', '1.9'];
  for (const zero of [0, 1, 2, 3] as const) {
    const m = plan({ params: 7.5e9, gpus: 64, zero }).memoryPerGpuGB;
    assert.equal((m.weights + m.gradients + m.optimizer).toFixed(1), expected[zero]);
  }
});

test('7B full fine-tune on one A100-80GB does not fit; every suggestion, when planned, fits', () => {
  const input: PlanInput = { params: 7e9, mode: 'full-finetune', gpu: 'A100-80GB', gpus: 1 };
  const r = plan(input);
  assert.equal(r.fits, false);
  assert.match(r.verdict, /^does not fit/);
  assert.ok(r.suggestions.some((s) => /ZeRO-3/.test(s)));
  assert.ok(r.suggestions.some((s) => /--mode lora/.test(s)));
  assert.ok(r.suggestions.some((s) => /--mode qlora/.test(s)));
  assert.ok(r.suggestions.some((s) => /smaller model/.test(s)));
  for (const s of r.suggestions) {
    const flags = /\((--[^)]*)\)\s*$/.exec(s)?.[1];
    assert.ok(flags, `suggestion without flags: ${s}`);
    const next: PlanInput = { ...input };
    for (const [, k, v] of flags.matchAll(/--([\w-]+) (\S+)/g)) {
      if (k === 'gpus') next.gpus = Number(v);
      else if (k === 'zero') next.zero = Number(v) as 3;
      else if (k === 'mode') next.mode = v as 'lora';
      else if (k === 'gpu') next.gpu = v;
      else if (k === 'seq-len') next.seqLen = Number(v);
      else if (k === 'checkpointing') next.checkpointing = v as 'full';
      else if (k === 'params') next.params = Number(v!.replace(/B$/, '')) * 1e9;
      else assert.fail(`unexpected flag ${k}`);
    }
    if (next.mode === 'lora' || next.mode === 'qlora') next.checkpointing = 'full';
    assert.equal(plan(next).fits, true, s);
  }
});

test('7B QLoRA on an RTX 4090 fits', () => {
  const r = plan({ params: 7e9, mode: 'qlora', gpu: 'RTX-4090' });
  assert.equal(r.fits, true);
  assert.match(r.verdict, /^fits/);
  assert.ok(r.memoryPerGpuGB.total < 24);
  assert.ok(r.model.trainableParams > 0 && r.model.trainableParams < 0.02 * 7e9);
});

test('serving a model too big for one GPU proposes quantization or more GPUs', () => {
  const r = plan({ params: 70e9, mode: 'inference', gpu: '4090' });
  assert.equal(r.fits, false);
  assert.ok(r.suggestions.some((s) => /--gpus \d+/.test(s)));
  // llama.cpp runs Llama-3-70B Q4_K_M (GQA, 8 KV heads) on 2 x 4090
  const llama3_70b = {
    model_type: 'llama', num_hidden_layers: 80, hidden_size: 8192, num_attention_heads: 64, num_key_value_heads: 8,
    intermediate_size: 28672, vocab_size: 128256, max_position_embeddings: 8192,
  };
  const q = plan({ hfConfig: llama3_70b, mode: 'inference', gpu: '4090', gpus: 2, precision: 'int4', seqLen: 2048 });
  assert.equal(q.fits, true, q.verdict);
  // 19.2 tok/s measured; bandwidth-bound estimate within 30%
  assert.ok(Math.abs(q.tokensPerSecond.expected / 19.2 - 1) < 0.3, `${q.tokensPerSecond.expected}`);
});

test('models from --depth and from config.json; conflicting inputs are usage errors', () => {
  const d = plan({ family: 'gpt2', depth: 12, tokens: 10e9, gpu: 'A100', gpus: 8 });
  assert.equal(d.params, 124_439_808);
  assert.equal(d.model.source, 'depth');
  const c = plan({ hfConfig: { model_type: 'llama', num_hidden_layers: 22, hidden_size: 2048, num_attention_heads: 32, num_key_value_heads: 4, intermediate_size: 5632, vocab_size: 32000, max_position_embeddings: 2048 } });
  assert.equal(c.params, 1_100_048_384);
  assert.throws(() => plan({ params: 1e9, depth: 12 }), (e: unknown) => e instanceof UsageError && /one way/.test(e.message));
  assert.throws(() => plan({}), /no model given/);
  assert.throws(() => plan({ params: 1e9, gpu: 'A100', precision: 'fp8' }), /fp8 needs FP8 tensor cores/);
  assert.throws(() => plan({ params: 1e9, mode: 'lora', precision: 'int4' }), /for --mode inference/);
  assert.throws(() => plan({ family: 'gpt2', depth: 12, hfConfig: undefined, seqLen: 1024, mode: 'pretrain', gpus: 0 }), /--gpus: 0 is out of range/);
});

test('notes: the 4 GiB WebAssembly limit on cpu, and the handover to FSDP beyond one device', () => {
  const cpu = plan({ params: 1e9, gpu: 'cpu' });
  assert.ok(cpu.notes.some((n) => /4 GiB/.test(n)));
  const multi = plan({ params: 1e9, gpu: 'H100', gpus: 8 });
  assert.ok(multi.notes.some((n) => /FSDP/.test(n)));
});
