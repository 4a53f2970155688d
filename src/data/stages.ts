// The per-document stages in pipeline order, built from the configuration: extraction,
// normalisation, URL blocklist, language, word blocklist, personal data, quality filters.

import type { Doc } from './doc.js';
import type { PipelineConfig, FilterName } from './config.js';
import type { Stage } from './stage.js';
import { extractHtml } from './html.js';
import { normalizeText } from './normalize.js';
import { redactPii } from './pii.js';
import { LanguageFilter } from './filters/lang.js';
import { GopherQuality } from './filters/gopher.js';
import { GopherRepetition } from './filters/gopher-repetition.js';
import { C4 } from './filters/c4.js';
import { FineWeb } from './filters/fineweb.js';
import { readList, UrlBlocklist, WordBlocklist } from './filters/blocklist.js';

/** HTML to main text (documents that arrive as text pass unchanged). */
export class Extract implements Stage {
  readonly name = 'extract';
  apply(doc: Doc): string | undefined {
    if (doc.html === undefined) return undefined;
    const { text } = extractHtml(doc.html);
    doc.html = undefined;
    doc.text = text;
    return text.trim() ? undefined : 'no_text';
  }
}

export class Normalize implements Stage {
  readonly name = 'normalize';
  constructor(private readonly minChars: number) {}
  apply(doc: Doc): string | undefined {
    doc.text = normalizeText(doc.text);
    return doc.text.length < Math.max(1, this.minChars) ? 'empty' : undefined;
  }
}

/** Replaces personal data with typed placeholders; never rejects. Counts accumulate in `counts`. */
export class Pii implements Stage {
  readonly name = 'pii';
  counts: Record<string, number> = {};
  apply(doc: Doc): string | undefined {
    const r = redactPii(doc.text);
    doc.text = r.text;
    for (const [k, n] of Object.entries(r.counts)) this.counts[k] = (this.counts[k] ?? 0) + n!;
    return undefined;
  }
}

/** Builds the stage list for a configuration. */
export function buildStages(cfg: PipelineConfig): { stages: Stage[]; pii?: Pii } {
  const stages: Stage[] = [new Extract(), new Normalize(cfg.minChars)];
  if (cfg.urlBlocklist) stages.push(new UrlBlocklist(readList(cfg.urlBlocklist)));
  stages.push(new LanguageFilter(cfg.langs, cfg.langMinScore));
  if (cfg.wordBlocklist) stages.push(new WordBlocklist(readList(cfg.wordBlocklist), cfg.wordBlocklistMin));
  // Personal data goes before the quality filters: C4 drops short lines, which would cut
  // a multi-line private key apart and leave pieces no pattern recognises.
  let pii: Pii | undefined;
  if (cfg.pii) stages.push((pii = new Pii()));
  const lp = <K extends FilterName>(k: K) => {
    const o: Record<string, Partial<PipelineConfig['params'][K]>> = {};
    for (const [lang, v] of Object.entries(cfg.langParams)) if (v[k]) o[lang] = v[k]!;
    return o;
  };
  for (const f of cfg.filters) {
    if (f === 'gopherQuality') stages.push(new GopherQuality(cfg.params.gopherQuality, lp('gopherQuality')));
    else if (f === 'gopherRepetition') stages.push(new GopherRepetition(cfg.params.gopherRepetition, lp('gopherRepetition')));
    else if (f === 'c4') stages.push(new C4(cfg.params.c4, lp('c4')));
    else if (f === 'fineweb') stages.push(new FineWeb(cfg.params.fineweb, lp('fineweb')));
  }
  return pii ? { stages, pii } : { stages };
}
