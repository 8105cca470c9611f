// The registry of kinds: one line per kind. Adding a kind is its actuator (kinds/<kind>.ts), its
// CRD schema (src/crds/) and one line here.
import type { Actuator, ManagedKind, ManagedObject, Ref } from "../generic/actuator.ts";
import { bucketActuator } from "./bucket/actuator.ts";
import { sshKeyActuator } from "./ssh-key.ts";
import { subnetActuator } from "./subnet.ts";
import { vmActuator } from "./vm.ts";
import { volumeActuator } from "./volume.ts";
import { vpcActuator } from "./vpc.ts";

export const actuators: Record<ManagedKind, Actuator> = {
  VPC: vpcActuator,
  Subnet: subnetActuator,
  SSHKey: sshKeyActuator,
  VM: vmActuator,
  Volume: volumeActuator,
  Bucket: bucketActuator,
};

export const MANAGED_KINDS = Object.keys(actuators) as readonly ManagedKind[];

/** Index value naming a referenced object, e.g. "VPC/main". */
export function refIndexValue(ref: Ref): string {
  return `${ref.kind}/${ref.name}`;
}

/** The references an object of `kind` declares, as index values. */
export function declaredRefs(kind: ManagedKind, object: ManagedObject): string[] {
  return actuators[kind].dependencies(object).map(refIndexValue);
}
