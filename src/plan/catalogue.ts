// Every constant the planner uses, each with where it comes from and when: GPU peaks,
// memory, bandwidth and prices; default MFU per hardware class; bytes per parameter;
// bytes of raw text per token per language; open datasets with sizes and licenses.
// Figures are copied from shared/reference/compute-figures.md unless a source says
// otherwise. Change a number here and the whole planner follows.

import { UsageError } from '../util/errors.js';

/** Where a figure comes from and when it was true. */
export interface Sourced {
  source: string;
  date: string;
}

export type HardwareClass = 'datacenter' | 'workstation' | 'consumer' | 'apple' | 'cpu';

export interface Gpu {
  id: string;
  name: string;
  class: HardwareClass;
  /** Memory per device as marketed, in GB (counted as 1e9 bytes, which errs on the safe side). */
  memoryGB: number;
  /** Share of that memory a training process can really use (driver, context, fragmentation). */
  usableFraction: number;
  bandwidthGBs: number;
  /** Dense peak TFLOP/s (no sparsity). fp8 is absent where the chip has no FP8 tensor cores. */
  peakTflops: { fp32: number; bf16: number; fp8?: number };
  /** Board power in watts, for hardware priced by its electricity. */
  watts?: number;
  price: { usdPerHour: number } & Sourced;
  aliases: string[];
  spec: Sourced;
}

const NVIDIA_DC = 'NVIDIA datasheets (A100, H100, H200), dense figures; compute-figures.md section 4';
const GEFORCE = 'NVIDIA GA102 / Ada / Blackwell whitepapers, FP32-accumulate tensor figures; compute-figures.md section 4';
const APPLE_MEM = 'Apple announcements (memory, bandwidth); compute-figures.md section 4';
const APPLE_DERIVED = 'not published by Apple; derived as GPU cores x 128 ALUs x 2 FLOPs x clock (public reviews); half precision runs at the FP32 rate';
const RUNPOD = 'RunPod Serverless pricing, docs.runpod.io/serverless/pricing';

/** Reserve for the CUDA context and allocator fragmentation on NVIDIA GPUs (an assumption: ~1-4 GB of 24-80 GB). */
export const NVIDIA_USABLE_FRACTION = 0.95;
/** Apple's GPU can address only ~70-78% of unified memory (XiongjieDai/GPU-Benchmarks-on-LLM-Inference README). */
export const APPLE_USABLE_FRACTION = 0.75;
/** Electricity price for hardware you own: US average retail, about 17 cents per kWh (an assumption; pass --price). */
export const ELECTRICITY: { usdPerKwh: number } & Sourced = {
  usdPerKwh: 0.17,
  source: 'assumed US average retail electricity price; override with --price',
  date: '2025',
};
const electricity = (watts: number) => Math.round((watts / 1000) * ELECTRICITY.usdPerKwh * 1000) / 1000;

