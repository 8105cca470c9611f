import { createHash } from "node:crypto";
import type { SshKey } from "./model.ts";

const KEY_TYPES = new Set<string>([
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
]);

export interface ParsedKey {
  type: SshKey["key_type"];
  /** OpenSSH-style fingerprint: `SHA256:` + unpadded base64 of the SHA-256 of the key blob. */
  fingerprint: string;
}

/**
 * Validates an OpenSSH public key line (`<type> <base64 blob> [comment]`) the way a cloud does:
 * known type, decodable blob, and the type named inside the blob equals the declared one.
 */
export function parsePublicKey(line: string): ParsedKey | undefined {
  const parts = line.trim().split(/\s+/);
  const [type, blobText] = parts;
  if (!type || !blobText || !KEY_TYPES.has(type)) return undefined;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(blobText)) return undefined;
  const blob = Buffer.from(blobText, "base64");
  if (blob.length < 4 + type.length + 4) return undefined;
  const nameLength = blob.readUInt32BE(0);
  if (nameLength !== type.length || blob.subarray(4, 4 + nameLength).toString("latin1") !== type)
    return undefined;
  if (type === "ssh-ed25519") {
    const keyLength = blob.readUInt32BE(4 + nameLength);
    if (keyLength !== 32 || blob.length !== 4 + nameLength + 4 + 32) return undefined;
  }
  const digest = createHash("sha256").update(blob).digest("base64").replace(/=+$/, "");
  return { type: type as SshKey["key_type"], fingerprint: `SHA256:${digest}` };
}
