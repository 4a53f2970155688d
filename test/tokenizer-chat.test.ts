// Chat templates: ChatML by default, a model's Jinja template from tokenizer_config.json
// otherwise; the assistant mask covers assistant replies and their end-of-turn token only.

import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Tokenizer, trainTokenizer } from '../src/tokenizer/index.js';
import { trainingText } from './tokenizer-corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'anvil-tok-chat-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

const messages = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'What is 2+2?' },
  { role: 'assistant', content: 'Four.' },
  { role: 'user', content: '谢谢' },
  { role: 'assistant', content: '不客气！' },
];

function masked(tok: Tokenizer, ids: number[], mask: Uint8Array): string[] {
  // the assistant runs, decoded
  const runs: string[] = [];
  let cur: number[] = [];
  ids.forEach((id, k) => {
    if (mask[k]) cur.push(id);
    else if (cur.length) runs.push(tok.decode(cur)), (cur = []);
  });
  if (cur.length) runs.push(tok.decode(cur));
  return runs;
}

test('ChatML default: text, ids and the assistant mask (end of turn included)', async () => {
  writeFileSync(join(dir, 't.txt'), trainingText().slice(0, 300_000));
  const tok = await trainTokenizer({ inputs: [join(dir, 't.txt')], vocabSize: 1000, threads: 1 });
  const r = tok.applyChatTemplate(messages);
  assert.equal(
    r.text,
    '<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\nFour.<|im_end|>\n<|im_start|>user\n谢谢<|im_end|>\n<|im_start|>assistant\n不客气！<|im_end|>\n',
  );
  assert.deepEqual(r.ids, tok.encode(r.text, { allowSpecial: true }));
  assert.equal(r.assistantMask.length, r.ids.length);
  assert.deepEqual(masked(tok, r.ids, r.assistantMask), ['Four.<|im_end|>', '不客气！<|im_end|>']);
  const g = tok.applyChatTemplate(messages.slice(0, 2), { addGenerationPrompt: true });
  assert.ok(g.text.endsWith('<|im_start|>assistant\n'));
  assert.equal(g.assistantMask.reduce((a, b) => a + b, 0), 0);
  // the template travels in tokenizer_config.json
  await tok.save(join(dir, 'tok'));
  const cfg = JSON.parse(readFileSync(join(dir, 'tok', 'tokenizer_config.json'), 'utf8'));
  assert.match(cfg.chat_template, /im_start/);
  assert.equal(cfg.eos_token, '<|endoftext|>');
  const loaded = await Tokenizer.load(join(dir, 'tok'));
  assert.deepEqual(loaded.applyChatTemplate(messages), r);
});

test("a model's own Jinja template (Llama-3 style) from tokenizer_config.json", async () => {
  const tok = await trainTokenizer({
    inputs: [join(dir, 't.txt')],
    vocabSize: 1000,
    threads: 1,
    specialTokens: ['<|end_of_text|>', '<|begin_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'],
  });
  await tok.save(join(dir, 'llama'));
  const cfgFile = join(dir, 'llama', 'tokenizer_config.json');
  const cfg = JSON.parse(readFileSync(cfgFile, 'utf8'));
  cfg.bos_token = '<|begin_of_text|>';
  cfg.chat_template =
    "{{ bos_token }}{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}";
  writeFileSync(cfgFile, JSON.stringify(cfg));
  const llama = await Tokenizer.load(join(dir, 'llama'));
  const r = llama.applyChatTemplate(messages.slice(1, 3));
  assert.equal(r.text, '<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\nFour.<|eot_id|>');
  assert.deepEqual(masked(llama, r.ids, r.assistantMask), ['Four.<|eot_id|>']);
});
