#!/usr/bin/env python3
"""PyTorch reference for anvil's transformer (bench and cross-checks only, never the product).

Same architecture as src/model/transformer.ts with Hugging Face parameter names and
layouts: gpt2 (learned positions, LayerNorm with bias, tanh GELU, tied embeddings,
Conv1D weights stored (in, out)) and llama (RoPE rotate-half, RMSNorm, SwiGLU,
grouped-query attention, nn.Linear weights stored (out, in)). Eager mode, all cores.

Modes (one JSON object on stdout):
  logits MODEL_DIR IDS_JSON      logits of an anvil model folder for ids (B, T)
  train  TOKDIR JSON_CONFIG      train with anvil's hyperparameters; tokens/s and val loss
"""
import json
import math
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

# Shapes: B batch, T time, C width, H heads, K kv heads, D head width, F hidden, V vocab.


def read_safetensors(path):
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == '__metadata__':
            continue
        b, end = e['data_offsets']
        if e['dtype'] == 'F32':
            arr = np.frombuffer(data[b:end], dtype='<f4')
        elif e['dtype'] == 'BF16':
            arr = (np.frombuffer(data[b:end], dtype='<u2').astype(np.uint32) << 16).view(np.float32)
        elif e['dtype'] == 'F16':
            arr = np.frombuffer(data[b:end], dtype='<f2').astype(np.float32)
        else:
            raise ValueError(f'{path}: unsupported dtype {e["dtype"]}')
        out[name] = torch.from_numpy(arr.copy()).reshape(e['shape'])
    return out


def read_shard(path):
    with open(path, 'rb') as f:
        h = f.read(64)
        assert h[:8] == b'ANVILTOK', path
        width = struct.unpack('<I', h[12:16])[0]
        count = struct.unpack('<Q', h[16:24])[0]
        return np.frombuffer(f.read(count * width), dtype='<u2' if width == 2 else '<u4').astype(np.int64)


def rope(x, theta):
    # x (B, T, H, D); HF Llama rotate-half.
    B, T, H, D = x.shape
    inv = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.float32) / D))
    ang = torch.arange(T, dtype=torch.float32)[:, None] * inv[None, :]
    cos = torch.cat([ang.cos(), ang.cos()], -1)[None, :, None, :]
    sin = torch.cat([ang.sin(), ang.sin()], -1)[None, :, None, :]
    x1, x2 = x[..., : D // 2], x[..., D // 2:]
    return x * cos + torch.cat([-x2, x1], -1) * sin


def causal_attention(q, k, v):
    # q, k, v (B, H, T, D); Debian's torch 1.13 has no scaled_dot_product_attention.
    T, D = q.shape[-2], q.shape[-1]
    att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(D))
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    att = att.masked_fill(mask, float('-inf')).softmax(-1)
    return att @ v


