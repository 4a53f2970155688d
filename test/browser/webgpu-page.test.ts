// The engine in a browser: the page of test/browser (bundled by scripts/build-browser.mjs with
// esbuild) runs a tiny llama's forward pass on the webgpu backend through navigator.gpu in
// headless Chromium (SwiftShader), and its logits match the cpu backend's in Node.
// Skipped, with the reason, where chromium or esbuild is missing.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { backendAvailable } from '../../src/backend/index.js';
import { Transformer } from '../../src/model/transformer.js';
import { createEngine } from '../../src/tensor/index.js';
import { PAGE_B, PAGE_CONFIG, PAGE_IDS, PAGE_SEED, PAGE_T } from './model.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM ?? 'chromium';
/** Headless Chromium with WebGPU on SwiftShader (no GPU needed). */
const FLAGS = [
  '--headless=new', '--no-sandbox', '--disable-gpu-sandbox', '--enable-unsafe-webgpu', '--enable-features=Vulkan',
  '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader', '--no-first-run', '--no-default-browser-check',
];

interface PageResult {
  logits?: number[];
  error?: string;
}

/** Serves dist/browser and waits for the page's POST to /result (or the timeout). */
async function runPage(timeoutMs: number): Promise<PageResult> {
  const dir = join(ROOT, 'dist', 'browser');
  const profile = mkdtempSync(join(tmpdir(), 'anvil-chromium-'));
  let child: ReturnType<typeof spawn> | null = null;
  let stderr = '';
  try {
    return await new Promise<PageResult>((resolve, reject) => {
      const server = createServer((req, res) => {
        if (req.method === 'POST' && req.url === '/result') {
          let body = '';
          req.on('data', (d: Buffer) => (body += d.toString()));
          req.on('end', () => {
            res.end('ok');
            server.close();
            resolve(JSON.parse(body) as PageResult);
          });
          return;
        }
        const file = req.url === '/page.js' ? 'page.js' : 'index.html';
        res.setHeader('content-type', file.endsWith('.js') ? 'text/javascript' : 'text/html');
        res.end(readFileSync(join(dir, file)));
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        child = spawn(CHROMIUM, [...FLAGS, `--user-data-dir=${profile}`, `http://127.0.0.1:${port}/`], { stdio: ['ignore', 'ignore', 'pipe'] });
        child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
        child.on('error', (err) => {
          server.close();
          reject(err);
        });
      });
      setTimeout(() => {
        server.close();
        reject(new Error(`no result from the page after ${timeoutMs / 1000} s; chromium said: ${stderr.slice(-500)}`));
      }, timeoutMs).unref();
    });
  } finally {
    const c = child as ReturnType<typeof spawn> | null;
    if (c && c.exitCode === null) {
      const exited = new Promise((r) => c.once('exit', r));
      c.kill();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    }
    // Chromium's helper processes can still be writing the profile for a moment after the
    // browser exits; a leftover temporary profile is harmless, so cleanup is best effort.
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
    } catch {
      /* left in the temporary folder */
    }
  }
}

test('a forward pass in headless Chromium on navigator.gpu matches the cpu backend', async (t) => {
  if (spawnSync(CHROMIUM, ['--version']).status !== 0) return t.skip(`${CHROMIUM} not found (apt-get install -y chromium libvulkan1)`);
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-browser.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) {
    if (/Cannot find (package|module) 'esbuild'/.test(built.stderr)) return t.skip('esbuild is not installed (npm install)');
    assert.fail(`scripts/build-browser.mjs failed: ${built.stderr}`);
  }
  const page = await runPage(150_000);
  assert.equal(page.error, undefined, `the page failed: ${page.error}`);
  const name = (await backendAvailable('cpu')).ok ? 'cpu' : 'ref';
  const e = await createEngine({ backend: name });
  try {
    const m = Transformer.init(e, PAGE_CONFIG, PAGE_SEED);
    const want = e.noGrad(() => m.forward(PAGE_IDS, PAGE_B, PAGE_T).toArray());
    const got = page.logits!;
    assert.equal(got.length, want.length);
    let scale = 1;
    for (const v of want) scale = Math.max(scale, Math.abs(v));
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) <= 1e-4 * scale, `logit ${i}: page ${got[i]} vs ${name} ${want[i]}`);
    }
  } finally {
    e.dispose();
  }
});