export const GPUS: Gpu[] = [
  {
    id: 'A100-40GB', name: 'NVIDIA A100 SXM 40 GB', class: 'datacenter', memoryGB: 40, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 1555, peakTflops: { fp32: 19.5, bf16: 312 },
    price: { usdPerHour: 1.84, source: 'AWS EC2 Capacity Blocks p4d (8x A100 40 GB), aws.amazon.com/ec2/capacityblocks/pricing', date: 'before 2025-01-01' },
    aliases: ['a100-40', 'a100-40g', 'a10040'], spec: { source: NVIDIA_DC, date: '2020' },
  },
  {
    id: 'A100-80GB', name: 'NVIDIA A100 SXM 80 GB', class: 'datacenter', memoryGB: 80, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 2039, peakTflops: { fp32: 19.5, bf16: 312 },
    price: { usdPerHour: 1.79, source: 'Lambda on-demand, as used by nanochat/report.py at 3a5e0bc', date: '2025-10' },
    aliases: ['a100', 'a100-80', 'a100-80g', 'a10080'], spec: { source: NVIDIA_DC, date: '2020' },
  },
  {
    id: 'H100-SXM', name: 'NVIDIA H100 SXM 80 GB', class: 'datacenter', memoryGB: 80, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 3350, peakTflops: { fp32: 67, bf16: 989, fp8: 1979 },
    price: { usdPerHour: 3.0, source: 'Lambda on-demand H100 (nanochat/report.py at 3a5e0bc; nanochat README: 8xH100 node ~$24/h)', date: '2025-10' },
    aliases: ['h100', 'h100sxm', 'h100-80gb', 'h100-sxm5'], spec: { source: NVIDIA_DC, date: '2022' },
  },
  {
    id: 'H100-PCIe', name: 'NVIDIA H100 PCIe 80 GB', class: 'datacenter', memoryGB: 80, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 2000, peakTflops: { fp32: 51, bf16: 756, fp8: 1513 },
    price: { usdPerHour: 4.18, source: `${RUNPOD} (H100)`, date: '2025-26' },
    aliases: ['h100pcie', 'h100-pcie-80gb'], spec: { source: NVIDIA_DC, date: '2022' },
  },
  {
    id: 'H200', name: 'NVIDIA H200 SXM 141 GB', class: 'datacenter', memoryGB: 141, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 4800, peakTflops: { fp32: 67, bf16: 989, fp8: 1979 },
    price: { usdPerHour: 5.58, source: `${RUNPOD} (H200)`, date: '2025-26' },
    aliases: ['h200-sxm', 'h200-141gb'], spec: { source: NVIDIA_DC, date: '2024' },
  },
  {
    id: 'L40S', name: 'NVIDIA L40S 48 GB', class: 'workstation', memoryGB: 48, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 864, peakTflops: { fp32: 91.6, bf16: 362, fp8: 733 },
    price: { usdPerHour: 1.91, source: `${RUNPOD} (L40S)`, date: '2025-26' },
    aliases: ['l40s-48gb'], spec: { source: 'NVIDIA L40S datasheet; compute-figures.md section 4', date: '2023' },
  },
  {
    id: 'RTX-3090', name: 'NVIDIA GeForce RTX 3090 24 GB', class: 'consumer', memoryGB: 24, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 936, peakTflops: { fp32: 35.6, bf16: 71 },
    price: { usdPerHour: 0.68, source: `${RUNPOD} (3090)`, date: '2025-26' },
    aliases: ['3090', 'rtx3090'], spec: { source: GEFORCE, date: '2020' },
  },
  {
    id: 'RTX-4090', name: 'NVIDIA GeForce RTX 4090 24 GB', class: 'consumer', memoryGB: 24, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 1008, peakTflops: { fp32: 82.6, bf16: 165, fp8: 330 },
    price: { usdPerHour: 1.12, source: `${RUNPOD} (4090)`, date: '2025-26' },
    aliases: ['4090', 'rtx4090'], spec: { source: GEFORCE, date: '2022' },
  },
  {
    id: 'RTX-5090', name: 'NVIDIA GeForce RTX 5090 32 GB', class: 'consumer', memoryGB: 32, usableFraction: NVIDIA_USABLE_FRACTION,
    bandwidthGBs: 1792, peakTflops: { fp32: 104.8, bf16: 209.5, fp8: 419 }, watts: 575,
    price: { usdPerHour: electricity(575), source: `electricity of the 575 W board power at $${ELECTRICITY.usdPerKwh}/kWh (no cloud quote in the reference)`, date: ELECTRICITY.date },
    aliases: ['5090', 'rtx5090'], spec: { source: GEFORCE, date: '2025' },
  },
  {
    id: 'M1-Max', name: 'Apple M1 Max (32-core GPU, 64 GB)', class: 'apple', memoryGB: 64, usableFraction: APPLE_USABLE_FRACTION,
    bandwidthGBs: 400, peakTflops: { fp32: 10.4, bf16: 10.4 }, watts: 90,
    price: { usdPerHour: electricity(90), source: `electricity of ~90 W under load at $${ELECTRICITY.usdPerKwh}/kWh`, date: ELECTRICITY.date },
    aliases: ['m1max'], spec: { source: `${APPLE_MEM}; 10.4 TFLOPS FP32 from Apple's M1 Max announcement`, date: '2021-10' },
  },
  {
    id: 'M2-Ultra', name: 'Apple M2 Ultra (76-core GPU, 192 GB)', class: 'apple', memoryGB: 192, usableFraction: APPLE_USABLE_FRACTION,
    bandwidthGBs: 800, peakTflops: { fp32: 27.2, bf16: 27.2 }, watts: 200,
    price: { usdPerHour: electricity(200), source: `electricity of ~200 W under load at $${ELECTRICITY.usdPerKwh}/kWh`, date: ELECTRICITY.date },
    aliases: ['m2ultra'], spec: { source: `${APPLE_MEM}; 27.2 TFLOPS FP32 from Apple's M2 Ultra announcement`, date: '2023-06' },
  },
  {
    id: 'M3-Max', name: 'Apple M3 Max (40-core GPU, 128 GB)', class: 'apple', memoryGB: 128, usableFraction: APPLE_USABLE_FRACTION,
    bandwidthGBs: 400, peakTflops: { fp32: 14.1, bf16: 14.1 }, watts: 100,
    price: { usdPerHour: electricity(100), source: `electricity of ~100 W under load at $${ELECTRICITY.usdPerKwh}/kWh`, date: ELECTRICITY.date },
    aliases: ['m3max'], spec: { source: `${APPLE_MEM}; peak ${APPLE_DERIVED} (40 x 128 x 2 x 1.38 GHz)`, date: '2023-10' },
  },
  {
    id: 'M4-Max', name: 'Apple M4 Max (40-core GPU, 128 GB)', class: 'apple', memoryGB: 128, usableFraction: APPLE_USABLE_FRACTION,
    bandwidthGBs: 546, peakTflops: { fp32: 16.2, bf16: 16.2 }, watts: 100,
    price: { usdPerHour: electricity(100), source: `electricity of ~100 W under load at $${ELECTRICITY.usdPerKwh}/kWh`, date: ELECTRICITY.date },
    aliases: ['m4max', 'apple', 'mps', 'm-series', 'apple-silicon'], spec: { source: `${APPLE_MEM}; peak ${APPLE_DERIVED} (40 x 128 x 2 x 1.58 GHz)`, date: '2024-10' },
  },
  {
    id: 'M3-Ultra', name: 'Apple M3 Ultra (80-core GPU, 512 GB)', class: 'apple', memoryGB: 512, usableFraction: APPLE_USABLE_FRACTION,
    bandwidthGBs: 819, peakTflops: { fp32: 28.3, bf16: 28.3 }, watts: 250,
    price: { usdPerHour: electricity(250), source: `electricity of ~250 W under load at $${ELECTRICITY.usdPerKwh}/kWh`, date: ELECTRICITY.date },
    aliases: ['m3ultra'], spec: { source: `${APPLE_MEM}; peak ${APPLE_DERIVED} (80 x 128 x 2 x 1.38 GHz)`, date: '2025-03' },
  },
  {
    id: 'cpu', name: 'CPU: 8-core AVX2 desktop, 32 GB RAM', class: 'cpu', memoryGB: 32, usableFraction: 0.8,
    bandwidthGBs: 60, peakTflops: { fp32: 0.9, bf16: 0.9 }, watts: 150,
    price: { usdPerHour: electricity(150), source: `electricity of ~150 W at $${ELECTRICITY.usdPerKwh}/kWh`, date: ELECTRICITY.date },
    aliases: ['x86', 'host'],
    spec: { source: 'derived: 8 cores x 2 FMA units x 8 fp32 lanes x 2 FLOPs x 3.5 GHz; dual-channel DDR4/DDR5 ~60 GB/s; 20% of RAM left to the OS', date: '2025' },
  },
];

