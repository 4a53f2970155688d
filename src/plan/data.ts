// How much raw text a number of training tokens means, per language of the corpus,
// and which open datasets are big enough to supply it.

import { DATASETS, LANGUAGES, findLanguage } from './catalogue.js';
import { UsageError } from '../util/errors.js';

export interface DatasetFit {
  name: string;
  tokens: number;
  license: string;
  /** The dataset holds at least the tokens this language needs. */
  enough: boolean;
  /** Passes over the dataset the plan needs (above ~4 repeated data starts to hurt). */
  epochs: number;
  source: string;
}

export interface LanguageNeed {
  lang: string;
  name: string;
  share: number;
  tokens: number;
  bytesPerToken: number;
  rawGB: number;
  datasets: DatasetFit[];
  /** At least one open dataset in the catalogue covers the need in one pass. */
  openDataEnough: boolean;
}

export interface DataPlan {
  tokens: number;
  rawGB: number;
  languages: LanguageNeed[];
}

/**
 * Parses "en,zh" (equal shares) or "en=0.7,zh=0.3" (shares, normalised to sum to 1).
 * @example parseLanguageMix('en=0.7,zh=0.3') // { en: 0.7, zh: 0.3 }
 */
export function parseLanguageMix(text: string, what = '--langs'): Record<string, number> {
  const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError(`${what}: empty; use e.g. en,zh or en=0.7,zh=0.3 (languages: ${LANGUAGES.map((l) => l.code).join(', ')})`);
  const mix: Record<string, number> = {};
  for (const p of parts) {
    const [code, weight] = p.split('=');
    const lang = findLanguage(code!).code;
    const w = weight === undefined ? 1 : Number(weight);
    if (!(w > 0) || !Number.isFinite(w)) throw new UsageError(`${what}: share of "${lang}" must be a positive number, got "${weight}"`);
    mix[lang] = (mix[lang] ?? 0) + w;
  }
  return normaliseMix(mix);
}

/** Scales shares to sum to 1; every language must be known and every share positive. */
export function normaliseMix(mix: Record<string, number>): Record<string, number> {
  const entries = Object.entries(mix);
  if (entries.length === 0) throw new UsageError(`language mix is empty; accepted languages: ${LANGUAGES.map((l) => l.code).join(', ')}`);
  let total = 0;
  for (const [code, w] of entries) {
    findLanguage(code);
    if (!(w > 0) || !Number.isFinite(w)) throw new UsageError(`share of language "${code}" must be a positive number, got ${w}`);
    total += w;
  }
  return Object.fromEntries(entries.map(([code, w]) => [findLanguage(code).code, w / total]));
}

/** Raw text and open datasets for `tokens` training tokens split over languages. */
export function dataPlan(tokens: number, mix: Record<string, number>): DataPlan {
  const languages = Object.entries(normaliseMix(mix)).map(([code, share]): LanguageNeed => {
    const lang = findLanguage(code);
    const need = tokens * share;
    const datasets = DATASETS.filter((d) => d.lang === code).map((d) => ({
      name: d.name,
      tokens: d.tokens,
      license: d.license,
      enough: d.tokens >= need,
      epochs: need / d.tokens,
      source: d.source,
    }));
    return {
      lang: code,
      name: lang.name,
      share,
      tokens: need,
      bytesPerToken: lang.bytesPerToken,
      rawGB: (need * lang.bytesPerToken) / 1e9,
      datasets,
      openDataEnough: datasets.some((d) => d.enough),
    };
  });
  return { tokens, rawGB: languages.reduce((s, l) => s + l.rawGB, 0), languages };
}
