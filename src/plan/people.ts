// The people and months a project of a given size usually takes, by role. A rule of
// thumb read off public author lists and schedules, not a measurement; the output
// says so.

import type { Mode } from './memory.js';

export interface RoleNeed {
  role: 'model' | 'data' | 'infrastructure' | 'domain expert';
  people: string;
  does: string;
}

export interface PeoplePlan {
  label: 'rule of thumb';
  tier: string;
  people: string;
  months: string;
  roles: RoleNeed[];
  basis: string;
}

const DOES = {
  model: 'architecture, training runs, evaluation',
  data: 'sourcing, cleaning, deduplication, licenses',
  infrastructure: 'GPUs, storage, checkpoints, throughput, serving',
  'domain expert': 'what the model is for, test sets, judging outputs',
} as const;

const roles = (model: string, data: string, infra: string, domain: string): RoleNeed[] => [
  { role: 'model', people: model, does: DOES.model },
  { role: 'data', people: data, does: DOES.data },
  { role: 'infrastructure', people: infra, does: DOES.infrastructure },
  { role: 'domain expert', people: domain, does: DOES['domain expert'] },
];

/** Pretraining tiers by 6ND FLOPs, upper bounds exclusive. */
const PRETRAIN_TIERS: { below: number; plan: Omit<PeoplePlan, 'label'> }[] = [
  {
    below: 1e20,
    plan: {
      tier: 'speedrun (< 1e20 FLOPs)', people: '1', months: '0.5-1', roles: roles('1 (all roles)', 'same person', 'same person', 'optional'),
      basis: 'llm.c GPT-2 124M and nanochat d20 (~4e19 FLOPs): one author each',
    },
  },
  {
    below: 3e22,
    plan: {
      tier: 'small model (1e20-3e22 FLOPs)', people: '2-4', months: '3-6', roles: roles('1-2', '1', '0.5-1', '0.5'),
      basis: 'TinyLlama (1.1B, 3T tokens, 2e22 FLOPs): 4 authors, ~90 days of training',
    },
  },
  {
    below: 3e23,
    plan: {
      tier: '7B class (3e22-3e23 FLOPs)', people: '5-15', months: '6-9', roles: roles('2-5', '2-5', '1-3', '1-2'),
      basis: 'LLaMA-1 7B/13B (4e22-8e22 FLOPs): 14 authors for the family; MPT-7B: a company team',
    },
  },
  {
    below: 3e24,
    plan: {
      tier: '70B class (3e23-3e24 FLOPs)', people: '15-50', months: '6-12', roles: roles('5-15', '5-15', '3-10', '2-10'),
      basis: 'LLaMA-1 65B (5.5e23) and Llama 2 70B (8.3e23): 14 and ~70 authors, the latter including alignment and safety',
    },
  },
  {
    below: Infinity,
    plan: {
      tier: 'frontier (>= 3e24 FLOPs)', people: '50+', months: '12+', roles: roles('20+', '20+', '10+', '10+'),
      basis: 'Llama 3 (405B, 3.8e25 FLOPs): hundreds of contributors',
    },
  },
];

/**
 * Team and schedule for a job of `mode` costing `flops` model FLOPs.
 * @example peoplePlan('pretrain', 4e19).people // '1'
 */
export function peoplePlan(mode: Mode, flops: number): PeoplePlan {
  if (mode === 'pretrain') {
    const tier = PRETRAIN_TIERS.find((t) => flops < t.below)!;
    return { label: 'rule of thumb', ...tier.plan };
  }
  if (mode === 'inference') {
    return {
      label: 'rule of thumb', tier: 'serving an existing model', people: '1', months: '0.25-1',
      roles: roles('0.5 (choose and evaluate the model)', '-', '1', '0.5'),
      basis: 'one engineer deploys an open model behind an OpenAI-compatible API (llama.cpp, Ollama)',
    };
  }
  const full = mode === 'full-finetune';
  return {
    label: 'rule of thumb', tier: full ? 'full fine-tune' : 'LoRA / QLoRA fine-tune', people: full ? '2-3' : '1-2', months: full ? '1-3' : '0.5-2',
    roles: roles('1', full ? '1' : '0.5', full ? '0.5-1' : 'same person', '0.5-1'),
    basis: 'QLoRA: 65B fine-tuned on one 48 GB GPU in 24 h; the work is mostly the data and the evaluation',
  };
}
