// SSHKey: the public key is fixed at creation; tags follow the spec.
import type { SSHKey } from "../../crds/ssh-key.ts";
import { type Actuator } from "../generic/actuator.ts";
import { cloudName, observeByState, restKind, tagsOnly } from "../rest/resource.ts";
import type { Provider } from "../provider/resolver.ts";
import type { CloudApi, SshKey } from "../rest/cloud-api.ts";

export const sshKeyActuator: Actuator<SSHKey, SshKey, CloudApi, Provider> = {
  ...restKind("SSHKey", (api) => api.compute.sshKeys),
  ...tagsOnly("SSHKey", (api) => api.compute.sshKeys),
  dependencies: () => [],
  create: (op) =>
    op.client.compute.sshKeys.create(
      { name: cloudName(op.object), public_key: op.object.spec.publicKey.trim(), tags: op.desiredTags },
      { idempotencyKey: op.idempotencyKey, signal: op.signal },
    ),
  observe: (cloud) =>
    observeByState(
      cloud,
      { ready: ["active"], transitional: ["creating", "deleting"] },
      { name: cloud.name, fingerprint: cloud.fingerprint, keyType: cloud.key_type },
    ),
};
