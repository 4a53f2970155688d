// Bit patterns of the 16-bit formats against published values (IEEE 754 binary16 table,
// bfloat16 as the top half of binary32), round-to-nearest-even ties, and exact round trips.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bf16ToF32, f16ToF32, f32ToBf16, f32ToF16 } from './half.js';

test('f16 bit patterns', () => {
  assert.equal(f32ToF16(1), 0x3c00);
  assert.equal(f32ToF16(-2), 0xc000);
  assert.equal(f32ToF16(65504), 0x7bff); // largest finite
  assert.equal(f32ToF16(65520), 0x7c00); // rounds up to infinity
  assert.equal(f32ToF16(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(f32ToF16(2 ** -14), 0x0400); // smallest normal
  assert.equal(f32ToF16(Math.PI), 0x4248);
  assert.equal(f32ToF16(1 + 2 ** -11), 0x3c00); // tie to even (down)
  assert.equal(f32ToF16(1 + 3 * 2 ** -11), 0x3c02); // tie to even (up)
  assert.equal(f32ToF16(2 ** -26), 0); // below half the smallest subnormal
  assert.ok(Number.isNaN(f16ToF32(f32ToF16(NaN))));
  assert.equal(f16ToF32(0xfc00), -Infinity);
});

test('bf16 bit patterns', () => {
  assert.equal(f32ToBf16(1), 0x3f80);
  assert.equal(f32ToBf16(Math.PI), 0x4049);
  assert.equal(f32ToBf16(1 + 2 ** -8), 0x3f80); // tie to even (down)
  assert.equal(f32ToBf16(1 + 3 * 2 ** -8), 0x3f82); // tie to even (up)
  assert.equal(f32ToBf16(-Infinity), 0xff80);
  assert.ok(Number.isNaN(bf16ToF32(f32ToBf16(NaN))));
});

test('every 16-bit pattern round-trips exactly through f32', () => {
  for (let h = 0; h < 65536; h++) {
    const f = f16ToF32(h);
    if (!Number.isNaN(f)) assert.equal(f32ToF16(f), h, `f16 0x${h.toString(16)}`);
    const b = bf16ToF32(h);
    if (!Number.isNaN(b)) assert.equal(f32ToBf16(b), h, `bf16 0x${h.toString(16)}`);
  }
});
