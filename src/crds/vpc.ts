import { z } from "zod";
import { ID_PREFIXES, doc, ipv4Cidr, column } from "./common.ts";
import { managedKind, observedFields, restSpec } from "./managed.ts";

export const vpcSpec = restSpec(
  {
    cidr: ipv4Cidr("VPC", 16, 24),
    description: doc(z.string().max(255).optional(), "Free-text description of the VPC in the cloud."),
  },
  {
    noun: "VPC",
    idPrefix: ID_PREFIXES.VPC,
    kind: "VPC",
    description: "Desired state of a Cloud Digit VPC (a private network).",
  },
);

export const vpcKind = managedKind({
  kind: "VPC",
  shortNames: ["cdvpc"],
  description: "A Cloud Digit VPC: a private IPv4 network (/16 to /24) in one region.",
  noun: "VPC",
  spec: vpcSpec,
  atProvider: observedFields("VPC", {
    cidr: doc(z.string().max(64).optional(), "CIDR the cloud reports for the VPC."),
    description: doc(z.string().max(255).optional(), "Description the cloud reports."),
    region: doc(z.string().max(64).optional(), "Region the VPC is in."),
  }),
  columns: [column("CIDR", ".spec.cidr", "Address range of the VPC.")],
});

export type VPCSpec = z.infer<typeof vpcSpec>;
export type VPC = z.infer<typeof vpcKind.schema>;
