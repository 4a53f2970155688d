// `anvil plan`: what a model costs (FLOPs, memory per GPU, time, money, data, people),
// or with --budget / --hours the largest compute-optimal model that fits the money.
// The planner and its plan-file reader (with the YAML parser) load when a plan runs, not
// for `anvil plan --help`.

import { GPUS, LANGUAGES } from '../plan/catalogue.js';
import type { PlanResult } from '../plan/index.js';
import { UsageError } from '../util/errors.js';
import { formatCount, formatDuration } from '../util/units.js';
import { parseFlags, printJson, table, type Command } from './command.js';

type FlagOptions = Record<string, { type: 'string' | 'boolean' }>;

/** The flags: one string flag per plan key (the plan file's keys), --file and --json. */
function flagOptions(valueFlags: string[]): FlagOptions {
  return {
    ...Object.fromEntries(valueFlags.map((k) => [k, { type: 'string' as const }])),
    json: { type: 'boolean' },
  };
}

const help = `anvil plan: what a model costs to train, fine-tune or serve on given hardware.

Usage: anvil plan [plan.yaml|plan.json] [flags]

Model (one of):
  --params 1.3B              parameter count (K, M, B, T suffixes)
  --family llama|gpt2 --depth N   the depth rule the trainer uses (width = 64 x depth)
  --config config.json       a Hugging Face config.json (gpt2, llama, mistral)
Data:
  --tokens 26B               training tokens (default: --tokens-per-param x params for
                             pretraining, 50M for fine-tuning, 1M generated for inference)
  --tokens-per-param 20      Chinchilla's compute-optimal ratio (default 20)
  --langs en,zh              corpus languages, equal shares; or --lang-mix en=0.7,zh=0.3
                             (known: ${LANGUAGES.map((l) => l.code).join(', ')})
Hardware:
  --gpu H100                 ${GPUS.map((g) => g.id).join(', ')}
  --gpus 8                   number of GPUs (default 1)
  --mfu 0.4                  model FLOPs utilisation (default per hardware class)
  --price 3.00               dollars per GPU-hour (default: the catalogue's dated price)
Job:
  --mode pretrain|full-finetune|lora|qlora|inference   (default pretrain)
  --seq-len 2048  --micro-batch 1  --precision fp32|bf16|fp8 (int8|int4 to serve)
  --checkpointing none|selective|full   --zero 0|1|2|3|fsdp   --lora-rank 16
Budget:
  --budget 500               dollars; without a model, proposes the largest model
  --hours 24                 wall-clock hours; the same
Output:
  --json                     one JSON object (params, tokens, flops, gpuHours,
                             wallClockHours, costUsd, fits, memoryPerGpuGB, suggestions, ...)
  --file plan.yaml           a plan file with the same keys as the flags (also positional)

Examples:
  anvil plan --params 1.3B --gpu A100 --gpus 8
  anvil plan --params 7B --mode full-finetune --gpu A100-80GB --gpus 1
  anvil plan --params 7B --mode qlora --gpu RTX-4090
  anvil plan --budget 100 --gpu H100 --gpus 8 --json
  anvil plan --config config.json --mode inference --gpu 4090 --seq-len 8192
`;

/**
 * Joins "--flag -7B" into "--flag=-7B" so a negative value reaches the value checks
 * (and their message listing what is accepted) instead of being taken for a flag.
 */