// Case, spaces, underscores and hyphens do not matter: "RTX 4090", "rtx_4090", "RTX-4090".
const normalise = (s: string) => s.trim().toLowerCase().replace(/[\s_-]+/g, '');

/**
 * Finds a GPU by id or alias, case-insensitively ("H100" -> H100-SXM, "4090" -> RTX-4090).
 * @example findGpu('a100').id // 'A100-80GB'
 */
export function findGpu(name: string): Gpu {
  const n = normalise(name);
  const hit = GPUS.find((g) => normalise(g.id) === n || g.aliases.some((a) => normalise(a) === n));
  if (!hit) throw new UsageError(`unknown GPU "${name}"; accepted: ${GPUS.map((g) => g.id).join(', ')} (aliases: H100, A100, 4090, apple, ...)`);
  return hit;
}

/**
 * Default model FLOPs utilisation per hardware class, in the convention of
 * compute-figures.md: MFU = 6 N D / (GPU-seconds x dense peak), N = all parameters.
 */
export const DEFAULT_MFU: Record<HardwareClass, { mfu: number } & Sourced> = {
  datacenter: { mfu: 0.4, source: 'EleutherAI: expect ~38% on A100 (blog.eleuther.ai/transformer-math); published A100/H100 runs imply 25-57% (compute-figures.md sections 1-3)', date: '2023-2026' },
  workstation: { mfu: 0.35, source: 'assumed between datacenter and consumer parts (no published L40S training run)', date: '2025' },
  consumer: { mfu: 0.3, source: 'GPT-2 on one RTX 4090: ~29% (nanoGPT issue #182); nanochat d12 ~41%', date: '2023-2025' },
  apple: { mfu: 0.25, source: 'assumed: no published MFU for PyTorch MPS or WebGPU training on Apple GPUs', date: '2025' },
  cpu: { mfu: 0.25, source: 'assumed for SIMD matmul kernels on CPU (llm.c CPU path gets far less without BLAS)', date: '2025' },
};

