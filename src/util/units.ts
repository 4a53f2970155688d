// Parsing and printing of human quantities: "1.3B" parameters, "26B" tokens, "40GB".

import { UsageError } from './errors.js';

const SUFFIX: Record<string, number> = { '': 1, K: 1e3, M: 1e6, B: 1e9, G: 1e9, T: 1e12 };

/**
 * Parses a positive count with an optional K/M/B/T suffix.
 * @example parseCount('1.3B', '--params') // 1.3e9
 */
export function parseCount(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([KMBGT]?)\s*$/i.exec(text);
  if (!m) {
    throw new UsageError(`${what}: "${text}" is not a count; use a number with an optional K, M, B or T suffix (e.g. 1.3B, 26B, 500M)`);
  }
  const value = Number(m[1]) * SUFFIX[m[2]!.toUpperCase()]!;
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new UsageError(`${what}: "${text}" must be a positive count (e.g. 1.3B)`);
  }
  return value;
}

/** Parses a number and checks it lies in [min, max]. */
export function parseNumber(text: string, what: string, min = -Infinity, max = Infinity): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${what}: "${text}" is not a number`);
  if (v < min || v > max) throw new UsageError(`${what}: ${v} is out of range; accepted: ${min} to ${max}`);
  return v;
}

/** Parses an integer and checks it lies in [min, max]. */
export function parseInteger(text: string, what: string, min = -Infinity, max = Infinity): number {
  const v = parseNumber(text, what, min, max);
  if (!Number.isInteger(v)) throw new UsageError(`${what}: ${text} must be a whole number`);
  return v;
}

/** Formats a count with a K/M/B/T suffix and three significant digits: 1.3e9 -> "1.30B". */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  for (const [s, f] of [['T', 1e12], ['B', 1e9], ['M', 1e6], ['K', 1e3]] as const) {
    if (abs >= f) return `${(n / f).toPrecision(3)}${s}`;
  }
  return String(Math.round(n * 100) / 100);
}

/** Formats seconds as "3h 12m", "4.2 days" or "35 s". */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '∞';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  if (seconds < 48 * 3600) return `${(seconds / 3600).toFixed(1)} h`;
  return `${(seconds / 86400).toFixed(1)} days`;
}