function joinNegativeValues(argv: string[], valueFlags: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = argv[i + 1];
    if (a.startsWith('--') && !a.includes('=') && valueFlags.includes(a.slice(2)) && next !== undefined && /^-\d|^-\.\d/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

const num = (x: number, digits = 1) => x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const money = (x: number) => (x < 100 ? `$${x.toFixed(2)}` : `$${Math.round(x).toLocaleString('en-US')}`);
const pct = (x: number) => `${(x * 100).toFixed(0)}%`;

function render(r: PlanResult): string {
  const m = r.model;
  const shape = `${m.family}, ${m.layers} layers x ${m.width} wide, ${m.heads} heads${m.kvHeads !== m.heads ? ` (${m.kvHeads} KV)` : ''}`;
  const out: string[] = [];
  const head = r.budget?.proposed
    ? `Proposed for ${r.budget.limitedBy === 'budget' ? `$${r.budget.budgetUsd}` : `${r.budget.hours} h`}: a ${formatCount(r.params)}-parameter model (${shape})`
    : `${formatCount(r.params)}-parameter model (${shape}, from --${m.source === 'config' ? 'config' : m.source})`;
  out.push(`anvil plan: ${head}`);
  out.push(`${r.job.mode} on ${r.hardware.gpus} x ${r.hardware.name}, ${r.job.precision}, seq ${r.job.seqLen}, micro-batch ${r.job.microBatch}` +
    (r.job.mode === 'inference' ? '' : `, checkpointing ${r.job.checkpointing}, ZeRO-${r.job.zero}`) +
    (r.job.loraRank ? `, LoRA rank ${r.job.loraRank} (${formatCount(m.trainableParams)} trainable)` : ''));
  out.push('');
  const inference = r.job.mode === 'inference';
  const rows: string[][] = [
    [inference ? 'FLOPs (2ND)' : r.job.mode === 'lora' || r.job.mode === 'qlora' ? 'training FLOPs (4ND)' : 'training FLOPs (6ND)', r.flops.toExponential(2)],
    ['  with attention', r.flopsWithAttention.toExponential(2)],
    [inference ? 'tokens generated' : 'tokens', `${formatCount(r.tokens)}${r.job.mode === 'pretrain' ? ` (${num(m.tokensPerParam)} per parameter)` : ''}`],
    ['tokens/s expected', `${Math.round(r.tokensPerSecond.expected).toLocaleString('en-US')} (${Math.round(r.tokensPerSecond.perGpu).toLocaleString('en-US')} per GPU) at MFU ${pct(r.hardware.mfu)} of ${r.hardware.peakTflops} TFLOP/s`],
  ];
  if (r.tokensPerSecond.needed !== null) rows.push(['tokens/s needed', `${Math.round(r.tokensPerSecond.needed).toLocaleString('en-US')} to finish in ${formatDuration(r.budget!.hoursAvailable * 3600)}`]);
  rows.push(
    ['GPU-hours', num(r.gpuHours)],
    ['wall clock', formatDuration(r.wallClockHours * 3600)],
    ['cost', `${money(r.costUsd)} at $${r.hardware.pricePerGpuHour}/GPU-hour (${r.hardware.priceSource})`],
  );
  if (r.costPerMillionTokens !== null) rows.push(['cost per 1M tokens', money(r.costPerMillionTokens)]);
  out.push('Compute', table(rows.map(([k, v]) => [k, v!]), undefined, '  '));
  out.push('');
  const g = r.memoryPerGpuGB;
  const memRows = [['weights', num(g.weights)], ['gradients', num(g.gradients)], ['optimizer', num(g.optimizer)], ['activations', num(g.activations)]];
  if (inference) memRows.push(['KV cache', num(g.kvCache)]);
  memRows.push(['total', `${num(g.total)} of ${num(g.usable)} usable (${r.hardware.memoryGB} GB)`]);
  out.push('Memory per GPU (GB)', table(memRows.map(([k, v]) => [k, v!]), undefined, '  '));
  if (!inference) {
    out.push('');
    const dataRows = r.data.languages.map((l) => [l.lang, pct(l.share), formatCount(l.tokens), `${num(l.rawGB, 2)} GB`, `${l.bytesPerToken} bytes/token`]);
    out.push('Data', table(dataRows, ['language', 'share', 'tokens', 'raw text', 'at'], '  '));
    const sets = r.data.languages.flatMap((l) => l.datasets.map((d) => [
      d.name, l.lang, formatCount(d.tokens), d.enough ? 'yes' : `${num(d.epochs)} epochs`, d.license,
    ]));
    if (sets.length) out.push('', 'Open datasets', table(sets, ['dataset', 'lang', 'tokens', 'one pass', 'license'], '  '));
  }
  out.push('');
  const p = r.people;
  out.push(`People (${p.label}): ${p.people} ${p.people === '1' ? 'person' : 'people'} for ${p.months} months, ${p.tier}; ${p.basis}`);
  out.push(table(p.roles.map((x) => [x.role, x.people, x.does]), undefined, '  '));
  out.push('');
  out.push(`Verdict: ${r.verdict}`);
  if (r.suggestions.length) {
    out.push(r.fits ? 'Hints:' : 'What would fit:');
    for (const s of r.suggestions) out.push(`  - ${s}`);
  }
  if (r.notes.length) {
    out.push('Notes:');
    for (const n of r.notes) out.push(`  - ${n}`);
  }
  return out.join('\n');
}

export const planCommand: Command = {
  help,
  async run(argv) {
    const { PLAN_KEYS, planInputFromValues, readPlanFile } = await import('../plan/input.js');
    const { plan } = await import('../plan/index.js');
    const valueFlags: string[] = [...PLAN_KEYS, 'file'];
    const { values, positionals } = parseFlags(joinNegativeValues(argv, valueFlags), flagOptions(valueFlags), 'plan', true);
    const { json, file, ...flags } = values as Record<string, string | boolean | undefined> & { json?: boolean; file?: string };
    if (positionals.length > 1 || (positionals.length === 1 && file)) {
      throw new UsageError(`plan: give one plan file (positional or --file), got ${[...positionals, file].filter(Boolean).join(', ')}`);
    }
    const planFile = file ?? positionals[0];
    const fromFile = planFile ? readPlanFile(planFile) : {};
    const fromFlags = planInputFromValues(flags);
    if (fromFlags.params !== undefined || fromFlags.depth !== undefined || fromFlags.hfConfig !== undefined) {
      // A model given on the command line replaces the file's model.
      delete fromFile.params;
      delete fromFile.depth;
      delete fromFile.hfConfig;
    }
    const result = plan({ ...fromFile, ...fromFlags });
    if (json) printJson(result);
    else process.stdout.write(render(result) + '\n');
    return 0;
  },
};