class Model(torch.nn.Module):
    def __init__(self, cfg, weights=None, seed=0):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(seed)
        self.p = torch.nn.ParameterDict()
        for name, shape in self.shapes():
            if weights is not None:
                t = weights[name].clone()
            elif name.endswith('.bias'):
                t = torch.zeros(shape)
            elif len(shape) == 1:
                t = torch.ones(shape)
            else:
                std = 0.02 / math.sqrt(2 * cfg['layers']) if any(k in name for k in ('c_proj.weight', 'o_proj', 'down_proj')) else 0.02
                t = torch.randn(shape, generator=g) * std
            self.p[name.replace('.', '__')] = torch.nn.Parameter(t)

    def w(self, name):
        return self.p[name.replace('.', '__')]

    def shapes(self):
        c = self.cfg
        C, Fh, V, L = c['width'], c['hidden'], c['vocabSize'], c['layers']
        D = C // c['heads']
        out = []
        if c['family'] == 'gpt2':
            out += [('transformer.wte.weight', [V, C]), ('transformer.wpe.weight', [c['context'], C])]
            for l in range(L):
                p = f'transformer.h.{l}.'
                out += [(p + 'ln_1.weight', [C]), (p + 'ln_1.bias', [C]), (p + 'attn.c_attn.weight', [C, 3 * C]), (p + 'attn.c_attn.bias', [3 * C]),
                        (p + 'attn.c_proj.weight', [C, C]), (p + 'attn.c_proj.bias', [C]), (p + 'ln_2.weight', [C]), (p + 'ln_2.bias', [C]),
                        (p + 'mlp.c_fc.weight', [C, Fh]), (p + 'mlp.c_fc.bias', [Fh]), (p + 'mlp.c_proj.weight', [Fh, C]), (p + 'mlp.c_proj.bias', [C])]
            out += [('transformer.ln_f.weight', [C]), ('transformer.ln_f.bias', [C])]
            return out
        out += [('model.embed_tokens.weight', [V, C])]
        for l in range(L):
            p = f'model.layers.{l}.'
            out += [(p + 'input_layernorm.weight', [C]), (p + 'self_attn.q_proj.weight', [c['heads'] * D, C]),
                    (p + 'self_attn.k_proj.weight', [c['kvHeads'] * D, C]), (p + 'self_attn.v_proj.weight', [c['kvHeads'] * D, C]),
                    (p + 'self_attn.o_proj.weight', [C, c['heads'] * D]), (p + 'post_attention_layernorm.weight', [C]),
                    (p + 'mlp.gate_proj.weight', [Fh, C]), (p + 'mlp.up_proj.weight', [Fh, C]), (p + 'mlp.down_proj.weight', [C, Fh])]
        out += [('model.norm.weight', [C])]
        if not c['tieEmbeddings']:
            out += [('lm_head.weight', [V, C])]
        return out

    def forward(self, idx):
        c = self.cfg
        B, T = idx.shape
        C, H, K = c['width'], c['heads'], c['kvHeads']
        D = C // H
        eps = c['normEps']
        if c['family'] == 'gpt2':
            x = self.w('transformer.wte.weight')[idx] + self.w('transformer.wpe.weight')[:T]
            for l in range(c['layers']):
                p = f'transformer.h.{l}.'
                h = F.layer_norm(x, (C,), self.w(p + 'ln_1.weight'), self.w(p + 'ln_1.bias'), eps)
                qkv = h @ self.w(p + 'attn.c_attn.weight') + self.w(p + 'attn.c_attn.bias')
                q, k, v = qkv.split(C, dim=-1)
                q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v))
                a = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
                x = x + a @ self.w(p + 'attn.c_proj.weight') + self.w(p + 'attn.c_proj.bias')
                h = F.layer_norm(x, (C,), self.w(p + 'ln_2.weight'), self.w(p + 'ln_2.bias'), eps)
                m = F.gelu(h @ self.w(p + 'mlp.c_fc.weight') + self.w(p + 'mlp.c_fc.bias'), approximate='tanh')
                x = x + m @ self.w(p + 'mlp.c_proj.weight') + self.w(p + 'mlp.c_proj.bias')
            x = F.layer_norm(x, (C,), self.w('transformer.ln_f.weight'), self.w('transformer.ln_f.bias'), eps)
            return x @ self.w('transformer.wte.weight').t()

        def rms(x, w):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

        x = self.w('model.embed_tokens.weight')[idx]
        for l in range(c['layers']):
            p = f'model.layers.{l}.'
            h = rms(x, self.w(p + 'input_layernorm.weight'))
            q = rope((h @ self.w(p + 'self_attn.q_proj.weight').t()).view(B, T, H, D), c['ropeTheta']).transpose(1, 2)
            k = rope((h @ self.w(p + 'self_attn.k_proj.weight').t()).view(B, T, K, D), c['ropeTheta']).transpose(1, 2)
            v = (h @ self.w(p + 'self_attn.v_proj.weight').t()).view(B, T, K, D).transpose(1, 2)
            if K != H:
                k = k.repeat_interleave(H // K, dim=1)
                v = v.repeat_interleave(H // K, dim=1)
            a = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, C)
            x = x + a @ self.w(p + 'self_attn.o_proj.weight').t()
            h = rms(x, self.w(p + 'post_attention_layernorm.weight'))
            m = F.silu(h @ self.w(p + 'mlp.gate_proj.weight').t()) * (h @ self.w(p + 'mlp.up_proj.weight').t())
            x = x + m @ self.w(p + 'mlp.down_proj.weight').t()
        x = rms(x, self.w('model.norm.weight'))
        head = self.w('model.embed_tokens.weight') if c['tieEmbeddings'] else self.w('lm_head.weight')
        return x @ head.t()


def config_from_hf(j):
    if j['model_type'] == 'gpt2':
        C = j['n_embd']
        return dict(family='gpt2', vocabSize=j['vocab_size'], context=j['n_positions'], layers=j['n_layer'], heads=j['n_head'],
                    kvHeads=j['n_head'], width=C, hidden=j.get('n_inner') or 4 * C, normEps=j['layer_norm_epsilon'], ropeTheta=10000, tieEmbeddings=True)
    return dict(family='llama', vocabSize=j['vocab_size'], context=j['max_position_embeddings'], layers=j['num_hidden_layers'],
                heads=j['num_attention_heads'], kvHeads=j['num_key_value_heads'], width=j['hidden_size'], hidden=j['intermediate_size'],
                normEps=j['rms_norm_eps'], ropeTheta=j.get('rope_theta', 10000), tieEmbeddings=j.get('tie_word_embeddings', False))


def mode_logits(model_dir, ids_json):
    cfg = config_from_hf(json.load(open(os.path.join(model_dir, 'config.json'))))
    weights = read_safetensors(os.path.join(model_dir, 'model.safetensors'))
    if cfg['family'] == 'gpt2':
        weights = {(k if k.startswith('transformer.') else 'transformer.' + k): v for k, v in weights.items()}
    m = Model(cfg, weights)
    idx = torch.tensor(json.loads(ids_json), dtype=torch.long)
    with torch.no_grad():
        logits = m(idx)
    print(json.dumps({'shape': list(logits.shape), 'logits': logits.flatten().tolist()}))


def mode_train(tokdir, cfg_json):
    o = json.loads(cfg_json)
    torch.set_num_threads(o.get('threads') or os.cpu_count())
    torch.manual_seed(o['seed'])
    meta = json.load(open(os.path.join(tokdir, 'meta.json')))
    train = np.concatenate([read_shard(os.path.join(tokdir, s)) for s in meta['splits']['train']['shards']])
    val = np.concatenate([read_shard(os.path.join(tokdir, s)) for s in meta['splits']['val']['shards']])
    cfg = o['model']
    # Same initial weights as anvil when given (an anvil model folder), else our own init.
    init = read_safetensors(os.path.join(o['init'], 'model.safetensors')) if o.get('init') else None
    m = Model(cfg, init, seed=o['seed'])
    decay = [p for n, p in m.p.items() if p.dim() >= 2 and not any(k in n for k in ('wte', 'wpe', 'embed_tokens'))]
    no_decay = [p for n, p in m.p.items() if not (p.dim() >= 2 and not any(k in n for k in ('wte', 'wpe', 'embed_tokens')))]
    opt = torch.optim.AdamW([{'params': decay, 'weight_decay': o['weightDecay']}, {'params': no_decay, 'weight_decay': 0.0}],
                            lr=o['lr'], betas=(o['beta1'], o['beta2']), eps=1e-8, foreach=True)
    B, T, A, steps = o['batch'], cfg['context'], o['gradAccum'], o['steps']
    rng = np.random.default_rng(o['seed'])

    def lr_at(step):
        if step < o['warmup']:
            return o['lr'] * (step + 1) / o['warmup']
        f = min(1.0, (step - o['warmup']) / max(1, steps - 1 - o['warmup']))
        return o['minLr'] + 0.5 * (1 + math.cos(math.pi * f)) * (o['lr'] - o['minLr'])

    pos = [0]

    def batch():
        if o.get('windows') == 'sequential':
            # anvil's sequential windows: consecutive, stride T, wrapping at the end.
            ix = []
            for _ in range(B):
                if pos[0] + T + 1 > len(train):
                    pos[0] = 0
                ix.append(pos[0])
                pos[0] += T
        else:
            ix = rng.integers(0, len(train) - T - 1, B)
        x = torch.from_numpy(np.stack([train[i:i + T] for i in ix]))
        y = torch.from_numpy(np.stack([train[i + 1:i + 1 + T] for i in ix]))
        return x, y

    times = []
    losses = []
    for step in range(steps):
        t0 = time.perf_counter()
        total = 0.0
        for _ in range(A):
            x, y = batch()
            loss = F.cross_entropy(m(x).view(-1, cfg['vocabSize']), y.view(-1))
            (loss / A).backward()
            total += loss.item() / A
        torch.nn.utils.clip_grad_norm_(m.parameters(), o['clip'])
        for g in opt.param_groups:
            g['lr'] = lr_at(step)
        opt.step()
        opt.zero_grad(set_to_none=True)
        times.append(time.perf_counter() - t0)
        losses.append(total)
    # Validation: non-overlapping windows from the start of the val split.
    nw = min(o.get('evalWindows', 64), (len(val) - 1) // T)
    with torch.no_grad():
        tot = 0.0
        for i in range(0, nw, B):
            ix = range(i * T, min(nw, i + B) * T, T)
            x = torch.from_numpy(np.stack([val[j:j + T] for j in ix]))
            y = torch.from_numpy(np.stack([val[j + 1:j + 1 + T] for j in ix]))
            tot += F.cross_entropy(m(x).view(-1, cfg['vocabSize']), y.view(-1)).item() * len(ix)
    warm = times[min(2, len(times) - 1):]
    med = sorted(warm)[len(warm) // 2]
    print(json.dumps({'tokensPerSec': B * T * A / med, 'stepSeconds': med, 'losses': losses, 'valLoss': tot / nw,
                      'threads': torch.get_num_threads(), 'torch': torch.__version__}))


if __name__ == '__main__':
    if sys.argv[1] == 'logits':
        mode_logits(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == 'train':
        mode_train(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)
