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

/** What a walk found: readable files, and links to data that could not be followed. */
interface Walk {
  files: string[];
  broken: { path: string; why: string }[];
}

/**
 * The readable files under `dir`, recursively. Real folders are walked first; symbolic
 * links are followed after them (a folder of links to data files is common), so that a
 * folder reachable both ways is walked under its real path, and once. A link that cannot
 * be followed is reported when its name is one of a data file (others, like editors' lock
 * links, are not data). Files reached twice are listed twice (expandInputs keeps one).
 */
function walk(dir: string): Walk {
  const w: Walk = { files: [], broken: [] };
  const seen = new Set<string>();
  const links: string[] = [];
  const visit = (d: string) => {
    const real = realpathSync(d);
    if (seen.has(real)) return;
    seen.add(real);
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) links.push(p);
      else if (e.isDirectory()) visit(p);
      else if (e.isFile() && formatOf(p)) w.files.push(p);
    }
  };
  visit(dir);
  for (let i = 0; i < links.length; i++) {
    const p = links[i]!;
    let st;
    try {
      st = statSync(p);
    } catch (e) {
      if (formatOf(p)) w.broken.push({ path: p, why: (e as NodeJS.ErrnoException).code ?? String(e) });
      continue;
    }
    if (st.isDirectory()) visit(p);
    else if (st.isFile() && formatOf(p)) w.files.push(p);
  }
  return w;
}

/** Refuses the broken links among those selected. */
function checkLinks(input: string, broken: Walk['broken']): void {
  if (broken.length > 0) throw new UsageError(`--input ${input}: ${broken[0]!.path} is a link that cannot be followed (${broken[0]!.why})`);
}

/**
 * Expands inputs into a sorted list of readable files, each file once (by its real path:
 * the first path found for it is kept).
 */
export function expandInputs(inputs: string[]): string[] {
  const found = new Map<string, string>();
  const keep = (p: string) => {
    const real = realpathSync(p);
    if (!found.has(real)) found.set(real, p);
  };
  for (const input of inputs) {
    if (/[*?]/.test(input)) {
      const first = input.search(/[*?]/);
      const base = input.slice(0, input.lastIndexOf('/', first) + 1) || '.';
      const re = globToRegExp(resolve(input).split(sep).join('/'));
      let all: Walk;
      try {
        all = walk(base);
      } catch {
        throw new UsageError(`--input ${input}: folder ${base} cannot be read`);
      }
      const matches = (p: string) => re.test(resolve(p).split(sep).join('/'));
      checkLinks(input, all.broken.filter((b) => matches(b.path)));
      const hits = all.files.filter(matches);
      if (hits.length === 0) throw new UsageError(`--input ${input}: no readable files match`);
      for (const h of hits) keep(h);
      continue;
    }
    let st;
    try {
      st = statSync(input);
    } catch {
      throw new UsageError(`--input ${input}: no such file or folder`);
    }
    if (st.isDirectory()) {
      const all = walk(input);
      checkLinks(input, all.broken);
      if (all.files.length === 0) throw new UsageError(`--input ${input}: the folder holds no readable files (.jsonl[.gz|.zst], .txt, .md, .html, .warc[.gz], .wet.gz, .parquet)`);
      for (const f of all.files) keep(f);
    } else if (formatOf(input)) keep(input);
    else throw new UsageError(`--input ${input}: unknown file type; readable: .jsonl[.gz|.zst], .txt, .md, .html, .warc[.gz], .wet.gz, .parquet`);
  }
  return [...found.values()].sort();
}

/** True when a source pattern (path prefix or glob) matches a file. */
export function sourceMatches(pattern: string, file: string): boolean {
  if (/[*?]/.test(pattern)) return globToRegExp(resolve(pattern).split(sep).join('/')).test(resolve(file).split(sep).join('/'));
  return resolve(file).startsWith(resolve(pattern));
}
