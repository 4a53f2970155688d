// Every WGSL kernel of the webgpu backend, by name: the table the executor compiles from.

import { ATTENTION } from './attention.js';
import { ELEMENTWISE } from './elementwise.js';
import { MATMUL } from './matmul.js';
import { MATMUL_SUBGROUP } from './matmul-subgroup.js';
import type { ShaderDef } from './prelude.js';
import { FINISH, ROWS } from './rows.js';

export { attentionMaxD } from './attention.js';
export { MATMUL_TILE } from './matmul.js';
export { SUBGROUP_PATH_CODE } from './matmul-subgroup.js';
export { PARAM_WORDS, shaderSource, type MatmulVariant, type ShaderDef, type SubgroupPath, type Tuning } from './prelude.js';

/** All kernels by name. */
export const SHADERS: Record<string, ShaderDef> = { ...ELEMENTWISE, ...ROWS, ...FINISH, ...ATTENTION, matmul: MATMUL, matmulSubgroup: MATMUL_SUBGROUP };
