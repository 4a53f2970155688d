// Chat templates: renders OpenAI-style messages with a model's Jinja template (from
// tokenizer_config.json) or anvil's ChatML default, and marks which tokens belong to
// assistant turns (end-of-turn token included) for supervised fine-tuning.

import { Template } from '@huggingface/jinja';
import { UsageError } from '../util/errors.js';
import type { ChatMessage, Tokenizer } from './tokenizer.js';

const compiled = new Map<string, Template>();

function template(source: string): Template {
  let t = compiled.get(source);
  if (!t) {
    try {
      t = new Template(source);
    } catch (e) {
      throw new UsageError(`chat template does not parse: ${(e as Error).message}`);
    }
    compiled.set(source, t);
  }
  return t;
}

function render(tok: Tokenizer, source: string, messages: ChatMessage[], addGenerationPrompt: boolean): string {
  const cfg = tok.spec.config ?? {};
  try {
    return template(source).render({
      messages,
      add_generation_prompt: addGenerationPrompt,
      bos_token: cfg.bosToken ?? '',
      eos_token: cfg.eosToken ?? '',
      pad_token: cfg.padToken ?? '',
      unk_token: cfg.unkToken ?? '',
    });
  } catch (e) {
    throw new UsageError(`chat template failed to render: ${(e as Error).message}`);
  }
}

/**
 * Renders the chat; an assistant turn spans from the end of the prompt rendered up to
 * it (with the generation prompt) to the end of the chat rendered through it, trimmed
 * after its last special token (the end of turn), so formatting between turns is not
 * trained on.
 */
export function renderChat(
  tok: Tokenizer,
  messages: ChatMessage[],
  addGenerationPrompt: boolean,
  defaultTemplate: string,
): { text: string; ids: number[]; assistantMask: Uint8Array } {
  for (const [k, m] of messages.entries()) {
    if (typeof m?.role !== 'string' || typeof m.content !== 'string') throw new UsageError(`message ${k} needs a string "role" and a string "content"`);
  }
  const source = tok.spec.config?.chatTemplate ?? defaultTemplate;
  const text = render(tok, source, messages, addGenerationPrompt);
  const spans: Array<[number, number]> = [];
  for (let k = 0; k < messages.length; k++) {
    if (messages[k]!.role !== 'assistant') continue;
    const before = render(tok, source, messages.slice(0, k), true);
    const through = render(tok, source, messages.slice(0, k + 1), false);
    if (!text.startsWith(through) || !through.startsWith(before)) continue; // template is not prefix-stable here
    let end = through.length;
    let lastSpecial = -1;
    for (const s of tok.specialTokens) {
      const at = through.lastIndexOf(s.content, end);
      if (at >= before.length && at + s.content.length > lastSpecial) lastSpecial = at + s.content.length;
    }
    if (lastSpecial > before.length) end = lastSpecial;
    spans.push([before.length, end]);
  }
  const ids: number[] = [];
  const starts: number[] = [];
  tok.encodeInto(text, ids, true, starts);
  const assistantMask = new Uint8Array(ids.length);
  let s = 0;
  for (let q = 0; q < ids.length; q++) {
    while (s < spans.length && starts[q]! >= spans[s]![1]) s++;
    if (s < spans.length && starts[q]! >= spans[s]![0]) assistantMask[q] = 1;
  }
  return { text, ids, assistantMask };
}
