// Graph walks used by the engine: the topological order of the autograd graph behind a loss,
// and the tensors a scope's return value holds (which the scope must not free).

import type { Node } from './engine.js';
import { Tensor } from './tensor.js';

/** Nodes reachable from `loss`, inputs before the nodes that consume them. */
export function topoOrder(loss: Tensor): Node[] {
  const order: Node[] = [];
  const seen = new Set<Node>();
  const stack: { node: Node; next: number }[] = [];
  if (loss.node) {
    stack.push({ node: loss.node, next: 0 });
    seen.add(loss.node);
  }
  while (stack.length) {
    const top = stack[stack.length - 1];
    if (top.next < top.node.inputs.length) {
      const child = top.node.inputs[top.next++].node;
      if (child && !seen.has(child)) {
        seen.add(child);
        stack.push({ node: child, next: 0 });
      }
    } else {
      stack.pop();
      order.push(top.node);
    }
  }
  return order;
}

export function collectTensors(v: unknown, out: Set<Tensor>, depth: number): void {
  if (depth > 8 || v === null || typeof v !== 'object') return;
  if (v instanceof Tensor) {
    out.add(v);
    return;
  }
  if (Array.isArray(v)) {
    for (const x of v) collectTensors(x, out, depth + 1);
    return;
  }
  const proto = Object.getPrototypeOf(v);
  if (proto === Object.prototype || proto === null) {
    for (const x of Object.values(v as Record<string, unknown>)) collectTensors(x, out, depth + 1);
  }
}
