// The report card of a training run: report.md with an SVG loss curve (train and
// validation), the model and training config, tokens seen, time, throughput, and what
// the run would have cost on the planner's cloud prices.

import type { MetricsLine } from './metrics.js';
import { formatCount, formatDuration } from '../util/units.js';

/** A cloud price the run is compared against. */
export interface CostLine {
  /** e.g. "AWS c7i.large (2 vCPU)" */
  instance: string;
  pricePerHour: number;
  /** Time the run takes there. */
  seconds: number;
  /** Dollars for that time. */
  cost: number;
}

/** Everything the report shows. */
export interface ReportInput {
  title: string;
  model: Record<string, unknown>;
  train: Record<string, unknown>;
  params: number;
  flopsPerToken: number;
  steps: number;
  tokensSeen: number;
  seconds: number;
  metrics: MetricsLine[];
  final: { loss?: number; valLoss?: number; valBpb?: number };
  costs: CostLine[];
  backend: string;
  threads: number;
}

/** An SVG line chart of train loss (and validation loss points) against step. */
export function lossCurveSvg(metrics: MetricsLine[], width = 640, height = 320): string {
  const pad = { l: 56, r: 16, t: 16, b: 40 };
  const train = metrics.filter((m) => Number.isFinite(m.loss));
  const val = metrics.filter((m) => m.valLoss !== undefined && Number.isFinite(m.valLoss));
  const ys = [...train.map((m) => m.loss), ...val.map((m) => m.valLoss!)];
  if (ys.length === 0) return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><text x="20" y="40">no data</text></svg>`;
  const steps = metrics.map((m) => m.step);
  const x0 = Math.min(...steps);
  const x1 = Math.max(...steps, x0 + 1);
  const y0 = Math.min(...ys);
  const y1 = Math.max(...ys, y0 + 1e-6);
  const sx = (s: number) => pad.l + ((s - x0) / (x1 - x0)) * (width - pad.l - pad.r);
  const sy = (v: number) => pad.t + (1 - (v - y0) / (y1 - y0)) * (height - pad.t - pad.b);
  const path = train.map((m, i) => `${i ? 'L' : 'M'}${sx(m.step).toFixed(1)},${sy(m.loss).toFixed(1)}`).join(' ');
  const valPath = val.map((m, i) => `${i ? 'L' : 'M'}${sx(m.step).toFixed(1)},${sy(m.valLoss!).toFixed(1)}`).join(' ');
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    ticks.push(`<line x1="${pad.l}" x2="${width - pad.r}" y1="${sy(v).toFixed(1)}" y2="${sy(v).toFixed(1)}" stroke="#eee"/><text x="${pad.l - 6}" y="${(sy(v) + 4).toFixed(1)}" text-anchor="end" font-size="11">${v.toFixed(2)}</text>`);
    const s = Math.round(x0 + ((x1 - x0) * i) / 4);
    ticks.push(`<text x="${sx(s).toFixed(1)}" y="${height - pad.b + 16}" text-anchor="middle" font-size="11">${s}</text>`);
  }
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    ...ticks,
    `<path d="${path}" fill="none" stroke="#2563eb" stroke-width="1.5"/>`,
    val.length ? `<path d="${valPath}" fill="none" stroke="#dc2626" stroke-width="2"/>` : '',
    ...val.map((m) => `<circle cx="${sx(m.step).toFixed(1)}" cy="${sy(m.valLoss!).toFixed(1)}" r="3" fill="#dc2626"/>`),
    `<text x="${(width + pad.l) / 2}" y="${height - 6}" text-anchor="middle" font-size="12">step</text>`,
    `<text x="${width - pad.r}" y="${pad.t + 12}" text-anchor="end" font-size="12" fill="#2563eb">train loss</text>`,
    val.length ? `<text x="${width - pad.r}" y="${pad.t + 28}" text-anchor="end" font-size="12" fill="#dc2626">validation loss</text>` : '',
    '</svg>',
  ].filter(Boolean).join('\n');
}

function kv(obj: Record<string, unknown>): string {
  return ['| setting | value |', '|---|---|', ...Object.entries(obj).filter(([, v]) => v !== undefined).map(([k, v]) => `| ${k} | ${typeof v === 'object' ? JSON.stringify(v) : String(v)} |`)].join('\n');
}

/** The Markdown report card; the SVG is referenced as `loss.svg` beside it. */
export function reportMarkdown(r: ReportInput, svgFile = 'loss.svg'): string {
  const tps = r.seconds > 0 ? r.tokensSeen / r.seconds : 0;
  const lines = [
    `# ${r.title}`,
    '',
    `![loss curve](${svgFile})`,
    '',
    '## Result',
    '',
    '| | |',
    '|---|---|',
    `| steps | ${r.steps} |`,
    `| tokens seen | ${formatCount(r.tokensSeen)} (${r.tokensSeen}) |`,
    `| time | ${formatDuration(r.seconds)} (${r.seconds.toFixed(1)} s) |`,
    `| throughput | ${tps.toFixed(0)} tokens/s on ${r.backend} (${r.threads} threads) |`,
    `| compute | ${formatCount(r.flopsPerToken * r.tokensSeen)} FLOPs (${formatCount(r.flopsPerToken)} per token, ${(r.flopsPerToken * tps / 1e9).toFixed(2)} GFLOP/s achieved) |`,
    `| parameters | ${formatCount(r.params)} (${r.params}) |`,
    ...(r.final.loss !== undefined ? [`| final train loss | ${r.final.loss.toFixed(4)} |`] : []),
    ...(r.final.valLoss !== undefined ? [`| final validation loss | ${r.final.valLoss.toFixed(4)} |`] : []),
    ...(r.final.valBpb !== undefined ? [`| validation bits per byte | ${r.final.valBpb.toFixed(4)} |`] : []),
  ];
  if (r.costs.length) {
    lines.push('', '## What this run would cost', '', 'At the planner\'s catalogue prices (src/plan/catalogue.ts): this run\'s wall-clock on a CPU, and its FLOPs on GPUs at the planner\'s utilisation.', '', '| where | $/hour | time | cost |', '|---|---|---|---|');
    for (const c of r.costs) lines.push(`| ${c.instance} | ${c.pricePerHour.toFixed(3)} | ${c.seconds < 1 ? `${(c.seconds * 1000).toPrecision(2)} ms` : formatDuration(c.seconds)} | $${c.cost >= 0.01 ? c.cost.toFixed(2) : c.cost.toPrecision(2)} |`);
  }
  lines.push('', '## Model', '', kv(r.model), '', '## Training', '', kv(r.train));
  return lines.join('\n') + '\n';
}
