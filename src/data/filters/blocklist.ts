// URL and word blocklists from files the user provides (one entry per line, '#' starts a
// comment). A URL is blocked when its host or any parent domain is listed, or when a
// listed full URL prefix matches; words match on word boundaries in spaced languages and
// as substrings in unspaced ones (as datatrove's C4 badwords filter does for zh/ja/th).

import { readFileSync } from 'node:fs';
import type { Doc } from '../doc.js';
import type { Stage } from '../stage.js';
import { isUnspaced } from '../words.js';
import { InputError } from '../../util/errors.js';

/** Reads a list file: trimmed non-empty lines without comments. */
export function readList(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read blocklist: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, file);
  }
  return text.split(/\r?\n/).map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
}

export class UrlBlocklist implements Stage {
  readonly name = 'url_blocklist';
  private readonly domains = new Set<string>();
  private readonly prefixes: string[] = [];

  constructor(entries: string[]) {
    for (const e of entries) {
      const x = e.toLowerCase();
      if (x.includes('/')) this.prefixes.push(x.replace(/^https?:\/\//, ''));
      else this.domains.add(x.replace(/^\*\./, ''));
    }
  }

  apply(doc: Doc): string | undefined {
    if (!doc.url) return undefined;
    let host: string;
    try {
      host = new URL(doc.url).hostname.toLowerCase();
    } catch {
      return undefined;
    }
    const parts = host.split('.');
    for (let i = 0; i < parts.length - 1; i++) if (this.domains.has(parts.slice(i).join('.'))) return 'blocked_domain';
    const bare = doc.url.toLowerCase().replace(/^https?:\/\//, '');
    if (this.prefixes.some((p) => bare.startsWith(p))) return 'blocked_url';
    return undefined;
  }
}

export class WordBlocklist implements Stage {
  readonly name = 'word_blocklist';
  private readonly spaced: RegExp | undefined;
  private readonly unspacedWords: string[];

  constructor(words: string[], private readonly minMatches: number) {
    const esc = words.map((w) => w.toLowerCase().replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.spaced = esc.length ? new RegExp(`(?<![\\p{L}\\p{N}])(?:${esc.join('|')})(?![\\p{L}\\p{N}])`, 'gu') : undefined;
    this.unspacedWords = words.map((w) => w.toLowerCase());
  }

  apply(doc: Doc): string | undefined {
    const lower = doc.text.toLowerCase();
    let n = 0;
    if (isUnspaced(doc.lang)) {
      for (const w of this.unspacedWords) for (let i = lower.indexOf(w); i >= 0 && n < this.minMatches; i = lower.indexOf(w, i + w.length)) n++;
    } else if (this.spaced) {
      this.spaced.lastIndex = 0;
      while (n < this.minMatches && this.spaced.exec(lower)) n++;
    }
    return n >= this.minMatches && n > 0 ? 'blocked_words' : undefined;
  }
}
