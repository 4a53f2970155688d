// What a training run would have cost on the planner's catalogue prices
// (src/plan/catalogue.ts): this run's wall-clock on the catalogue's CPU entry, and the
// same FLOPs on cloud GPUs at the planner's default utilisation for their class.

import { DEFAULT_MFU, GPUS } from '../plan/catalogue.js';
import type { CostLine } from './report.js';

/** GPUs the report card prices a run on (catalogue ids). */
const PRICED = ['RTX-4090', 'A100-80GB', 'H100-SXM'];

/** Cost lines for a run of `flops` total training FLOPs that took `seconds` here. */
export function runCosts(flops: number, seconds: number): CostLine[] {
  const out: CostLine[] = [];
  const cpu = GPUS.find((g) => g.id === 'cpu');
  if (cpu) out.push({ instance: `${cpu.name}, this run's wall-clock (${cpu.price.source})`, pricePerHour: cpu.price.usdPerHour, seconds, cost: (seconds / 3600) * cpu.price.usdPerHour });
  for (const id of PRICED) {
    const g = GPUS.find((x) => x.id === id);
    if (!g) continue;
    const mfu = DEFAULT_MFU[g.class].mfu;
    const hours = flops / (g.peakTflops.bf16 * 1e12 * mfu) / 3600;
    out.push({ instance: `${g.name}, same FLOPs at ${(mfu * 100).toFixed(0)}% MFU (${g.price.source})`, pricePerHour: g.price.usdPerHour, seconds: hours * 3600, cost: hours * g.price.usdPerHour });
  }
  return out;
}
