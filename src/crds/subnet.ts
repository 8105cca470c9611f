import { z } from "zod";
import {
  ID_PREFIXES,
  cloudID,
  doc,
  exactlyOne,
  ipv4Cidr,
  localRef,
  setOnlyAtCreation,
  zone,
  zoneColumn,
  column,
} from "./common.ts";
import { managedKind, observedFields, restSpec } from "./managed.ts";

export const subnetSpec = restSpec(
  {
    vpcRef: localRef("VPC").optional(),
    vpcID: cloudID(
      ID_PREFIXES.VPC,
      "ID of an existing cloud VPC not managed in this namespace. Set exactly one of vpcRef or vpcID.",
    ).optional(),
    cidr: ipv4Cidr(
      "subnet",
      16,
      28,
      "IPv4 address range of the subnet in CIDR notation, e.g. 10.0.1.0/24; must lie inside the VPC's range (checked by the operator). Prefix /16 to /28; host bits must be zero. Immutable.",
    ),
    zone: zone("subnet"),
  },
  {
    noun: "subnet",
    idPrefix: ID_PREFIXES.Subnet,
    kind: "Subnet",
    description: "Desired state of a Cloud Digit subnet: a range of a VPC in one availability zone.",
    rules: [
      exactlyOne("vpcRef", "vpcID", "a VPC"),
      setOnlyAtCreation("vpcRef", "a subnet cannot move to another VPC"),
      setOnlyAtCreation("vpcID", "a subnet cannot move to another VPC"),
    ],
  },
);

export const subnetKind = managedKind({
  kind: "Subnet",
  shortNames: ["cdsubnet", "cdsn"],
  description: "A Cloud Digit subnet: an IPv4 range of a VPC in one availability zone.",
  noun: "subnet",
  spec: subnetSpec,
  atProvider: observedFields("subnet", {
    vpcID: doc(z.string().max(64).optional(), "ID of the VPC the subnet belongs to."),
    cidr: doc(z.string().max(64).optional(), "CIDR the cloud reports for the subnet."),
    zone: doc(z.string().max(64).optional(), "Availability zone the cloud reports."),
    gatewayIP: doc(z.string().max(64).optional(), "Gateway address of the subnet."),
  }),
  columns: [column("CIDR", ".spec.cidr", "Address range of the subnet."), zoneColumn],
});

export type SubnetSpec = z.infer<typeof subnetSpec>;
export type Subnet = z.infer<typeof subnetKind.schema>;
