import { z } from "zod";
import {
  ID_PREFIXES,
  atMostOne,
  cloudID,
  doc,
  exactlyOne,
  immutable,
  localRef,
  objectName,
  setOnlyAtCreation,
  column,
} from "./common.ts";
import { managedKind, observedFields, restSpec } from "./managed.ts";

export const FLAVOR_PATTERN = /^(std|mem|cpu)-[0-9]+x[0-9]+$/;
export const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._-]{0,62}$/;
export const POWER_STATES = ["Running", "Stopped"] as const;
export const MAX_ATTACHED_VOLUMES = 16;

const recreateHint = "delete and recreate the VM to change it";

export const vmSpec = restSpec(
  {
    flavor: doc(
      z.string().max(32).regex(FLAVOR_PATTERN),
      "Size of the VM, `<family>-<vcpu>x<ram GiB>`, family std (1:4), mem (1:8) or cpu (1:2), e.g. std-2x8. Changing it resizes the VM: within a family with a reboot; across families with stop, resize and start, which needs allowDisruption: true (or powerState: Stopped).",
      {
        patternMessage: "flavor must be <family>-<vcpu>x<ram GiB> with family std, mem or cpu, e.g. std-2x8",
      },
    ),
    image: doc(
      z.string().max(63).regex(IMAGE_PATTERN),
      "Operating system image, e.g. ubuntu-24.04, debian-12, rocky-9. Immutable.",
      {
        rules: [immutable("image", recreateHint)],
        patternMessage:
          "image must be an image name such as ubuntu-24.04 (lowercase letters, digits, '.', '_' and '-')",
      },
    ),
    subnetRef: localRef("Subnet").optional(),
    subnetID: cloudID(
      ID_PREFIXES.Subnet,
      "ID of an existing cloud subnet not managed in this namespace. Set exactly one of subnetRef or subnetID.",
    ).optional(),
    sshKeyRefs: doc(
      z.array(localRef("SSHKey")).max(16).optional(),
      "SSHKeys in the same namespace to install on the VM at creation. Can be combined with sshKeyIDs. Set only at creation.",
      { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] },
    ),
    sshKeyIDs: doc(
      z.array(cloudID(ID_PREFIXES.SSHKey, "ID of a cloud SSH key.")).max(16).optional(),
      "IDs of existing cloud SSH keys to install on the VM at creation. Set only at creation.",
      { "x-kubernetes-list-type": "set" },
    ),
    bootVolumeSizeGiB: doc(
      z.int().min(20).max(16384).default(20),
      "Size of the boot disk in GiB, 20 (default) to 16384. Immutable.",
      { rules: [immutable("bootVolumeSizeGiB", recreateHint)] },
    ),
    userData: doc(
      z.string().max(65536).optional(),
      "cloud-init user data, inline. Use userDataSecretRef instead when it holds secrets. Only read at first boot, so it can only be set at creation.",
    ),
    userDataSecretRef: doc(
      z.object({
        name: objectName("Secret in the same namespace"),
        key: doc(
          z.string().min(1).max(253).default("userData"),
          'Key in the Secret holding the user data (default "userData").',
        ),
      }),
      "cloud-init user data from a Secret in the same namespace. Set at most one of userData or userDataSecretRef. Only read at first boot, so it can only be set at creation.",
    ).optional(),
    publicIP: doc(
      z.boolean().default(false),
      "Give the VM a public IPv4 address (default false). Immutable.",
      { rules: [immutable("publicIP", recreateHint)] },
    ),
    powerState: doc(
      z.enum(POWER_STATES).default("Running"),
      "Running (default) or Stopped. The operator starts or stops the VM to match.",
    ),
    allowDisruption: doc(
      z.boolean().default(false),
      "Allow the operator to stop a running VM when a change needs it (a flavor change across families). Default false: such a change is rejected.",
    ),
    volumeRefs: doc(
      z.array(localRef("Volume")).max(MAX_ATTACHED_VOLUMES).optional(),
      `Volumes in the same namespace to attach to the VM (at most ${MAX_ATTACHED_VOLUMES}). Removing one detaches it. A volume must be in the VM's zone.`,
      { "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"] },
    ),
  },
  {
    noun: "VM",
    idPrefix: ID_PREFIXES.VM,
    kind: "VM",
    description: "Desired state of a Cloud Digit virtual machine.",
    rules: [
      exactlyOne("subnetRef", "subnetID", "a Subnet"),
      setOnlyAtCreation("subnetRef", "a VM cannot move to another subnet"),
      setOnlyAtCreation("subnetID", "a VM cannot move to another subnet"),
      setOnlyAtCreation("sshKeyRefs", "SSH keys are installed at first boot only"),
      setOnlyAtCreation("sshKeyIDs", "SSH keys are installed at first boot only"),
      setOnlyAtCreation("userData", "user data is read at first boot only"),
      setOnlyAtCreation("userDataSecretRef", "user data is read at first boot only"),
      atMostOne("userData", "userDataSecretRef"),
      {
        rule: "self.flavor.split('-')[0] == oldSelf.flavor.split('-')[0] || (has(self.allowDisruption) && self.allowDisruption) || (has(self.powerState) && self.powerState == 'Stopped')",
        message:
          "changing flavor across families (e.g. std to mem) stops the VM: set allowDisruption: true (or powerState: Stopped) to allow it",
        fieldPath: ".flavor",
      },
    ],
  },
);

export const vmKind = managedKind({
  kind: "VM",
  shortNames: ["cdvm"],
  description: "A Cloud Digit virtual machine in a subnet, with SSH keys, user data and attached volumes.",
  noun: "VM",
  spec: vmSpec,
  atProvider: observedFields("VM", {
    flavor: doc(z.string().max(32).optional(), "Flavor the cloud reports."),
    image: doc(z.string().max(63).optional(), "Image the cloud reports."),
    zone: doc(z.string().max(64).optional(), "Availability zone the VM runs in."),
    subnetID: doc(z.string().max(64).optional(), "ID of the subnet the VM is in."),
    vpcID: doc(z.string().max(64).optional(), "ID of the VPC the VM is in."),
    bootVolumeSizeGiB: doc(z.int().min(0).optional(), "Size of the boot disk the cloud reports, in GiB."),
    userDataSHA256: doc(
      z.string().max(64).optional(),
      "SHA-256 of the user data the VM was created with (the cloud never returns the data itself).",
    ),
    sshKeyIDs: doc(z.array(z.string().max(64)).max(32).optional(), "IDs of the SSH keys installed."),
    privateIP: doc(z.string().max(64).optional(), "Private IPv4 address in the subnet."),
    publicIP: doc(z.string().max(64).optional(), "Public IPv4 address, when publicIP is true."),
    volumeIDs: doc(
      z.array(z.string().max(64)).max(32).optional(),
      "IDs of the volumes attached to the VM, as the cloud reports.",
    ),
  }),
  columns: [column("Flavor", ".spec.flavor", "Size of the VM.")],
  observedColumns: [
    column("IP", ".status.atProvider.privateIP", "Private IPv4 address."),
    column("Public-IP", ".status.atProvider.publicIP", "Public IPv4 address."),
  ],
});

export type VMSpec = z.infer<typeof vmSpec>;
export type VM = z.infer<typeof vmKind.schema>;
