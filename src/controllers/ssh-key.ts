// SSHKey: the public key is fixed at creation; tags follow the spec.
import type { SSHKey } from "../crds/ssh-key.ts";
import { desiredTags, observeByState, tagsChange, type Actuator } from "./actuator.ts";
import type { SshKey } from "./cloud-api.ts";

export const sshKeyActuator: Actuator<SSHKey, SshKey> = {
  kind: "SSHKey",
  dependencies: () => [],
  collection: (api) => api.compute.sshKeys,
  findByTags: (api, tags, signal) => api.compute.sshKeys.listAll({ tags }, { signal }),
  create: (op) =>
    op.api.compute.sshKeys.create(
      { name: op.cloudName, public_key: op.object.spec.publicKey.trim(), tags: op.desiredTags },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    ),
  diff: (object, cloud) => tagsChange(desiredTags(object, "SSHKey"), cloud.tags),
  async update(op, cloud) {
    await op.api.compute.sshKeys.update(cloud.id, { tags: op.desiredTags }, { signal: op.signal });
    return "done";
  },
  async remove(op, cloud) {
    await op.api.compute.sshKeys.delete(cloud.id, { signal: op.signal });
  },
  observe: (cloud) =>
    observeByState(
      cloud,
      { ready: ["active"], transitional: ["creating", "deleting"] },
      { name: cloud.name, fingerprint: cloud.fingerprint, keyType: cloud.key_type },
    ),
};
