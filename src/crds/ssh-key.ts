import { z } from "zod";
import { ID_PREFIXES, doc, immutable, column } from "./common.ts";
import { managedKind, observedFields, restSpec } from "./managed.ts";

// The base64 body of an OpenSSH public key starts with the encoded key type, so checking that
// prefix catches keys pasted with the wrong type word as well as garbage.
const KEY_BODIES = [
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5[0-9A-Za-z+/]{40,}={0,2}",
  "ssh-rsa AAAAB3NzaC1yc2E[0-9A-Za-z+/]{200,}={0,2}",
  "ecdsa-sha2-nistp(256|384|521) AAAAE2VjZHNhLXNoYTItbmlzdH[0-9A-Za-z+/]{60,}={0,2}",
];
export const SSH_PUBLIC_KEY_PATTERN = new RegExp(`^(${KEY_BODIES.join("|")})( [^\\r\\n]*)?$`);

export const sshKeySpec = restSpec(
  {
    publicKey: doc(
      z.string().min(1).max(16384).regex(SSH_PUBLIC_KEY_PATTERN),
      "OpenSSH public key, one line: `ssh-ed25519 AAAA... comment`, `ssh-rsa AAAA...` or `ecdsa-sha2-nistp256 AAAA...`. Immutable.",
      {
        rules: [immutable("publicKey", "create a new SSHKey to rotate keys")],
        patternMessage:
          "publicKey must be one line of an OpenSSH public key: ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256/384/521, then the base64 key matching that type, then an optional comment",
      },
    ),
  },
  {
    noun: "SSH key",
    idPrefix: ID_PREFIXES.SSHKey,
    kind: "SSHKey",
    description: "Desired state of a Cloud Digit SSH key, injected into VMs at creation.",
  },
);

export const sshKeyKind = managedKind({
  kind: "SSHKey",
  shortNames: ["cdkey", "cdsshkey"],
  description: "A Cloud Digit SSH public key, referenced by VMs through sshKeyRefs.",
  noun: "SSH key",
  spec: sshKeySpec,
  atProvider: observedFields("SSH key", {
    fingerprint: doc(z.string().max(128).optional(), "Fingerprint of the key as the cloud reports it."),
    keyType: doc(z.string().max(64).optional(), "Key type the cloud reports, e.g. ssh-ed25519."),
  }),
  columns: [column("Fingerprint", ".status.atProvider.fingerprint", "Fingerprint of the key.")],
});

export type SSHKeySpec = z.infer<typeof sshKeySpec>;
export type SSHKey = z.infer<typeof sshKeyKind.schema>;
