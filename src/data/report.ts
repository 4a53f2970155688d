// The run report: report.json for scripts (documents read/kept/rejected, rejections by
// stage and reason, personal data by type, duplicates with example clusters, languages,
// licenses, length histogram, malformed input) and report.html for people (tables and
// SVG bars). Built only from the markers, so `anvil data report OUT` can redo it.

import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { layout } from './layout.js';
import { emptyStats, mergeStats, type Malformed, type Stats, type StageCount } from './stats.js';
import type { FilterMarker } from './unit.js';
import type { FinalMarker } from './finalize.js';
import type { DedupSummary } from './dedup.js';
import { writeFileAtomic } from '../util/atomic-file.js';
import { InputError } from '../util/errors.js';

export interface DataReport {
  format: 'anvil-data-report';
  version: 1;
  inputs: number;
  bytesIn: number;
  documents: { read: number; kept: number; rejected: number };
  stages: ({ name: string } & StageCount)[];
  rejectedByReason: Record<string, number>;
  pii: Record<string, number>;
  duplicates: { exact: number; near: number; clusters: number; examples: { kind: string; kept: { id: string; text?: string }; removed: { id: string; text?: string }[] }[] };
  languages: Record<string, number>;
  licenses: Record<string, number>;
  /** Kept documents by length in characters: bucket lower bound (power of two) -> count. */
  lengths: Record<string, number>;
  malformed: { total: number; byKind: Record<string, number>; examples: Malformed[] };
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (e) {
    throw new InputError(`cannot read: ${(e as Error).message}`, path);
  }
}

const sortObj = (o: Record<string, number>, byValue = true) =>
  Object.fromEntries(Object.entries(o).sort((a, b) => (byValue ? b[1] - a[1] || (a[0] < b[0] ? -1 : 1) : Number(a[0]) - Number(b[0]))));

/** Builds the report from a finished run folder. */
export function buildReport(out: string): DataReport {
  const run = readJson<{ inputs: string[] }>(layout.run(out));
  const dedup = readJson<DedupSummary>(layout.dedup(out));
  const stats: Stats = emptyStats();
  const snippets: Record<string, string> = {};
  let kept = 0;
  for (let u = 0; u < run.inputs.length; u++) {
    const f = readJson<FilterMarker>(layout.filterMarker(out, u));
    const g = readJson<FinalMarker>(layout.finalMarker(out, u));
    mergeStats(stats, f.stats);
    mergeStats(stats, g.stats);
    Object.assign(snippets, g.snippets);
    kept += g.kept;
  }
  const stages = Object.entries(stats.stages).map(([name, s]) => ({ name, ...s, rejected: sortObj(s.rejected) }));
  const rejectedByReason: Record<string, number> = {};
  let rejected = 0;
  for (const s of stages) for (const [r, n] of Object.entries(s.rejected)) {
    rejectedByReason[`${s.name}/${r}`] = n;
    rejected += n;
  }
  return {
    format: 'anvil-data-report',
    version: 1,
    inputs: run.inputs.length,
    bytesIn: stats.bytesIn,
    documents: { read: stats.stages.read?.in ?? 0, kept, rejected },
    stages,
    rejectedByReason: sortObj(rejectedByReason),
    pii: sortObj(stats.pii),
    duplicates: {
      exact: dedup.exact,
      near: dedup.near,
      clusters: dedup.clusters,
      examples: dedup.examples.map((e) => ({
        kind: e.kind,
        kept: { id: e.kept, text: snippets[e.kept] },
        removed: e.removed.map((id) => ({ id, text: snippets[id] })),
      })),
    },
    languages: sortObj(stats.langs),
    licenses: sortObj(stats.licenses),
    lengths: sortObj(stats.lengths, false),
    malformed: { total: Object.values(stats.malformed.count).reduce((a, b) => a + b, 0), byKind: sortObj(stats.malformed.count), examples: stats.malformed.examples },
  };
}

