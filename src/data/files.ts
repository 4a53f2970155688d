// Input expansion: paths, directories (walked recursively) and globs (`*`, `?`, `**`),
// keeping the files a reader exists for, sorted so that file indices are stable.

import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { formatOf } from './read/index.js';
import { UsageError } from '../util/errors.js';

function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += '.*';
      i++;
      if (glob[i + 1] === '/') i++;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Appends the readable files under `dir`, sorted by name, recursively. Symbolic links are
 * followed (a folder of links to data files is common); a folder reached again through a
 * link is skipped (`seen` holds the real paths walked), a broken link is an error.
 */
function walk(dir: string, out: string[], seen = new Set<string>()): void {
  const real = realpathSync(dir);
  if (seen.has(real)) return;
  seen.add(real);
  for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = join(dir, e.name);
    let isDir = e.isDirectory();
    let isFile = e.isFile();
    if (e.isSymbolicLink()) {
      let st;
      try {
        st = statSync(p);
      } catch {
        throw new UsageError(`${p}: a link to nothing (its target is missing)`);
      }
      isDir = st.isDirectory();
      isFile = st.isFile();
    }
    if (isDir) walk(p, out, seen);
    else if (isFile && formatOf(p)) out.push(p);
  }
}

/** Expands inputs into a sorted, de-duplicated list of readable files. */
export function expandInputs(inputs: string[]): string[] {
  const found = new Set<string>();
  for (const input of inputs) {
    if (/[*?]/.test(input)) {
      const first = input.search(/[*?]/);
      const base = input.slice(0, input.lastIndexOf('/', first) + 1) || '.';
      const re = globToRegExp(resolve(input).split(sep).join('/'));
      const all: string[] = [];
      try {
        walk(base, all);
      } catch (e) {
        if (e instanceof UsageError) throw e;
        throw new UsageError(`--input ${input}: folder ${base} cannot be read`);
      }
      const hits = all.filter((p) => re.test(resolve(p).split(sep).join('/')));
      if (hits.length === 0) throw new UsageError(`--input ${input}: no readable files match`);
      for (const h of hits) found.add(h);
      continue;
    }
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new UsageError(`--input ${input}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const all: string[] = [];
      walk(input, all);
      if (all.length === 0) throw new UsageError(`--input ${input}: the folder holds no readable files (.jsonl[.gz|.zst], .txt, .md, .html, .warc[.gz], .wet.gz, .parquet)`);
      for (const f of all) found.add(f);
    } else if (formatOf(input)) found.add(input);
    else throw new UsageError(`--input ${input}: unknown file type; readable: .jsonl[.gz|.zst], .txt, .md, .html, .warc[.gz], .wet.gz, .parquet`);
  }
  return [...found].sort();
}

/** True when a source pattern (path prefix or glob) matches a file. */
export function sourceMatches(pattern: string, file: string): boolean {
  if (/[*?]/.test(pattern)) return globToRegExp(resolve(pattern).split(sep).join('/')).test(resolve(file).split(sep).join('/'));
  return resolve(file).startsWith(resolve(pattern));
}
