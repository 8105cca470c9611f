// How deep a JSON-like value nests, measured without recursion: a value nested thousands of levels
// deep (accepted by the apiserver in free-form fields) would overflow the stack of any recursive
// walk, structuredClone and JSON.stringify included.

/**
 * The path of the first value nested deeper than `maxDepth` levels (e.g. "policy.Statement[0].
 * Condition.x.y"), or undefined when the value stays within it. The top level is depth 0.
 */
export function pathDeeperThan(value: unknown, maxDepth: number): string | undefined {
  const stack: Array<{ value: unknown; depth: number; path: string }> = [{ value, depth: 0, path: "" }];
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    if (typeof next.value !== "object" || next.value === null) continue;
    if (next.depth > maxDepth) return next.path;
    const entries: Array<[string, unknown]> = Array.isArray(next.value)
      ? next.value.map((v, i) => [`${next.path}[${i}]`, v])
      : Object.entries(next.value).map(([k, v]) => [next.path ? `${next.path}.${k}` : k, v]);
    for (const [path, child] of entries) stack.push({ value: child, depth: next.depth + 1, path });
  }
  return undefined;
}
