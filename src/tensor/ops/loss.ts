// Fused softmax cross-entropy: logits (..., V) against i32 targets (...), the mean over rows
// whose target is not ignoreIndex. The per-row logsumexp is saved; the backward writes
// dlogits = (softmax - onehot) * dloss / count in one pass.

import { rowsCols, shapeFail, type OpDef } from './def.js';

export interface CrossEntropyAttrs {
  ignoreIndex: number;
}

export const crossEntropy: OpDef<CrossEntropyAttrs> = {
  shape([logits, targets]) {
    const inputs = [logits, targets];
    if (logits.dtype !== 'f32') shapeFail('crossEntropy', inputs, 'logits must be f32');
    if (targets.dtype !== 'i32') shapeFail('crossEntropy', inputs, 'targets must be i32');
    const lead = logits.shape.slice(0, -1);
    if (logits.shape.length === 0 || lead.length !== targets.shape.length || lead.some((d, i) => d !== targets.shape[i])) {
      shapeFail('crossEntropy', inputs, 'targets must have the shape of logits without the last (vocab) axis');
    }
    return [{ shape: [], dtype: 'f32' }];
  },
  forward(e, [logits, targets], [loss], { ignoreIndex }) {
    const [rows, v] = rowsCols(logits);
    const lse = e.empty([rows]);
    e.k.crossEntropy({ logits: logits.handle, targets: targets.handle, loss: loss.handle, lse: lse.handle, rows, v, ignoreIndex });
    return [lse];
  },
  backward(e, [g], [logits, targets], _out, { ignoreIndex }, [lse]) {
    if (!g) return [null, null];
    const [rows, v] = rowsCols(logits);
    const dlogits = e.empty(logits.shape);
    e.k.crossEntropyBwd({ logits: logits.handle, targets: targets.handle, lse: lse.handle, dloss: g.handle, dlogits: dlogits.handle, rows, v, ignoreIndex });
    return [dlogits, null];
  },
};
