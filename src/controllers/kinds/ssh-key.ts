// SSHKey: the public key is fixed at creation; tags follow the spec.
import { createHash } from "node:crypto";
import type { SSHKey } from "../../crds/ssh-key.ts";
import { type Actuator } from "../generic/actuator.ts";
import { cloudName, observeByState, restKind, tagsOnly } from "../rest/resource.ts";
import type { Provider } from "../provider/resolver.ts";
import type { CloudApi, SshKey } from "../rest/cloud-api.ts";
import { mismatches } from "./immutable.ts";

/**
 * The OpenSSH fingerprint of a public key line (`SHA256:` and the unpadded base64 SHA-256 of the
 * key blob), as `ssh-keygen -l` and the cloud show it; undefined when the line has no base64 blob.
 */
export function sshFingerprint(line: string): string | undefined {
  const blob = line.trim().split(/\s+/)[1];
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return undefined;
  const digest = createHash("sha256").update(Buffer.from(blob, "base64")).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

export const sshKeyActuator: Actuator<SSHKey, SshKey, CloudApi, Provider> = {
  ...restKind("SSHKey", (api) => api.compute.sshKeys),
  ...tagsOnly("SSHKey", (api) => api.compute.sshKeys),
  dependencies: () => [],
  create: (op) =>
    op.client.compute.sshKeys.create(
      {
        name: cloudName(op.object, op.installation),
        public_key: op.object.spec.publicKey.trim(),
        tags: op.desiredTags,
      },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    ),
  // Keys are compared by fingerprint (the comment is not part of the key), which messages show.
  immutableMismatches: (object, cloud) =>
    mismatches([
      {
        field: "publicKey",
        spec: sshFingerprint(object.spec.publicKey),
        cloud: sshFingerprint(cloud.public_key) ?? cloud.fingerprint,
      },
    ]),
  observe: (cloud) =>
    observeByState(
      cloud,
      { ready: ["active"], transitional: ["creating", "deleting"] },
      { name: cloud.name, fingerprint: cloud.fingerprint, keyType: cloud.key_type },
    ),
};
