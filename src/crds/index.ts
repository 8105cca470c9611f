// The registry of every kind this operator serves, for the CRD generator and the controllers.
import type { z } from "zod";
import { bucketKind } from "./bucket.ts";
import type { KindDefinition } from "./common.ts";
import { clusterProviderConfigKind, providerConfigKind } from "./provider-config.ts";
import { sshKeyKind } from "./ssh-key.ts";
import { subnetKind } from "./subnet.ts";
import { vmKind } from "./vm.ts";
import { volumeKind } from "./volume.ts";
import { vpcKind, type VPCSpec } from "./vpc.ts";

export * from "./common.ts";
export * from "./managed.ts";
export * from "./vpc.ts";
export * from "./subnet.ts";
export * from "./ssh-key.ts";
export * from "./vm.ts";
export * from "./volume.ts";
export * from "./bucket.ts";
export * from "./provider-config.ts";

/** The fields every managed kind's spec has (after apiserver defaulting). */
export type CommonSpec = Pick<
  VPCSpec,
  "providerConfigRef" | "managementPolicy" | "deletionPolicy" | "importID" | "resyncPeriod"
> &
  // Optional here: objects built in code (tests, older clients) may not carry them.
  Partial<Pick<VPCSpec, "adoptionPolicy" | "onExternalDelete">>;

/** The status shape every managed kind shares; atProvider is per kind. */
export type ManagedStatus = Omit<z.infer<typeof vpcKind.status>, "atProvider"> & {
  atProvider?: Record<string, unknown> | undefined;
};

export const kinds = {
  VPC: vpcKind,
  Subnet: subnetKind,
  SSHKey: sshKeyKind,
  VM: vmKind,
  Volume: volumeKind,
  Bucket: bucketKind,
  ProviderConfig: providerConfigKind,
  ClusterProviderConfig: clusterProviderConfigKind,
} as const;

export type KindName = keyof typeof kinds;

/** Kinds that map to one cloud resource each and go through the generic reconciler. */
export const managedKinds = ["VPC", "Subnet", "SSHKey", "VM", "Volume", "Bucket"] as const;
export type ManagedKindName = (typeof managedKinds)[number];

export const allKinds: readonly KindDefinition[] = Object.values(kinds);

export function kindByName(kind: string): KindDefinition | undefined {
  return (kinds as Record<string, KindDefinition>)[kind];
}
