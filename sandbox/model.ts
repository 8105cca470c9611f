import type { WireSchemas } from "./openapi.ts";
import { ID_PREFIXES, type ResourceKind as IdKind } from "../src/shared/patterns.ts";

/** Resource kinds the sandbox stores; the same names as the id prefixes' keys. */
export type Kind = IdKind;

export const KINDS: readonly Kind[] = ["vpc", "subnet", "ssh_key", "server", "volume"];

// The resource shapes are the document's (sandbox/openapi.yaml, via the generated
// src/client/api/openapi.ts): what the sandbox stores is exactly what it answers.
export type Tags = WireSchemas["Tags"];
export type Vpc = WireSchemas["Vpc"];
export type Subnet = WireSchemas["Subnet"];
export type SshKey = WireSchemas["SshKey"];
/** `user_data` itself is never echoed back (it may hold secrets); its digest shows drift. */
export type Server = WireSchemas["Server"];
export type Volume = WireSchemas["Volume"];

export interface ResourceByKind {
  vpc: Vpc;
  subnet: Subnet;
  ssh_key: SshKey;
  server: Server;
  volume: Volume;
}

export type Resource = ResourceByKind[Kind];

export function kindOfId(id: string): Kind | undefined {
  const prefix = id.slice(0, id.indexOf("_"));
  return KIND_BY_PREFIX.get(prefix);
}

const KIND_BY_PREFIX = new Map<string, Kind>(
  (Object.entries(ID_PREFIXES) as [Kind, string][]).map(([kind, prefix]) => [prefix, kind]),
);

/**
 * A state change that completes later (async lifecycles). Plain data, so it can be persisted
 * and resumed after a restart: at `due_at` the resource moves to `to`, or disappears for "gone".
 */
export interface PendingTransition {
  id: string;
  to: string;
  due_at: number;
  /** What the transition is, for error messages and fault matching (e.g. "create", "resize"). */
  operation: string;
  /** Side effect at completion beyond the state change. */
  effect?: "finish_detach";
}
