// Go-style durations as Kubernetes users write them (30s, 10m, 1h30m, 250ms).
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PART = /([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g;

/** Milliseconds, or undefined for empty or malformed input. */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text || !/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const m of text.matchAll(PART)) total += Number(m[1]) * (UNIT_MS[m[2] ?? ""] ?? 0);
  return total;
}
