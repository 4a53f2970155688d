// Text in, text out: encodes a prompt, generates with the KV cache, decodes as it goes,
// streams only text that is complete UTF-8 and cannot still turn into a stop string, and
// cuts the result at the first stop string.

import type { Tokenizer } from '../tokenizer/index.js';
import { generate, type GenerateOptions } from './generate.js';
import { findStop, safeLength } from './sampling.js';
import type { Transformer } from './transformer.js';

/** Options of generateText; `stop` holds stop strings. */
export interface TextOptions extends Omit<GenerateOptions, 'onToken'> {
  stop?: string[];
  /** Receives each new piece of text as it becomes final. */
  onText?: (delta: string) => void;
}

/** The continuation alone (without the prompt), as `anvil generate --json` prints it. */
export interface TextResult {
  text: string;
  ids: number[];
  tokens: number;
  tokensPerSec: number;
  finishReason: 'stop' | 'length';
}

/** Generates a continuation of `promptIds` and decodes it. */
export function generateText(model: Transformer, tok: Tokenizer, promptIds: number[], opts: TextOptions): TextResult {
  const stops = (opts.stop ?? []).filter((s) => s.length > 0);
  const ids: number[] = [];
  let shown = 0;
  let cut = -1;
  const r = generate(model, promptIds, {
    ...opts,
    onToken: (id) => {
      ids.push(id);
      const text = tok.decode(ids);
      const at = findStop(text, stops);
      if (at >= 0) {
        cut = at;
        if (at > shown) opts.onText?.(text.slice(shown, at));
        shown = at;
        return false;
      }
      // An incomplete UTF-8 sequence decodes to U+FFFD at the end: wait for its next byte.
      let end = safeLength(text, stops);
      while (end > shown && text.charCodeAt(end - 1) === 0xfffd) end--;
      if (end > shown) {
        opts.onText?.(text.slice(shown, end));
        shown = end;
      }
      return true;
    },
  });
  let text = tok.decode(ids);
  if (cut >= 0) {
    text = text.slice(0, cut);
    // Drop the ids that only spell the stop string.
    while (ids.length > 0 && tok.decode(ids.slice(0, -1)).length >= cut) ids.pop();
  } else if (text.length > shown) {
    opts.onText?.(text.slice(shown));
  }
  return { text, ids, tokens: r.ids.length, tokensPerSec: r.seconds > 0 ? r.ids.length / r.seconds : 0, finishReason: r.finishReason };
}
