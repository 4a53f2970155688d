"""PyTorch reference for bench/webgpu.ts (--torch): fp32 matmul TFLOP/s with TF32 off, and
eager fp32 training tokens/s of the same GPT-2-family Transformer (learned positions,
LayerNorm, tanh GELU, tied embeddings) with AdamW and gradient clipping, as the webgpu run. Uses CUDA when present, else the CPU. Prints one JSON object.

Shapes: matmul C (N, N) = A (N, N) @ B (N, N); training ids (B, T).
"""

import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

MODELS = {
    "tiny": dict(vocab=512, context=64, layers=2, heads=4, width=128, hidden=512),
    "gpt2-124m": dict(vocab=50257, context=1024, layers=12, heads=12, width=768, hidden=3072),
}


def sync(dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()


def median(xs):
    s = sorted(xs)
    return s[len(s) // 2]


def matmul_gflops(n, dev, reps=5):
    a = torch.randn(n, n, device=dev)
    b = torch.randn(n, n, device=dev)
    inner = max(1, min(20, round(2**30 / n**3))) if dev.type == "cuda" else 1
    ts = []
    for i in range(reps + 1):
        sync(dev)
        t0 = time.perf_counter()
        for _ in range(inner):
            c = a @ b
        sync(dev)
        if i:
            ts.append(time.perf_counter() - t0)
    return 2 * n**3 * inner / median(ts) / 1e9


class Block(nn.Module):
    def __init__(self, c, h, hidden):
        super().__init__()
        self.h = h
        self.ln_1 = nn.LayerNorm(c)
        self.c_attn = nn.Linear(c, 3 * c)
        self.c_proj = nn.Linear(c, c)
        self.ln_2 = nn.LayerNorm(c)
        self.c_fc = nn.Linear(c, hidden)
        self.mlp_proj = nn.Linear(hidden, c)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(self.ln_1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.h, C // self.h).transpose(1, 2) for t in (q, k, v))
        if hasattr(F, "scaled_dot_product_attention"):
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:  # torch < 2.0
            s = (q @ k.transpose(-2, -1)) / math.sqrt(q.shape[-1])
            mask = torch.ones(T, T, dtype=torch.bool, device=x.device).tril()
            y = s.masked_fill(~mask, float("-inf")).softmax(-1) @ v
        x = x + self.c_proj(y.transpose(1, 2).reshape(B, T, C))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    def __init__(self, vocab, context, layers, heads, width, hidden):
        super().__init__()
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads, hidden) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)

    def forward(self, ids, targets):
        T = ids.shape[1]
        x = self.wte(ids) + self.wpe(torch.arange(T, device=ids.device))
        for b in self.blocks:
            x = b(x)
        logits = self.ln_f(x) @ self.wte.weight.t()
        return F.cross_entropy(logits.view(-1, logits.shape[-1]), targets.view(-1))


def train_tokens_per_second(cfg, B, T, steps, dev):
    torch.manual_seed(0)
    m = GPT(**cfg).to(dev)
    opt = torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0.1)
    ids = (torch.arange(B * T, device=dev).view(B, T) * 31 + 7) % cfg["vocab"]
    targets = (ids * 5 + 3) % cfg["vocab"]

    def step():
        loss = m(ids, targets)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)
        return loss.item()

    step()
    ts = []
    for _ in range(steps):
        sync(dev)
        t0 = time.perf_counter()
        step()
        sync(dev)
        ts.append(time.perf_counter() - t0)
    return B * T / median(ts)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--sizes", default="1024")
    p.add_argument("--model", default="tiny", choices=sorted(MODELS))
    p.add_argument("--batch", type=int, default=4)
    p.add_argument("--context", type=int, default=0)
    p.add_argument("--steps", type=int, default=3)
    a = p.parse_args()
    dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    cfg = dict(MODELS[a.model])
    T = a.context or cfg["context"]
    cfg["context"] = max(cfg["context"], T)
    out = {
        "device": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu",
        "matmul": {s: matmul_gflops(int(s), dev) for s in a.sizes.split(",")},
        "train": {"tokensPerSecond": train_tokens_per_second(cfg, a.batch, T, a.steps, dev)},
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
