import { z } from "zod";
import {
  ID_PREFIXES,
  ageColumn,
  doc,
  exactlyOne,
  idColumn,
  cloudID,
  importID,
  ipv4Cidr,
  localRef,
  managedSpec,
  managedStatus,
  readyColumn,
  resourceSchema,
  setOnlyAtCreation,
  stateColumn,
  syncedColumn,
  tags,
  zone,
  type KindDefinition,
} from "./common.ts";

export const subnetSpec = managedSpec(
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
    tags: tags({ rest: true }).optional(),
  },
  {
    kind: "Subnet",
    description: "Desired state of a Cloud Digit subnet: a range of a VPC in one availability zone.",
    importID: importID(ID_PREFIXES.Subnet, "subnet"),
    observeOnlyNeedsImportID: true,
    rules: [
      exactlyOne("vpcRef", "vpcID", "a VPC"),
      setOnlyAtCreation("vpcRef", "a subnet cannot move to another VPC"),
      setOnlyAtCreation("vpcID", "a subnet cannot move to another VPC"),
    ],
  },
);

export const subnetAtProvider = doc(
  z.object({
    name: doc(z.string().max(255).optional(), "Name of the subnet in the cloud."),
    vpcID: doc(z.string().max(64).optional(), "ID of the VPC the subnet belongs to."),
    cidr: doc(z.string().max(64).optional(), "CIDR the cloud reports for the subnet."),
    zone: doc(z.string().max(64).optional(), "Availability zone the cloud reports."),
    gatewayIP: doc(z.string().max(64).optional(), "Gateway address of the subnet."),
  }),
  "Fields of the subnet as last observed in the cloud.",
);

export const subnetStatus = managedStatus("subnet", subnetAtProvider);
export const subnetSchema = resourceSchema("Subnet", subnetSpec, subnetStatus);

export type SubnetSpec = z.infer<typeof subnetSpec>;
export type SubnetAtProvider = z.infer<typeof subnetAtProvider>;
export type SubnetStatus = z.infer<typeof subnetStatus>;
export type Subnet = z.infer<typeof subnetSchema>;

export const subnetKind: KindDefinition<typeof subnetSchema> = {
  group: "clouddigit.ai",
  version: "v1alpha1",
  kind: "Subnet",
  plural: "subnets",
  singular: "subnet",
  shortNames: ["cdsubnet", "cdsn"],
  namespaced: true,
  description: "A Cloud Digit subnet: an IPv4 range of a VPC in one availability zone.",
  schema: subnetSchema,
  spec: subnetSpec,
  status: subnetStatus,
  printerColumns: [
    { name: "CIDR", type: "string", jsonPath: ".spec.cidr", description: "Address range of the subnet." },
    { name: "Zone", type: "string", jsonPath: ".spec.zone", description: "Availability zone." },
    stateColumn,
    idColumn,
    readyColumn,
    syncedColumn,
    ageColumn,
  ],
};
