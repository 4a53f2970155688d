// Typed errors of the webgpu backend.

import { AnvilError } from '../../util/errors.js';

/** A tensor or kernel needs more than the adapter allows; the message names the sizes. */
export class WebGpuLimitError extends AnvilError {
  override name = 'WebGpuLimitError';
}

/** No adapter, a lost device, or an error reported by the GPU (validation, out of memory). */
export class WebGpuError extends AnvilError {
  override name = 'WebGpuError';
}

/** How to get an adapter, for the message when there is none. */
export const HOW_TO_GET_AN_ADAPTER =
  'install a GPU driver with Vulkan (Linux: libvulkan1 and the vendor ICD; in containers make sure ' +
  'nvidia_icd.json is mounted), Metal (macOS) or D3D12 (Windows); or, for a slow software adapter on ' +
  'Debian/Ubuntu: apt-get install -y chromium libvulkan1 and set ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json';
