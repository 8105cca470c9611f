import type { IdKind } from "./ulid.ts";

/** Resource kinds the sandbox stores; the same names as the id prefixes' keys. */
export type Kind = IdKind;

export const KINDS: readonly Kind[] = ["vpc", "subnet", "ssh_key", "server", "volume"];

export type Tags = Record<string, string>;

interface Common {
  id: string;
  project: string;
  name: string;
  description: string;
  state: string;
  /** Why the resource is in `error` (or null). */
  state_reason: string | null;
  created_at: string;
  updated_at: string;
  tags: Tags;
}

export interface Vpc extends Common {
  region: string;
  cidr: string;
}

export interface Subnet extends Common {
  vpc_id: string;
  cidr: string;
  zone: string;
  gateway_ip: string;
}

export interface SshKey extends Common {
  public_key: string;
  fingerprint: string;
  key_type: string;
}

export interface Server extends Common {
  flavor: string;
  image: string;
  subnet_id: string;
  vpc_id: string;
  zone: string;
  ssh_key_ids: string[];
  boot_volume_size_gib: number;
  /** user_data itself is never echoed back (it may hold secrets); its digest shows drift. */
  user_data_sha256: string | null;
  addresses: { private_ip: string; public_ip: string | null };
  volume_ids: string[];
}

export interface Volume extends Common {
  size_gib: number;
  type: "nvme" | "piops";
  iops: number;
  zone: string;
  server_id: string | null;
}

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
  switch (prefix) {
    case "vpc":
      return "vpc";
    case "subnet":
      return "subnet";
    case "sshkey":
      return "ssh_key";
    case "vm":
      return "server";
    case "vol":
      return "volume";
    default:
      return undefined;
  }
}

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
