// The stage contract: a stage looks at one document and either keeps it (possibly
// rewriting its text) or names a reason to reject it. The chain owns the accounting
// (in = kept + rejected per stage, counted by reason), so a new filter is one method.

import type { Doc } from './doc.js';
import { count, type Stats } from './stats.js';

/** One streaming step of the pipeline. */
export interface Stage {
  /** Name shown in the report and written as `stage` in rejected records. */
  readonly name: string;
  /** Returns undefined to keep the document (text may be rewritten) or a rejection reason. */
  apply(doc: Doc): string | undefined;
}

/** Where a rejected document stopped. */
export interface Rejection {
  stage: string;
  reason: string;
}

/** Runs a document through the stages in order, counting every decision in stats. */
export function runStages(doc: Doc, stages: readonly Stage[], stats: Stats): Rejection | undefined {
  for (const s of stages) {
    const reason = s.apply(doc);
    count(stats, s.name, reason);
    if (reason !== undefined) return { stage: s.name, reason };
  }
  return undefined;
}

/**
 * Picks the parameters for a document's language: the language's entry over the defaults.
 * The merged object is made once per defaults, overrides and language (stages call this for
 * every document) and must not be modified.
 */
export function forLang<T extends object>(defaults: T, perLang: Record<string, Partial<T>> | undefined, lang: string | undefined): T {
  const o = lang !== undefined ? perLang?.[lang] : undefined;
  if (!o) return defaults;
  let byLang = merged.get(o);
  if (!byLang) merged.set(o, (byLang = new WeakMap()));
  let m = byLang.get(defaults) as T | undefined;
  if (!m) byLang.set(defaults, (m = { ...defaults, ...o }));
  return m;
}

// Merged parameters by override object, then by defaults object.
const merged = new WeakMap<object, WeakMap<object, object>>();
