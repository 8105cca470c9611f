import { z } from "zod";
import { ID_PREFIXES, doc, immutable, zone, zoneColumn, column } from "./common.ts";
import { managedKind, observedFields, restSpec } from "./managed.ts";

export const VOLUME_TYPES = ["nvme", "piops"] as const;
export const MAX_VOLUME_GIB = 16384;

export const volumeSpec = restSpec(
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
  },
  {
    noun: "volume",
    idPrefix: ID_PREFIXES.Volume,
    kind: "Volume",
    description:
      "Desired state of a Cloud Digit block volume. Attach it to a VM by listing it in the VM's volumeRefs.",
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

export const volumeKind = managedKind({
  kind: "Volume",
  shortNames: ["cdvol"],
  description:
    "A Cloud Digit block volume (NVMe or provisioned IOPS), attached to VMs through their volumeRefs.",
  noun: "volume",
  spec: volumeSpec,
  atProvider: observedFields("volume", {
    sizeGiB: doc(z.int().min(0).optional(), "Size the cloud reports, in GiB."),
    type: doc(z.string().max(32).optional(), "Storage tier the cloud reports."),
    iops: doc(z.int().min(0).optional(), "Provisioned IOPS the cloud reports."),
    zone: doc(z.string().max(64).optional(), "Availability zone the cloud reports."),
    serverID: doc(z.string().max(64).optional(), "ID of the VM the volume is attached to, if any."),
  }),
  columns: [column("Size", ".spec.sizeGiB", "Size in GiB.", "integer"), zoneColumn],
  observedColumns: [column("Server", ".status.atProvider.serverID", "VM the volume is attached to.")],
});

export type VolumeSpec = z.infer<typeof volumeSpec>;
export type Volume = z.infer<typeof volumeKind.schema>;
