// The browser test page (bundled by scripts/build-browser.mjs): the engine on the webgpu
// backend through navigator.gpu runs a forward pass of a tiny model and POSTs the logits
// (B, T, V), or the error, to /result, where test/browser/webgpu-page.test.ts compares them
// with the cpu backend.

import { createBrowserWebGpuBackend } from '../../src/backend/webgpu/browser.js';
import { Transformer } from '../../src/model/transformer.js';
import { Engine } from '../../src/tensor/engine.js';
import { PAGE_B, PAGE_CONFIG, PAGE_IDS, PAGE_SEED, PAGE_T } from './model.js';

async function run(): Promise<object> {
  const backend = await createBrowserWebGpuBackend();
  const e = new Engine(backend);
  try {
    const m = Transformer.init(e, PAGE_CONFIG, PAGE_SEED);
    const logits = e.noGrad(() => m.forward(PAGE_IDS, PAGE_B, PAGE_T));
    const values = await backend.readAsync(logits.handle as never, 'f32', logits.size);
    return { adapter: backend.adapter, logits: Array.from(values) };
  } finally {
    e.dispose();
  }
}

// Only in a page: Node's test runner also loads this file (it lies under test/), and there
// it must do nothing.
if (typeof (globalThis as { document?: unknown }).document !== 'undefined') {
  run()
    .catch((err: Error) => ({ error: `${err.name}: ${err.message}` }))
    .then((result) => fetch('/result', { method: 'POST', body: JSON.stringify(result) }));
}
