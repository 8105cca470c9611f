// The actuator of every managed kind, and the relations between kinds the wiring needs.
import type { Actuator, ManagedKind, ManagedObject, Ref } from "./actuator.ts";
import { sshKeyActuator } from "./ssh-key.ts";
import { subnetActuator } from "./subnet.ts";
import { vmActuator } from "./vm.ts";
import { volumeActuator } from "./volume.ts";
import { vpcActuator } from "./vpc.ts";

export const MANAGED_KINDS: readonly ManagedKind[] = ["VPC", "Subnet", "SSHKey", "VM", "Volume"];

export const actuators: Record<ManagedKind, Actuator> = {
  VPC: vpcActuator,
  Subnet: subnetActuator,
  SSHKey: sshKeyActuator,
  VM: vmActuator,
  Volume: volumeActuator,
};

/** Index value naming a referenced object, e.g. "VPC/main". */
export function refIndexValue(ref: Ref): string {
  return `${ref.kind}/${ref.name}`;
}

/** The references an object of `kind` declares, as index values. */
export function declaredRefs(kind: ManagedKind, object: ManagedObject): string[] {
  return actuators[kind].dependencies(object).map(refIndexValue);
}