/** MFU reached with FP8 against the FP8 peak, as a share of the BF16 MFU: llm-foundry H100 7B 46% BF16 vs 17-30% of the FP8 peak. */
export const FP8_MFU_RATIO: { ratio: number } & Sourced = {
  ratio: 0.6,
  source: 'mosaicml/llm-foundry scripts/train/benchmarking/README.md (compute-figures.md section 3)',
  date: '2024',
};

export type Precision = 'fp32' | 'bf16' | 'fp8' | 'int8' | 'int4';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16', 'fp8', 'int8', 'int4'];
export const TRAINING_PRECISIONS: readonly Precision[] = ['fp32', 'bf16', 'fp8'];

/**
 * Bytes per parameter of the model states in training with AdamW. bf16 is mixed
 * precision (fp16/bf16 weights and gradients, fp32 master weights, momentum and
 * variance: ZeRO's 2 + 2 + K=12). fp8 keeps the same states (FP8 speeds up matmuls;
 * TransformerEngine keeps higher-precision master weights).
 */
export const TRAINING_BYTES: Record<'fp32' | 'bf16' | 'fp8', { weights: number; gradients: number; optimizer: number; activation: number } & Sourced> = {
  fp32: { weights: 4, gradients: 4, optimizer: 8, activation: 4, source: 'AdamW m and v in fp32 (blog.eleuther.ai/transformer-math)', date: '2023' },
  bf16: { weights: 2, gradients: 2, optimizer: 12, activation: 2, source: 'ZeRO, arXiv 1910.02054: 2 + 2 + 12 = 16 bytes per parameter', date: '2019' },
  fp8: { weights: 2, gradients: 2, optimizer: 12, activation: 2, source: 'as bf16: FP8 recipes keep bf16 weights and fp32 master/optimizer states', date: '2023' },
};

/** Bytes per weight when serving, by precision; int4 is llama.cpp Q4_K_M (Llama-3-8B: 4.58 GB vs 14.96 GB F16 = 4.9 bits). */
export const INFERENCE_WEIGHT_BYTES: Record<Precision, number> & Sourced = {
  fp32: 4, bf16: 2, fp8: 1, int8: 1, int4: (4.58 / 14.96) * 2,
  source: 'GGUF sizes in XiongjieDai/GPU-Benchmarks-on-LLM-Inference README (compute-figures.md section 7)', date: '2024',
};

/** LoRA adapters train in fp32 with AdamW: 4 (weights) + 4 (gradients) + 8 (m, v) bytes per adapter parameter. */
export const LORA_TRAINABLE_BYTES: { weights: number; gradients: number; optimizer: number } & Sourced = {
  weights: 4, gradients: 4, optimizer: 8, source: 'PEFT keeps adapter weights in fp32 under mixed precision; AdamW fp32 states', date: '2023',
};

/** QLoRA's recipe: adapters cast to bf16 (2 + 2 bytes), paged 32-bit AdamW states (8 bytes). */
export const QLORA_TRAINABLE_BYTES: { weights: number; gradients: number; optimizer: number } & Sourced = {
  weights: 2, gradients: 2, optimizer: 8, source: 'artidoro/qlora qlora.py (LoRA layers .to(bfloat16) under --bf16; optim paged_adamw_32bit)', date: '2023',
};

/** QLoRA: NF4 with double quantization stores 4 + 0.127 bits per quantized weight. */
export const NF4_BITS: { bits: number } & Sourced = { bits: 4.127, source: 'QLoRA, arXiv 2305.14314 section 3 (double quantization: 0.5 -> 0.127 bits of constants per parameter)', date: '2023' };

/** Default LoRA rank, on every linear layer of attention and MLP (QLoRA's recommendation to adapt all layers). */
export const DEFAULT_LORA_RANK: { rank: number } & Sourced = { rank: 16, source: 'QLoRA, arXiv 2305.14314: LoRA on all linear layers; r=16 is the common default in PEFT recipes', date: '2023' };

/** Decode at batch 1 reaches this share of memory bandwidth (llama.cpp: 4090 81%, 3090 76%, M1 Max 70%). */
export const DECODE_BANDWIDTH_EFFICIENCY: { share: number } & Sourced = {
  share: 0.75, source: 'XiongjieDai/GPU-Benchmarks-on-LLM-Inference README (compute-figures.md section 7)', date: '2024',
};

/** Serving prefills prompts in chunks of this many tokens per sequence (llama.cpp's default physical batch, n_ubatch). */
export const PREFILL_CHUNK: { tokens: number } & Sourced = { tokens: 512, source: 'llama.cpp common/common.h default n_ubatch = 512', date: '2024' };

