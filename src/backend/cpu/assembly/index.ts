// Entry of the AssemblyScript kernels: the exports the runtime indexes by name
// (KERNEL_NAMES in ../kernels.ts). Built by scripts/build-wasm.mjs into dist/wasm/.
export { init } from './common';
export { matmul, peak } from './matmul';
export {
  binarySame, binaryRepeat, binaryScalar, binaryStrided, sumRows, reduceStrided, sumLast, maxLast, maxLastBackward,
  broadcastLast, embedding, embeddingBackward, gelu, geluBackward, silu, siluBackward, biasGelu, biasGeluBackward,
  dropout, adamw, sumSquares, scale, fill, copy, castF32ToBf16, castBf16ToF32, castF32ToF16, castF16ToF32,
  castI32ToF32, castU16ToI32, copy2d,
} from './elementwise';
export {
  layerNorm, layerNormBackwardX, layerNormBackwardW, rmsNorm, rmsNormBackwardX, rmsNormBackwardW, addLayerNorm,
  addRmsNorm, softmax, softmaxBackward, crossEntropy, crossEntropyBackward, rope,
} from './norm';
export { attention, attentionBackward } from './attention';