const esc = (s: string) => s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function bars(rows: [string, number][], color = '#3b7dd8'): string {
  if (rows.length === 0) return '<p>none</p>';
  const max = Math.max(...rows.map((r) => r[1]), 1);
  const h = 22;
  const items = rows
    .map(([label, n], i) => {
      const w = Math.max(1, Math.round((n / max) * 420));
      return `<text x="0" y="${i * h + 15}" font-size="12">${esc(label)}</text><rect x="220" y="${i * h + 4}" width="${w}" height="14" fill="${color}"/><text x="${226 + w}" y="${i * h + 15}" font-size="12">${n}</text>`;
    })
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="720" height="${rows.length * h + 4}">${items}</svg>`;
}

function table(head: string[], rows: (string | number)[][]): string {
  return `<table><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</table>`;
}

/** Renders the report as a self-contained HTML page. */
export function renderHtml(r: DataReport): string {
  const d = r.documents;
  const stageRows = r.stages.map((s) => [s.name, s.in, s.kept, Object.values(s.rejected).reduce((a, b) => a + b, 0), Object.entries(s.rejected).map(([k, n]) => `${k}: ${n}`).join(', ')]);
  const clusters = r.duplicates.examples
    .map((c) => `<div class="cluster"><b>${c.kind}</b> kept <code>${esc(c.kept.id)}</code>: ${esc(c.kept.text ?? '')}<ul>${c.removed.map((m) => `<li>removed <code>${esc(m.id)}</code>: ${esc(m.text ?? '')}</li>`).join('')}</ul></div>`)
    .join('');
  return `<!doctype html><html><head><meta charset="utf-8"><title>anvil data report</title><style>
body{font-family:system-ui,sans-serif;max-width:960px;margin:2em auto;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;font-size:13px}
.cluster{border-left:3px solid #d88;padding-left:8px;margin:8px 0;font-size:13px}code{background:#f3f3f3}</style></head><body>
<h1>Data report</h1>
<p>${r.inputs} input files, ${(r.bytesIn / 1e6).toFixed(1)} MB. Documents read: <b>${d.read}</b>, kept: <b>${d.kept}</b>, rejected: <b>${d.rejected}</b>. Malformed input: ${r.malformed.total}.</p>
<h2>Stages (in = kept + rejected)</h2>${table(['stage', 'in', 'kept', 'rejected', 'reasons'], stageRows)}
<h2>Rejections by reason</h2>${bars(Object.entries(r.rejectedByReason), '#d86a3b')}
<h2>Languages (kept)</h2>${bars(Object.entries(r.languages))}
<h2>Lengths of kept documents (characters)</h2>${bars(Object.entries(r.lengths).map(([k, n]) => [`≥ ${k}`, n]))}
<h2>Personal data replaced</h2>${bars(Object.entries(r.pii), '#7a3bd8')}
<h2>Duplicates</h2><p>exact: ${r.duplicates.exact}, near: ${r.duplicates.near}, clusters: ${r.duplicates.clusters}</p>${clusters}
<h2>Licenses (kept)</h2>${table(['license', 'documents'], Object.entries(r.licenses))}
<h2>Malformed input</h2>${table(['file', 'where', 'kind', 'message'], r.malformed.examples.map((m) => [m.file, `${m.where} ${m.at}`, m.kind, m.message]))}
</body></html>
`;
}

/** Builds and writes report.json and report.html; returns the report. */
export function writeReport(out: string): DataReport {
  if (!existsSync(layout.dedup(out))) throw new InputError('the run is not complete (no dedup marker); rerun `anvil data prepare` with the same arguments', out);
  const r = buildReport(out);
  writeFileAtomic(layout.report(out), JSON.stringify(r, null, 2) + '\n', false);
  writeFileAtomic(layout.reportHtml(out), renderHtml(r), false);
  return r;
}

/** Lists the doc files of a finished run. */
export function docFiles(out: string): string[] {
  const dir = join(out, 'docs');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.jsonl.gz')).sort().map((f) => join(dir, f)) : [];
}