/** Chinchilla: about 20 training tokens per parameter is compute-optimal. */
export const CHINCHILLA_TOKENS_PER_PARAM: { ratio: number } & Sourced = { ratio: 20, source: 'Hoffmann et al., arXiv 2203.15556', date: '2022' };

/** Tokens assumed for a fine-tuning run when --tokens is not given (about 50k conversations of ~1k tokens). */
export const DEFAULT_FINETUNE_TOKENS: { tokens: number } & Sourced = { tokens: 50e6, source: 'assumption: a mid-sized SFT set; pass --tokens', date: '2025' };

export interface Language extends Sourced {
  code: string;
  name: string;
  /** UTF-8 bytes of raw text per token for a modern ~128k-vocabulary BPE (Llama 3 class). */
  bytesPerToken: number;
}

export const LANGUAGES: Language[] = [
  {
    code: 'en', name: 'English', bytesPerToken: 4.6,
    source: 'Llama-3 4.59 / GPT-4o 4.66 chars per token on English, 1 byte per char (shisa-ai tokenizer-eval-en.md; compute-figures.md section 8)', date: '2024',
  },
  {
    code: 'zh', name: 'Chinese', bytesPerToken: 3.2,
    source: 'Llama-3 tokenizer on cc100-zh: 3.2 bytes per token (huggingface.co/spaces/eson/tokenizer-arena; compute-figures.md section 8)', date: '2024',
  },
];

/** Finds a language by code; unknown codes are a UsageError listing the known ones. */
export function findLanguage(code: string): Language {
  const hit = LANGUAGES.find((l) => l.code === code.trim().toLowerCase());
  if (!hit) throw new UsageError(`unknown language "${code}"; accepted: ${LANGUAGES.map((l) => l.code).join(', ')}`);
  return hit;
}

export interface OpenDataset extends Sourced {
  name: string;
  lang: string;
  /** Approximate tokens (the dataset's own tokenizer; within ~20% of any modern BPE). */
  tokens: number;
  license: string;
  note?: string;
}

export const DATASETS: OpenDataset[] = [
  { name: 'FineWeb', lang: 'en', tokens: 18.5e12, license: 'ODC-By 1.0 (+ Common Crawl terms)', note: 'originally 15T; web, deduplicated per dump', source: 'huggingface.co/datasets/HuggingFaceFW/fineweb card', date: '2025' },
  { name: 'FineWeb-Edu (score >= 3)', lang: 'en', tokens: 1.3e12, license: 'ODC-By 1.0', note: 'educational filter; beats FineWeb on MMLU/ARC', source: 'huggingface.co/datasets/HuggingFaceFW/fineweb-edu card', date: '2024-06' },
  { name: 'FineWeb-Edu-score-2', lang: 'en', tokens: 5.4e12, license: 'ODC-By 1.0', source: 'huggingface.co/datasets/HuggingFaceFW/fineweb-edu card', date: '2024-06' },
  { name: 'C4 (en)', lang: 'en', tokens: 156e9, license: 'ODC-By 1.0 (+ Common Crawl terms)', note: '365M documents, 305 GB JSON', source: 'allenai/c4 card; Dodge et al., arXiv 2104.08758', date: '2021' },
  { name: 'The Pile', lang: 'en', tokens: 300e9, license: 'MIT (compilation); components keep their own terms, Books3 removed after a DMCA notice', note: '825 GiB, 22 sources', source: 'Gao et al., arXiv 2101.00027; Pythia trained 300B tokens = 1 epoch', date: '2020-12' },
  { name: 'Wikipedia (en)', lang: 'en', tokens: 4.5e9, license: 'CC BY-SA 4.0 / GFDL', note: '~6.8M articles, ~20 GB of clean text', source: 'dumps.wikimedia.org; wikimedia/wikipedia on the HF Hub', date: '2023-11' },
  { name: 'Chinese FineWeb-Edu v2 (OpenCSG)', lang: 'zh', tokens: 420e9, license: 'Apache-2.0 (per the dataset card)', note: '188M documents, educational filter', source: 'huggingface.co/datasets/opencsg/chinese-fineweb-edu-v2 card', date: '2024' },
  { name: 'Fineweb-Edu-Chinese V2.1, scores 2-5 (OpenCSG)', lang: 'zh', tokens: 1.506e12, license: 'per the dataset card (OpenCSG)', note: 'score 4-5: 46B, 3-4: 530B, 2-3: 930B tokens', source: 'huggingface.co/datasets/opencsg/Fineweb-Edu-Chinese-V2.1 README', date: '2025' },
];
