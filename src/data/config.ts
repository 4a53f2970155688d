// The pipeline configuration: every threshold with its default (datatrove's, FineWeb-2's
// for Chinese), merged with the user's pipeline.json. Unknown keys are errors, so a typo
// never silently leaves a default in place.

import { readFileSync } from 'node:fs';
import { UsageError } from '../util/errors.js';
import { MINHASH_DEFAULTS, type MinHashConfig } from './minhash.js';

/** datatrove GopherQualityFilter defaults. */
export interface GopherQualityParams {
  minWords: number;
  maxWords: number;
  minAvgWordLength: number;
  maxAvgWordLength: number;
  maxSymbolWordRatio: number;
  maxBulletLinesRatio: number;
  maxEllipsisLinesRatio: number;
  /** Minimum share of words containing a letter (datatrove calls it max_non_alpha_words_ratio). */
  minAlphaWordsRatio: number;
  minStopWords: number;
  stopWords: string[];
}

/** datatrove GopherRepetitionFilter defaults. */
export interface GopherRepetitionParams {
  dupLineFrac: number;
  dupParaFrac: number;
  dupLineCharFrac: number;
  dupParaCharFrac: number;
  /** [n, max share of characters in the most frequent n-gram] */
  topNgrams: [number, number][];
  /** [n, max share of characters in duplicated n-grams] */
  dupNgrams: [number, number][];
}

/** datatrove C4QualityFilter defaults (as FineWeb ran it: no terminal-punctuation line filter). */
export interface C4Params {
  filterNoTerminalPunct: boolean;
  minSentences: number;
  minWordsPerLine: number;
  maxWordLength: number;
  filterLoremIpsum: boolean;
  filterJavascript: boolean;
  filterCurlyBracket: boolean;
  filterPolicy: boolean;
  removeCitations: boolean;
}

/** datatrove FineWebQualityFilter defaults. */
export interface FineWebParams {
  linePunctThr: number;
  shortLineThr: number;
  shortLineLength: number;
  charDupRatio: number;
  newLineRatio: number;
}

export interface FilterConfig {
  gopherQuality: GopherQualityParams;
  gopherRepetition: GopherRepetitionParams;
  c4: C4Params;
  fineweb: FineWebParams;
}

export type FilterName = keyof FilterConfig;

/** A per-source entry: files whose path starts with (or matches the glob) `match`. */
export interface SourceConfig {
  match: string;
  license?: string;
  fields?: FieldMap;
}

/** Where JSONL/Parquet fields live (dotted paths allowed). */
export interface FieldMap {
  text: string;
  id?: string;
  url?: string;
  date?: string;
}

export interface PipelineConfig {
  license: string;
  sources: SourceConfig[];
  fields: FieldMap;
  /** Languages kept; empty = all. */
  langs: string[];
  langMinScore: number;
  /** Filters switched on, in order. */
  filters: FilterName[];
  params: FilterConfig;
  /** Per-language overrides of filter parameters. */
  langParams: Record<string, { [K in FilterName]?: Partial<FilterConfig[K]> }>;
  minChars: number;
  urlBlocklist?: string;
  wordBlocklist?: string;
  /** Blocked words needed to reject a document. */
  wordBlocklistMin: number;
  pii: boolean;
  /** memoryMB: what deduplication holds at once (rows and sorted pairs; more spill to OUT/work), whatever the input size. */
  dedup: { exact: boolean; near: boolean; memoryMB: number; minhash: MinHashConfig };
  /** Worker threads (default: available cores). */
  workers: number;
}

const EN_STOP = ['the', 'be', 'to', 'of', 'and', 'that', 'have', 'with'];
/** FineWeb-2 cmn_Hani stop words. */
const ZH_STOP = ['的', '年', '在', '月', '是', '和', '日', '了', '於', '·', '為', '有', '被', '人', '中', '为', '他', '與', '後', '也', '而', '由'];

