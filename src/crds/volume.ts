import { z } from "zod";
import {
  ID_PREFIXES,
  ageColumn,
  doc,
  idColumn,
  immutable,
  importID,
  managedSpec,
  managedStatus,
  readyColumn,
  resourceSchema,
  stateColumn,
  syncedColumn,
  tags,
  zone,
  type KindDefinition,
} from "./common.ts";

export const VOLUME_TYPES = ["nvme", "piops"] as const;
export const MAX_VOLUME_GIB = 16384;

export const volumeSpec = managedSpec(
  {
    sizeGiB: doc(
      z.int().min(1).max(MAX_VOLUME_GIB),
      `Size in GiB, 1 to ${MAX_VOLUME_GIB} (16 TiB). Can grow (online) but never shrink.`,
      {
        rules: [
          {
            rule: "self >= oldSelf",
            message: "sizeGiB cannot shrink: volumes can only grow; create a new Volume for a smaller size",
          },
        ],
      },
    ),
    type: doc(
      z.enum(VOLUME_TYPES).default("nvme"),
      "Storage tier: nvme (default) or piops (provisioned IOPS; needs iops). Immutable.",
      { rules: [immutable("type")] },
    ),
    iops: doc(
      z.int().min(100).max(100000).optional(),
      "Provisioned IOPS, 100 to 100000. Only for type piops, where it is required.",
    ),
    zone: zone("volume"),
    tags: tags({ rest: true }).optional(),
  },
  {
    kind: "Volume",
    description:
      "Desired state of a Cloud Digit block volume. Attach it to a VM by listing it in the VM's volumeRefs.",
    importID: importID(ID_PREFIXES.Volume, "volume"),
    observeOnlyNeedsImportID: true,
    rules: [
      {
        rule: "!has(self.type) || self.type != 'piops' || has(self.iops)",
        message: "iops is required when type is piops",
        fieldPath: ".iops",
        reason: "FieldValueRequired",
      },
      {
        rule: "!has(self.iops) || (has(self.type) && self.type == 'piops')",
        message: "iops can only be set when type is piops",
        fieldPath: ".iops",
        reason: "FieldValueForbidden",
      },
    ],
  },
);

export const volumeAtProvider = doc(
  z.object({
    name: doc(z.string().max(255).optional(), "Name of the volume in the cloud."),
    sizeGiB: doc(z.int().min(0).optional(), "Size the cloud reports, in GiB."),
    type: doc(z.string().max(32).optional(), "Storage tier the cloud reports."),
    iops: doc(z.int().min(0).optional(), "Provisioned IOPS the cloud reports."),
    zone: doc(z.string().max(64).optional(), "Availability zone the cloud reports."),
    serverID: doc(z.string().max(64).optional(), "ID of the VM the volume is attached to, if any."),
  }),
  "Fields of the volume as last observed in the cloud.",
);

export const volumeStatus = managedStatus("volume", volumeAtProvider);
export const volumeSchema = resourceSchema("Volume", volumeSpec, volumeStatus);

export type VolumeSpec = z.infer<typeof volumeSpec>;
export type VolumeAtProvider = z.infer<typeof volumeAtProvider>;
export type VolumeStatus = z.infer<typeof volumeStatus>;
export type Volume = z.infer<typeof volumeSchema>;

export const volumeKind: KindDefinition<typeof volumeSchema> = {
  group: "clouddigit.ai",
  version: "v1alpha1",
  kind: "Volume",
  plural: "volumes",
  singular: "volume",
  shortNames: ["cdvol"],
  namespaced: true,
  description:
    "A Cloud Digit block volume (NVMe or provisioned IOPS), attached to VMs through their volumeRefs.",
  schema: volumeSchema,
  spec: volumeSpec,
  status: volumeStatus,
  printerColumns: [
    { name: "Size", type: "integer", jsonPath: ".spec.sizeGiB", description: "Size in GiB." },
    { name: "Zone", type: "string", jsonPath: ".spec.zone", description: "Availability zone." },
    stateColumn,
    idColumn,
    {
      name: "Server",
      type: "string",
      jsonPath: ".status.atProvider.serverID",
      description: "VM the volume is attached to.",
    },
    readyColumn,
    syncedColumn,
    ageColumn,
  ],
};
