/// <reference types="@webgpu/types" />
// Getting a device: one adapter and one device per process (per worker in Node), with the
// adapter's own limits requested (buffer sizes, storage bindings) rather than the defaults,
// and a description of the adapter that says whether it is real hardware. The `subgroups`
// feature is requested where the adapter has it (the subgroup matmul needs it).

import { HOW_TO_GET_AN_ADAPTER, WebGpuError } from './errors.js';

/** What the backend reports about its adapter. */
export interface AdapterDescription {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** False for software adapters (SwiftShader, llvmpipe, lavapipe) and fallback adapters. */
  hardware: boolean;
  features: string[];
  /** The subgroup sizes the adapter may use (with `subgroups`; null where it does not say). */
  subgroupMinSize: number | null;
  subgroupMaxSize: number | null;
}

/** The limits the backend checks before a buffer would exceed them. */
export interface DeviceLimits {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

const WANTED_LIMITS = [
  'maxBufferSize', 'maxStorageBufferBindingSize', 'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupsPerDimension',
] as const;

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software|microsoft basic render/i;

/** Requests the adapter and a device with the adapter's limits. */
export async function openDevice(gpu: GPU): Promise<{ device: GPUDevice; adapter: AdapterDescription; limits: DeviceLimits }> {
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuError(`webgpu: no GPU adapter found; ${HOW_TO_GET_AN_ADAPTER}`);
  const requiredLimits: Record<string, number> = {};
  for (const name of WANTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures: GPUFeatureName[] = adapter.features.has('subgroups') ? ['subgroups'] : [];
  const device = await adapter.requestDevice({ requiredLimits, requiredFeatures });
  const info = adapter.info;
  const text = `${info.vendor} ${info.architecture} ${info.device} ${info.description}`;
  const fallback = (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
  return {
    device,
    adapter: {
      vendor: info.vendor, architecture: info.architecture, device: info.device, description: info.description,
      hardware: !fallback && !SOFTWARE.test(text), features: [...adapter.features].map(String).sort(),
      subgroupMinSize: info.subgroupMinSize ?? null, subgroupMaxSize: info.subgroupMaxSize ?? null,
    },
    limits: { maxBufferSize: device.limits.maxBufferSize, maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize },
  };
}