export function defaultConfig(): PipelineConfig {
  return {
    license: 'unknown',
    sources: [],
    fields: { text: 'text', id: 'id', url: 'url', date: 'date' },
    langs: [],
    langMinScore: 0.5,
    filters: ['gopherQuality', 'gopherRepetition', 'c4', 'fineweb'],
    params: {
      gopherQuality: {
        minWords: 50, maxWords: 100_000, minAvgWordLength: 3, maxAvgWordLength: 10, maxSymbolWordRatio: 0.1,
        maxBulletLinesRatio: 0.9, maxEllipsisLinesRatio: 0.3, minAlphaWordsRatio: 0.8, minStopWords: 2, stopWords: EN_STOP,
      },
      gopherRepetition: {
        dupLineFrac: 0.3, dupParaFrac: 0.3, dupLineCharFrac: 0.2, dupParaCharFrac: 0.2,
        topNgrams: [[2, 0.2], [3, 0.18], [4, 0.16]],
        dupNgrams: [[5, 0.15], [6, 0.14], [7, 0.13], [8, 0.12], [9, 0.11], [10, 0.1]],
      },
      c4: {
        filterNoTerminalPunct: false, minSentences: 5, minWordsPerLine: 3, maxWordLength: 1000, filterLoremIpsum: true,
        filterJavascript: true, filterCurlyBracket: true, filterPolicy: true, removeCitations: true,
      },
      fineweb: { linePunctThr: 0.12, shortLineThr: 0.67, shortLineLength: 30, charDupRatio: 0.01, newLineRatio: 0.3 },
    },
    langParams: {
      // FineWeb-2 configs/cmn_Hani.yml thresholds. Words are characters here (see
      // words.ts): the minimum of 50 words means 50 characters, and n-gram lengths are
      // scaled by ~1.6, the mean length of a Chinese word in characters, so that the
      // word n-gram thresholds keep their meaning (5 words ~ 8 characters).
      zh: {
        gopherQuality: { minAvgWordLength: 1, maxAvgWordLength: 5, minAlphaWordsRatio: 0.735, stopWords: ZH_STOP },
        gopherRepetition: {
          dupLineFrac: 0.287,
          topNgrams: [[3, 0.256], [5, 0.201], [6, 0.171]],
          dupNgrams: [[8, 0.15], [10, 0.14], [11, 0.13], [13, 0.12], [14, 0.11], [16, 0.1]],
        },
        // FineWeb-2 drops the short-line rule for Chinese (threshold above 1 never fires).
        fineweb: { linePunctThr: 0.106, shortLineThr: 1.01, charDupRatio: 0.1, newLineRatio: 0.178 },
      },
    },
    minChars: 1,
    wordBlocklistMin: 1,
    pii: true,
    dedup: { exact: true, near: true, memoryMB: 64, minhash: { ...MINHASH_DEFAULTS } },
    workers: 0,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Overlays `over` on `base`, rejecting keys `base` does not have (except in open maps). */
function overlay(base: Record<string, unknown>, over: Record<string, unknown>, path: string, file: string, open: Set<string>): void {
  for (const [k, v] of Object.entries(over)) {
    const p = path ? `${path}.${k}` : k;
    if (!(k in base) && !open.has(path)) throw new UsageError(`${file}: unknown setting "${p}"`);
    const b = base[k];
    if (isObject(b) && isObject(v) && !open.has(p)) overlay(b, v, p, file, open);
    else if (b !== undefined && b !== null && typeof b !== typeof v) throw new UsageError(`${file}: setting "${p}" must be a ${Array.isArray(b) ? 'list' : typeof b}`);
    else base[k] = v;
  }
}

/** Reads a pipeline.json (or .yaml) file over the defaults. */
export function loadConfig(file: string | undefined, text?: string): PipelineConfig {
  const cfg = defaultConfig();
  if (file === undefined) return cfg;
  let raw: unknown;
  try {
    const src = text ?? readFileSync(file, 'utf8');
    raw = JSON.parse(src);
  } catch (e) {
    throw new UsageError(`${file}: cannot read the pipeline file: ${(e as Error).message}`);
  }
  if (!isObject(raw)) throw new UsageError(`${file}: the pipeline file must hold a JSON object`);
  // langParams is an open map (language -> filter -> overrides); optional keys may be absent in the defaults.
  const open = new Set(['langParams']);
  const base = cfg as unknown as Record<string, unknown>;
  for (const k of ['urlBlocklist', 'wordBlocklist']) if (k in raw) base[k] = raw[k];
  overlay(base, raw, '', file, open);
  if (!(cfg.dedup.memoryMB > 0)) throw new UsageError(`${file}: setting "dedup.memoryMB" must be above 0`);
  for (const f of cfg.filters) if (!(f in cfg.params)) throw new UsageError(`${file}: unknown filter "${f}"; filters: ${Object.keys(cfg.params).join(', ')}`);
  return cfg;
}
