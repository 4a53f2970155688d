// The catalogue: every figure sourced and dated, names resolved, the published peaks.

import test from 'node:test';
import assert from 'node:assert/strict';
import * as catalogue from './catalogue.js';
import { DATASETS, DEFAULT_MFU, GPUS, LANGUAGES, findGpu, findLanguage } from './catalogue.js';
import { UsageError } from '../util/errors.js';

const sourced = (what: string, x: { source?: unknown; date?: unknown }) => {
  assert.equal(typeof x.source, 'string', `${what}: source`);
  assert.ok((x.source as string).length > 5, `${what}: source`);
  assert.equal(typeof x.date, 'string', `${what}: date`);
};

test('every catalogue entry names its source and date', () => {
  for (const g of GPUS) {
    sourced(`${g.id} spec`, g.spec);
    sourced(`${g.id} price`, g.price);
    assert.ok(g.price.usdPerHour > 0 && g.memoryGB > 0 && g.bandwidthGBs > 0 && g.peakTflops.bf16 > 0, g.id);
  }
  for (const [k, v] of Object.entries(DEFAULT_MFU)) sourced(`MFU ${k}`, v);
  for (const l of LANGUAGES) sourced(`language ${l.code}`, l);
  for (const d of DATASETS) sourced(`dataset ${d.name}`, d);
  // every exported constant object that carries figures is sourced too
  for (const [name, value] of Object.entries(catalogue)) {
    if (value && typeof value === 'object' && !Array.isArray(value) && name === name.toUpperCase() && 'source' in value) sourced(name, value);
  }
});

test('the GPU catalogue covers the issue list, with the published dense BF16 peaks', () => {
  const peaks: Record<string, number> = {
    'A100-40GB': 312, 'A100-80GB': 312, 'H100-SXM': 989, 'H100-PCIe': 756, H200: 989, L40S: 362, 'RTX-3090': 71, 'RTX-4090': 165, 'RTX-5090': 209.5,
  };
  for (const [id, tf] of Object.entries(peaks)) assert.equal(findGpu(id).peakTflops.bf16, tf, id);
  assert.ok(GPUS.some((g) => g.class === 'apple'));
  assert.equal(findGpu('cpu').class, 'cpu');
  assert.equal(findGpu('H200').memoryGB, 141);
});

test('aliases: H100 -> H100-SXM, A100 -> A100-80GB, 4090 / rtx 4090 -> RTX-4090, apple -> an M-series', () => {
  assert.equal(findGpu('H100').id, 'H100-SXM');
  assert.equal(findGpu('h100 pcie').id, 'H100-PCIe');
  assert.equal(findGpu('A100').id, 'A100-80GB');
  assert.equal(findGpu('a100-40gb').id, 'A100-40GB');
  assert.equal(findGpu('4090').id, 'RTX-4090');
  assert.equal(findGpu('RTX 4090').id, 'RTX-4090');
  assert.equal(findGpu('rtx_3090').id, 'RTX-3090');
  assert.equal(findGpu('apple').class, 'apple');
  assert.equal(findGpu('M3-Max').id, 'M3-Max');
});

test('an unknown GPU or language is a usage error that lists what is accepted', () => {
  assert.throws(() => findGpu('H900'), (e: unknown) => e instanceof UsageError && /unknown GPU "H900"; accepted: A100-40GB, A100-80GB, H100-SXM/.test(e.message));
  assert.throws(() => findLanguage('xx'), /accepted: en, zh/);
});
