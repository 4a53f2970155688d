/// <reference types="@webgpu/types" />
// Runs command batches on the thread that owns the GPU device: pooled slots map to GPU
// buffers, pipelines are compiled once per kernel, and a batch becomes one command buffer
// (split only where a host write must land between dispatches). GPU errors (validation,
// out of memory, compilation) are collected and thrown at the next read.

import { WebGpuError } from './errors.js';
import { NO_BUFFER, type Batch } from './protocol.js';
import { PARAM_WORDS, SHADERS, shaderSource, type Tuning } from './wgsl/index.js';

const PARAM_BYTES = PARAM_WORDS * 4;
/** Bind groups kept for reuse before the cache starts over. */
const MAX_BIND_GROUPS = 8192;

interface Pipeline {
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
}

export class Executor {
  private readonly buffers = new Map<number, GPUBuffer>();
  private readonly pipelines = new Map<string, Pipeline>();
  /** Placeholders for optional bindings, one per binding index (a buffer may not be bound twice when written). */
  private readonly placeholders: GPUBuffer[] = [];
  private params: GPUBuffer | null = null;
  /**
   * Bind groups by kernel, parameter slot and buffer slots: a training step repeats the same
   * dispatches over the same pooled buffers, so after the first step none is created.
   */
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private staging: GPUBuffer | null = null;
  private pending: Promise<GPUError | null>[] = [];
  private readonly problems: string[] = [];
  private lost: string | null = null;

  constructor(readonly device: GPUDevice, private readonly tuning: Tuning) {
    void device.lost.then((info) => {
      if (info.reason !== 'destroyed') this.lost = `webgpu: the device was lost (${info.message})`;
    });
  }

  /** Records and submits a batch. */
  run(batch: Batch): void {
    const { device } = this;
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    try {
      this.encode(batch);
    } finally {
      this.pending.push(device.popErrorScope(), device.popErrorScope());
    }
  }

  private encode(batch: Batch): void {
    const { device } = this;
    if (batch.params.byteLength > 0) {
      if (!this.params || this.params.size < batch.params.byteLength) {
        this.params?.destroy();
        this.bindGroups.clear();
        const size = Math.max(PARAM_BYTES * 256, 2 ** Math.ceil(Math.log2(batch.params.byteLength)));
        this.params = device.createBuffer({ size, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
      }
      device.queue.writeBuffer(this.params, 0, batch.params.buffer, batch.params.byteOffset, batch.params.byteLength);
    }
    let enc = device.createCommandEncoder();
    let pass: GPUComputePassEncoder | null = null;
    let recorded = false;
    const endPass = (): void => {
      pass?.end();
      pass = null;
    };
    const submit = (): void => {
      endPass();
      if (recorded) {
        device.queue.submit([enc.finish()]);
        enc = device.createCommandEncoder();
        recorded = false;
      }
    };
    for (const cmd of batch.cmds) {
      switch (cmd.op) {
        case 'create':
          this.buffers.set(cmd.slot, device.createBuffer({
            size: cmd.bytes, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
          }));
          break;
        case 'write':
          submit();
          device.queue.writeBuffer(this.buffer(cmd.slot), 0, cmd.data);
          break;
        case 'copy':
          endPass();
          enc.copyBufferToBuffer(this.buffer(cmd.src), 0, this.buffer(cmd.dst), 0, cmd.bytes);
          recorded = true;
          break;
        case 'dispatch': {
          const p = this.pipeline(cmd.shader);
          pass ??= enc.beginComputePass();
          pass.setPipeline(p.pipeline);
          pass.setBindGroup(0, this.bindGroup(p, cmd.shader, cmd.params, cmd.bufs));
          pass.dispatchWorkgroups(...cmd.groups);
          recorded = true;
          break;
        }
      }
    }
    submit();
  }

  /** Bytes of a slot's buffer, after every command so far. */
  async read(slot: number, bytes: number): Promise<ArrayBuffer> {
    const { device } = this;
    if (!this.staging || this.staging.size < bytes) {
      this.staging?.destroy();
      this.staging = device.createBuffer({ size: Math.max(256, 2 ** Math.ceil(Math.log2(bytes))), usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    }
    const staging = this.staging;
    const enc = device.createCommandEncoder();
    enc.copyBufferToBuffer(this.buffer(slot), 0, staging, 0, bytes);
    device.queue.submit([enc.finish()]);
    await this.check();
    await staging.mapAsync(GPUMapMode.READ, 0, bytes);
    const out = staging.getMappedRange(0, bytes).slice(0);
    staging.unmap();
    return out;
  }

  /** Throws the first GPU error reported since the last check. */
  async check(): Promise<void> {
    const errors = await Promise.all(this.pending);
    this.pending = [];
    for (const e of errors) if (e) this.problems.push(e.message);
    if (this.lost) throw new WebGpuError(this.lost);
    if (this.problems.length) {
      const msg = this.problems.splice(0).join('; ');
      throw new WebGpuError(`webgpu: ${msg}`);
    }
  }

  dispose(): void {
    for (const b of this.buffers.values()) b.destroy();
    this.buffers.clear();
    this.device.destroy();
  }

  private buffer(slot: number): GPUBuffer {
    const b = this.buffers.get(slot);
    if (!b) throw new WebGpuError(`webgpu: buffer slot ${slot} does not exist`);
    return b;
  }

  private bindGroup(p: Pipeline, shader: string, params: number, bufs: number[]): GPUBindGroup {
    const key = `${shader}:${params}:${bufs.join(',')}`;
    let g = this.bindGroups.get(key);
    if (!g) {
      const entries: GPUBindGroupEntry[] = [{ binding: 0, resource: { buffer: this.params!, offset: params * PARAM_BYTES, size: PARAM_BYTES } }];
      bufs.forEach((slot, i) => {
        entries.push({ binding: i + 1, resource: { buffer: slot === NO_BUFFER ? this.placeholder(i) : this.buffer(slot) } });
      });
      g = this.device.createBindGroup({ layout: p.layout, entries });
      if (this.bindGroups.size >= MAX_BIND_GROUPS) this.bindGroups.clear();
      this.bindGroups.set(key, g);
    }
    return g;
  }

  private placeholder(i: number): GPUBuffer {
    return (this.placeholders[i] ??= this.device.createBuffer({ size: 16, usage: GPUBufferUsage.STORAGE }));
  }

  private pipeline(name: string): Pipeline {
    const have = this.pipelines.get(name);
    if (have) return have;
    const def = SHADERS[name];
    if (!def) throw new WebGpuError(`webgpu: no kernel named ${name}`);
    const { device } = this;
    const module = device.createShaderModule({ code: shaderSource(def) });
    void module.getCompilationInfo().then((info) => {
      for (const m of info.messages) {
        if (m.type === 'error') this.problems.push(`kernel ${name} line ${m.lineNum}: ${m.message}`);
      }
    });
    const layout = device.createBindGroupLayout({
      entries: [
        { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
        ...def.bufs.map(([, , access], i): GPUBindGroupLayoutEntry => ({
          binding: i + 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' },
        })),
      ],
    });
    const pipeline = device.createComputePipeline({
      layout: device.createPipelineLayout({ bindGroupLayouts: [layout] }),
      compute: {
        module, entryPoint: 'main',
        constants: def.group ? { WG: def.group === 'row' ? this.tuning.rowWG : this.tuning.attentionWG } : {},
      },
    });
    const p = { pipeline, layout };
    this.pipelines.set(name, p);
    return p;
  }
}
