// What every WGSL kernel shares: the parameter block (64 words in a uniform, read with
// pu/pf), the flat index of a workgroup across a 2D grid (grids wider than 65535 workgroups),
// and the shader definition type from which bindings are generated.

/** One storage binding: its name in WGSL, its element type and whether the kernel writes it. */
export type Binding = [name: string, type: 'f32' | 'i32' | 'u32' | 'atomic<u32>', access: 'read' | 'read_write'];

/** A kernel: its storage bindings (binding 1.. in order) and WGSL code with an entry `main`. */
export interface ShaderDef {
  bufs: Binding[];
  code: string;
  /** Which workgroup size (pipeline constant WG) the kernel takes from the tuning, if any. */
  group?: 'row' | 'attention';
  /** WGSL extensions the kernel enables (the device must have the matching features). */
  enable?: string[];
}

/** Which matmul kernel runs: the tiled default, or the subgroup variant (matmul-subgroup.ts). */
export type MatmulVariant = 'tiled' | 'subgroup';

/** Which path the subgroup matmul's workgroups take (see SUBGROUP_PATH_CODE). */
export type SubgroupPath = 'auto' | 'required' | 'shared';

/** Kernel choices per adapter class (see tuningFor in kernels.ts). */
export interface Tuning {
  /** Threads per row of the row kernels (a power of two). */
  rowWG: number;
  /** Threads per query / key row of the attention kernels (a power of two). */
  attentionWG: number;
  /** The matmul kernel (chosen at backend creation; see matmulVariant in kernels.ts). */
  matmul: MatmulVariant;
  /** The subgroup matmul's path: 'auto' except in tests. */
  subgroupPath: SubgroupPath;
  /** Why the subgroup matmul was asked for but 'tiled' runs (unhandled subgroup sizes). */
  matmulFallback?: string;
}

/** Words in a dispatch's parameter block (a 256-byte uniform slot). */
export const PARAM_WORDS = 64;

const PRELUDE = /* wgsl */ `
struct Params { u: array<vec4<u32>, 16> }
@group(0) @binding(0) var<uniform> P: Params;
fn pu(i: u32) -> u32 { return P.u[i / 4u][i % 4u]; }
fn pf(i: u32) -> f32 { return bitcast<f32>(pu(i)); }
fn flatGroup(wid: vec3<u32>, nwg: vec3<u32>) -> u32 { return wid.y * nwg.x + wid.x; }
const BIG = 3.0e38;
// A quiet NaN; built from a run-time word (63, always 0) because a constant NaN is rejected.
fn nan() -> f32 { return bitcast<f32>(0x7fc00000u | pu(63u)); }
`;

/** The full WGSL source of a kernel. */
export function shaderSource(def: ShaderDef): string {
  const decls = def.bufs
    .map(([name, type, access], i) => `@group(0) @binding(${i + 1}) var<storage, ${access}> ${name}: array<${type}>;`)
    .join('\n');
  const enables = (def.enable ?? []).map((e) => `enable ${e};\n`).join('');
  return `${enables}${PRELUDE}\n${decls}\n${def.code}`;
}

/** An elementwise kernel: one thread per element i < pu(0); `body` sees `i`. */
export function elementwise(bufs: Binding[], body: string, helpers = ''): ShaderDef {
  return {
    bufs,
    code: /* wgsl */ `${helpers}
@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = flatGroup(wid, nwg) * 256u + lid;
  if (i >= pu(0)) { return; }
  ${body}
}`,
  };
}

/**
 * Workgroup reductions over WG threads (one workgroup per row; WG is a pipeline constant, a
 * power of two: 256 on GPUs, small on software adapters, where every barrier is costly).
 * Call from uniform control flow; each returns the same value to every thread.
 */
export const rowReduce = (defaultWG: number): string => /* wgsl */ `
override WG: u32 = ${defaultWG}u;
var<workgroup> red: array<f32, WG>;
fn wgSum(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}
fn wgMax(v: f32, lid: u32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[0];
  workgroupBarrier();
  return r;
}`;

/** Row reductions for row kernels, 256 threads by default. */
export const ROW_REDUCE = rowReduce(256);

/** Entry signature of a row kernel (WG threads per row); `row` is the workgroup's row. */
export const ROW_ENTRY = /* wgsl */ `@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32)`;
