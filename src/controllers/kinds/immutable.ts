// Helpers for `immutableMismatches`: which immutable spec fields an existing cloud resource
// contradicts before the reconciler imports or adopts it.
import { isDeepStrictEqual } from "node:util";
import type { ManagedKind, Mismatch, Resolved } from "../generic/actuator.ts";

/**
 * The mismatches among `checks`: a field is compared only when the spec sets it and the cloud
 * reports it (both not undefined); values are compared structurally.
 */
export function mismatches(checks: Array<Mismatch | undefined>): Mismatch[] {
  return checks.filter(
    (c): c is Mismatch =>
      c !== undefined && c.spec !== undefined && c.cloud !== undefined && !isDeepStrictEqual(c.spec, c.cloud),
  );
}

/**
 * A reference to another object against the cloud ID the resource points at: compared only once
 * the referenced object's ID is known; the spec side names the object and its ID.
 */
export function refMismatch(
  field: string,
  ref: { kind: ManagedKind; name: string } | undefined,
  deps: Resolved,
  cloudId: string | undefined,
): Mismatch | undefined {
  const id = ref ? deps.get(ref)?.id : undefined;
  if (!ref || id === undefined || cloudId === undefined || id === cloudId) return undefined;
  return { field, spec: `${id} (${ref.kind} ${ref.name})`, cloud: cloudId };
}
