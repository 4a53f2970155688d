// Row-major and broadcast strides of shapes, in elements: shared by the backends' kernel
// tables (the ref oracle, cpu, webgpu).

/** Row-major strides of a shape. */
export function rowMajorStrides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Strides of `sub` within `full` (same rank), 0 on the axes `sub` broadcasts along. */
export function broadcastStrides(sub: readonly number[], full: readonly number[]): number[] {
  return rowMajorStrides(sub).map((v, i) => (sub[i] === 1 && full[i] !== 1 ? 0 : v));
}
