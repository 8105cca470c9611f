// One canonical form of JSON-like values, so two values that mean the same compare equal however
// their keys were ordered: keys sorted, undefined members dropped, at every depth.

/** A copy of `value` in canonical form; `array` may rewrite each array once its items are canonical. */
export function canonical(value: unknown, array: (items: unknown[]) => unknown = (items) => items): unknown {
  if (Array.isArray(value)) return array(value.map((v) => canonical(v, array)));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, canonical(v, array)]),
    );
  }
  return value;
}
