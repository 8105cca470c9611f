import { z } from "zod";
import {
  ID_PREFIXES,
  ageColumn,
  doc,
  idColumn,
  importID,
  ipv4Cidr,
  managedSpec,
  managedStatus,
  readyColumn,
  resourceSchema,
  stateColumn,
  syncedColumn,
  tags,
  type KindDefinition,
} from "./common.ts";

export const vpcSpec = managedSpec(
  {
    cidr: ipv4Cidr("VPC", 16, 24),
    description: doc(z.string().max(255).optional(), "Free-text description of the VPC in the cloud."),
    tags: tags({ rest: true }).optional(),
  },
  {
    kind: "VPC",
    description: "Desired state of a Cloud Digit VPC (a private network).",
    importID: importID(ID_PREFIXES.VPC, "VPC"),
    observeOnlyNeedsImportID: true,
  },
);

export const vpcAtProvider = doc(
  z.object({
    name: doc(z.string().max(255).optional(), "Name of the VPC in the cloud."),
    cidr: doc(z.string().max(64).optional(), "CIDR the cloud reports for the VPC."),
    description: doc(z.string().max(255).optional(), "Description the cloud reports."),
    region: doc(z.string().max(64).optional(), "Region the VPC is in."),
  }),
  "Fields of the VPC as last observed in the cloud.",
);

export const vpcStatus = managedStatus("VPC", vpcAtProvider);
export const vpcSchema = resourceSchema("VPC", vpcSpec, vpcStatus);

export type VPCSpec = z.infer<typeof vpcSpec>;
export type VPCAtProvider = z.infer<typeof vpcAtProvider>;
export type VPCStatus = z.infer<typeof vpcStatus>;
export type VPC = z.infer<typeof vpcSchema>;

export const vpcKind: KindDefinition<typeof vpcSchema> = {
  group: "clouddigit.ai",
  version: "v1alpha1",
  kind: "VPC",
  plural: "vpcs",
  singular: "vpc",
  shortNames: ["cdvpc"],
  namespaced: true,
  description: "A Cloud Digit VPC: a private IPv4 network (/16 to /24) in one region.",
  schema: vpcSchema,
  spec: vpcSpec,
  status: vpcStatus,
  printerColumns: [
    { name: "CIDR", type: "string", jsonPath: ".spec.cidr", description: "Address range of the VPC." },
    stateColumn,
    idColumn,
    readyColumn,
    syncedColumn,
    ageColumn,
  ],
};
