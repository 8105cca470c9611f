// The admission table: manifests the apiserver must reject, each with the field it must name
// and part of the message users see from kubectl apply.
import {
  ECDSA_KEY,
  ED25519_KEY,
  ULID,
  bucket,
  clusterProviderConfig,
  fullBucket,
  providerConfig,
  sshKey,
  subnet,
  vm,
  volume,
  vpc,
  type Manifest,
} from "./fixtures.ts";

export interface RejectedCreate {
  name: string;
  manifest: Manifest;
  /** The field path the apiserver must report; undefined when the error is not about one field. */
  field: string | undefined;
  message: string;
}

export interface RejectedUpdate {
  name: string;
  initial: Manifest;
  /** JSON merge patch applied to spec (null removes a field). */
  specPatch: Record<string, unknown>;
  field: string;
  message: string;
}

const without = (spec: Record<string, unknown>, ...keys: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(spec).filter(([k]) => !keys.includes(k)));

function replaceSpec(m: Manifest, spec: Record<string, unknown>): Manifest {
  return { ...m, spec };
}

const apiTokenCreds = { source: "APIToken", apiToken: { secretRef: { name: "cd-token" } } };

export const rejectedCreates: RejectedCreate[] = [
  // VPC and common fields
  {
    name: "VPC with an unparsable CIDR",
    manifest: vpc("v1", { cidr: "10.0.0.300/16" }),
    field: "spec.cidr",
    message: "must be a valid IPv4 CIDR",
  },
  {
    name: "VPC with a /8",
    manifest: vpc("v2", { cidr: "10.0.0.0/8" }),
    field: "spec.cidr",
    message: "prefix must be between /16 and /24",
  },
  {
    name: "VPC with a /28",
    manifest: vpc("v3", { cidr: "10.0.0.0/28" }),
    field: "spec.cidr",
    message: "prefix must be between /16 and /24",
  },
  {
    name: "VPC CIDR with host bits",
    manifest: vpc("v4", { cidr: "10.0.0.1/16" }),
    field: "spec.cidr",
    message: "no host bits set",
  },
  {
    name: "VPC CIDR that is not a CIDR",
    manifest: vpc("v5", { cidr: "banana" }),
    field: "spec.cidr",
    message: "must be a valid IPv4 CIDR",
  },
  {
    name: "VPC tag with the reserved prefix",
    manifest: vpc("v6", { tags: { "clouddigit.ai/owner": "me" } }),
    field: "spec.tags",
    message: "reserved for the operator",
  },
  {
    name: "VPC tag key with a zero-width space (looks like an allowed key)",
    manifest: vpc("v6b", { tags: { "team\u200b": "a" } }),
    field: "spec.tags",
    message: "tag keys may only use letters, digits",
  },
  {
    name: "VM tag key with a colon (the REST API refuses it)",
    manifest: vm("m-tag", { tags: { "team:a": "b" } }),
    field: "spec.tags",
    message: "tag keys may only use letters, digits",
  },
  {
    name: "importID that is not an ID",
    manifest: vpc("v7", { importID: "vpc_123" }),
    field: "spec.importID",
    message: "must be a Cloud Digit ID of the form vpc_",
  },
  {
    name: "importID of another kind",
    manifest: vpc("v8", { importID: `subnet_${ULID}` }),
    field: "spec.importID",
    message: "must be a Cloud Digit ID of the form vpc_",
  },
  {
    name: "ObserveOnly without importID",
    manifest: vpc("v9", { managementPolicy: "ObserveOnly" }),
    field: "spec.importID",
    message: "ObserveOnly needs importID",
  },
  {
    name: "resyncPeriod below 30s",
    manifest: vpc("v10", { resyncPeriod: "5s" }),
    field: "spec.resyncPeriod",
    message: "must be between 30s and 24h",
  },
  {
    name: "resyncPeriod that is not a duration",
    manifest: vpc("v11", { resyncPeriod: "often" }),
    field: "spec.resyncPeriod",
    message: "must be a duration such as 30s",
  },
  {
    name: "unknown managementPolicy",
    manifest: vpc("v12", { managementPolicy: "Sometimes" }),
    field: "spec.managementPolicy",
    message: 'supported values: "Managed", "ObserveOnly"',
  },
  {
    name: "unknown deletionPolicy",
    manifest: vpc("v13", { deletionPolicy: "Keep" }),
    field: "spec.deletionPolicy",
    message: 'supported values: "Delete", "Orphan"',
  },
  {
    name: "providerConfigRef of an unknown kind",
    manifest: vpc("v14", { providerConfigRef: { name: "x", kind: "Secret" } }),
    field: "spec.providerConfigRef.kind",
    message: "Unsupported value",
  },
  // Subnet
  {
    name: "Subnet with vpcRef and vpcID",
    manifest: subnet("s1", { vpcID: `vpc_${ULID}` }),
    field: "spec",
    message: "set exactly one of vpcRef",
  },
  {
    name: "Subnet with neither vpcRef nor vpcID",
    manifest: replaceSpec(subnet("s2"), without(subnet().spec, "vpcRef")),
    field: "spec",
    message: "set exactly one of vpcRef",
  },
  {
    name: "Subnet in an unknown zone",
    manifest: subnet("s3", { zone: "dhaka" }),
    field: "spec.zone",
    message: "zone must be a region followed by a zone letter",
  },
  {
    name: "Subnet with a /30",
    manifest: subnet("s4", { cidr: "10.10.1.0/30" }),
    field: "spec.cidr",
    message: "prefix must be between /16 and /28",
  },
  // SSHKey
  {
    name: "SSH key that is not a key",
    manifest: sshKey("k1", { publicKey: "ssh-ed25519 hello" }),
    field: "spec.publicKey",
    message: "publicKey must be one line of an OpenSSH public key",
  },
  {
    name: "SSH key whose type word lies about its body",
    manifest: sshKey("k2", { publicKey: ED25519_KEY.replace("ssh-ed25519", "ssh-rsa") }),
    field: "spec.publicKey",
    message: "publicKey must be one line of an OpenSSH public key",
  },
  {
    name: "SSH key of an unsupported type",
    manifest: sshKey("k3", { publicKey: ECDSA_KEY.replace(/^ecdsa-sha2-nistp256/, "ssh-dss") }),
    field: "spec.publicKey",
    message: "publicKey must be one line of an OpenSSH public key",
  },
  // VM
  {
    name: "VM flavor without a family",
    manifest: vm("m1", { flavor: "large" }),
    field: "spec.flavor",
    message: "flavor must be <family>-<vcpu>x<ram GiB>",
  },
  {
    name: "VM flavor of an unknown family",
    manifest: vm("m2", { flavor: "gpu-4x16" }),
    field: "spec.flavor",
    message: "flavor must be <family>-<vcpu>x<ram GiB>",
  },
  {
    name: "VM with subnetRef and subnetID",
    manifest: vm("m3", { subnetID: `subnet_${ULID}` }),
    field: "spec",
    message: "set exactly one of subnetRef",
  },
  {
    name: "VM with neither subnetRef nor subnetID",
    manifest: replaceSpec(vm("m4"), without(vm().spec, "subnetRef")),
    field: "spec",
    message: "set exactly one of subnetRef",
  },
  {
    name: "VM with inline and Secret user data",
    manifest: vm("m5", { userData: "#cloud-config\n", userDataSecretRef: { name: "ud" } }),
    field: "spec",
    message: "set at most one of userData or userDataSecretRef",
  },
  {
    name: "VM powerState Paused",
    manifest: vm("m6", { powerState: "Paused" }),
    field: "spec.powerState",
    message: 'supported values: "Running", "Stopped"',
  },
  {
    name: "VM boot disk below 20 GiB",
    manifest: vm("m7", { bootVolumeSizeGiB: 10 }),
    field: "spec.bootVolumeSizeGiB",
    message: "greater than or equal to 20",
  },
  {
    name: "VM with 17 volumes",
    manifest: vm("m8", { volumeRefs: Array.from({ length: 17 }, (_, i) => ({ name: `v${i}` })) }),
    field: "spec.volumeRefs",
    message: "must have at most 16 items",
  },
  {
    name: "VM listing a volume twice",
    manifest: vm("m9", { volumeRefs: [{ name: "data" }, { name: "data" }] }),
    field: "spec.volumeRefs[1]",
    message: "Duplicate value",
  },
  {
    name: "VM sshKeyIDs with a bad ID",
    manifest: vm("m10", { sshKeyIDs: ["key-1"] }),
    field: "spec.sshKeyIDs[0]",
    message: "must be a Cloud Digit ID of the form sshkey_",
  },
  // Volume
  {
    name: "Volume of 0 GiB",
    manifest: volume("d1", { sizeGiB: 0 }),
    field: "spec.sizeGiB",
    message: "greater than or equal to 1",
  },
  {
    name: "Volume above 16 TiB",
    manifest: volume("d2", { sizeGiB: 20000 }),
    field: "spec.sizeGiB",
    message: "less than or equal to 16384",
  },
  {
    name: "piops Volume without iops",
    manifest: volume("d3", { type: "piops" }),
    field: "spec.iops",
    message: "iops is required when type is piops",
  },
  {
    name: "nvme Volume with iops",
    manifest: volume("d4", { iops: 3000 }),
    field: "spec.iops",
    message: "iops can only be set when type is piops",
  },
  {
    name: "Volume of an unknown type",
    manifest: volume("d5", { type: "ssd" }),
    field: "spec.type",
    message: 'supported values: "nvme", "piops"',
  },
  // Bucket
  {
    name: "bucket name with capitals and underscores",
    manifest: bucket("b1", { bucketName: "My_Bucket" }),
    field: "spec.bucketName",
    message: "must be a valid bucket name",
  },
  {
    name: "bucket name of two characters",
    manifest: bucket("b2", { bucketName: "ab" }),
    field: "spec.bucketName",
    message: "must be a valid bucket name",
  },
  {
    name: "bucket name of 64 characters",
    manifest: bucket("b3", { bucketName: "a".repeat(64) }),
    field: "spec.bucketName",
    message: "may not be more than 63",
  },
  {
    name: "bucket name ending with a dash",
    manifest: bucket("b4", { bucketName: "logs-" }),
    field: "spec.bucketName",
    message: "must be a valid bucket name",
  },
  {
    name: "object name that is no bucket name, without bucketName",
    manifest: bucket("logs.example"),
    field: "spec.bucketName",
    message: "metadata.name is not a valid bucket name",
  },
  {
    name: "reserved bucket name: punycode prefix",
    manifest: bucket("r0", { bucketName: "xn--logs" }),
    field: "spec.bucketName",
    message: "S3 reserves them",
  },
  {
    name: "reserved bucket name: access point alias suffix",
    manifest: bucket("r1", { bucketName: "logs-s3alias" }),
    field: "spec.bucketName",
    message: "S3 reserves them",
  },
  {
    name: "reserved bucket name: Object Lambda suffix",
    manifest: bucket("r2", { bucketName: "logs--ol-s3" }),
    field: "spec.bucketName",
    message: "S3 reserves them",
  },
  {
    name: "reserved bucket name: directory bucket suffix",
    manifest: bucket("r3", { bucketName: "logs--x-s3" }),
    field: "spec.bucketName",
    message: "S3 reserves them",
  },
  {
    name: "reserved bucket name: sthree- prefix",
    manifest: bucket("r4", { bucketName: "sthree-logs" }),
    field: "spec.bucketName",
    message: "S3 reserves them",
  },
  {
    name: "reserved bucket name from metadata.name",
    manifest: bucket("xn--assets"),
    field: "spec.bucketName",
    message: "metadata.name is the bucket name",
  },
  {
    name: "bucket tag key with the aws: prefix S3 reserves",
    manifest: bucket("rt", { tags: { "AWS:cloudformation": "x" } }),
    field: "spec.tags",
    message: 'tag keys starting with "aws:" are reserved by the cloud',
  },
  {
    name: "Object Lock without versioning",
    manifest: bucket("b6", { objectLock: { mode: "GOVERNANCE", days: 7 } }),
    field: "spec.objectLock",
    message: "objectLock requires versioning: Enabled",
  },
  {
    name: "Object Lock with versioning Suspended",
    manifest: bucket("b7", { versioning: "Suspended", objectLock: { mode: "COMPLIANCE", years: 1 } }),
    field: "spec.objectLock",
    message: "objectLock requires versioning: Enabled",
  },
  {
    name: "Object Lock with days and years",
    manifest: bucket("b8", { versioning: "Enabled", objectLock: { mode: "GOVERNANCE", days: 7, years: 1 } }),
    field: "spec.objectLock",
    message: "exactly one of days or years",
  },
  {
    name: "Object Lock with an unknown mode",
    manifest: bucket("b9", { versioning: "Enabled", objectLock: { mode: "STRICT", days: 7 } }),
    field: "spec.objectLock.mode",
    message: "Unsupported value",
  },
  {
    name: "policy written as a malformed JSON string",
    manifest: bucket("b10", { policy: '{"Version": "2012-10-17", "Statement": [' }),
    field: "spec.policy",
    message: "must be of type object",
  },
  {
    name: "policy without statements",
    manifest: bucket("b11", { policy: { Version: "2012-10-17" } }),
    field: "spec.policy.Statement",
    message: "Required value",
  },
  {
    name: "policy statement with Effect Maybe",
    manifest: bucket("b12", { policy: { Statement: [{ Effect: "Maybe", Action: "s3:*" }] } }),
    field: "spec.policy.Statement[0].Effect",
    message: 'supported values: "Allow", "Deny"',
  },
  {
    name: "policy statement with a key the policy language lacks",
    manifest: bucket("pk", {
      policy: { Statement: [{ Effect: "Allow", Action: "s3:*", Actoin: "s3:Get*" }] },
    }),
    // Strict field validation names the field in the message, not in a cause.
    field: undefined,
    message: 'unknown field "spec.policy.Statement[0].Actoin"',
  },
  {
    name: "lifecycle rule without an action",
    manifest: bucket("b13", { lifecycle: { rules: [{ id: "noop", prefix: "tmp/" }] } }),
    field: "spec.lifecycle.rules[0]",
    message: "needs at least one action",
  },
  {
    name: "unknown storage class",
    manifest: bucket("b14", { storageClass: "GLACIER" }),
    field: "spec.storageClass",
    message: 'supported values: "STANDARD", "ARCHIVE"',
  },
  {
    name: "importID differing from bucketName",
    manifest: bucket("b15", { bucketName: "one-name", importID: "other-name" }),
    field: "spec.bucketName",
    message: "must be equal",
  },
  // ProviderConfig and ClusterProviderConfig
  {
    name: "unknown region",
    manifest: providerConfig("p1", { region: "us-east-1" }),
    field: "spec.region",
    message: 'supported values: "bd-dha-1", "bd-ctg-1", "bd-syl-1"',
  },
  {
    name: "ProviderConfig with both kinds of credentials",
    manifest: providerConfig("p2", {
      credentials: { ...apiTokenCreds, oidc: { clientID: "x", serviceAccountName: "tenant" } },
    }),
    field: "spec.credentials.oidc",
    message: "only used with source OIDC",
  },
  {
    name: "source OIDC without oidc settings",
    manifest: providerConfig("p3", { credentials: { source: "OIDC" } }),
    field: "spec.credentials.oidc",
    message: "source OIDC needs credentials.oidc",
  },
  {
    name: "source APIToken without a token",
    manifest: providerConfig("p4", { credentials: { source: "APIToken" } }),
    field: "spec.credentials.apiToken",
    message: "needs credentials.apiToken.secretRef",
  },
  {
    name: "unknown credentials source",
    manifest: providerConfig("p5", { credentials: { source: "Password" } }),
    field: "spec.credentials.source",
    message: 'supported values: "OIDC", "APIToken"',
  },
  {
    name: "plain http endpoint on a public host",
    manifest: providerConfig("p6", { endpoints: { api: "http://api.bd-dha-1.clouddigit.ai" } }),
    field: "spec.endpoints.api",
    message: "must be an https:// URL",
  },
  {
    name: "endpoint that is not a URL",
    manifest: providerConfig("p7", { endpoints: { s3: "s3 please" } }),
    field: "spec.endpoints.s3",
    message: "must be an https:// URL",
  },
  {
    name: "caBundle that is not PEM",
    manifest: providerConfig("p8", { caBundle: "not a certificate" }),
    field: "spec.caBundle",
    message: "must contain PEM certificates",
  },
  {
    name: "S3 with static keys and web identity",
    manifest: providerConfig("p9", {
      credentials: { ...apiTokenCreds, s3: { secretRef: { name: "s3" }, webIdentity: true } },
    }),
    field: "spec.credentials.s3",
    message: "set exactly one of s3.secretRef",
  },
  {
    name: "S3 web identity with an API token",
    manifest: providerConfig("p10", { credentials: { ...apiTokenCreds, s3: { webIdentity: true } } }),
    field: "spec.credentials.s3.webIdentity",
    message: "needs credentials.source OIDC",
  },
  {
    name: "namespaced OIDC without a ServiceAccount",
    manifest: providerConfig("p11", { credentials: { source: "OIDC", oidc: { clientID: "x" } } }),
    field: "spec.credentials.oidc.serviceAccountName",
    message: "Required value",
  },
  {
    name: "namespaced OIDC borrowing the operator's token file",
    manifest: providerConfig("p12", {
      credentials: {
        source: "OIDC",
        oidc: { clientID: "x", serviceAccountName: "t", tokenPath: "/etc/shadow" },
      },
    }),
    field: undefined,
    message: 'unknown field "spec.credentials.oidc.tokenPath"',
  },
  {
    name: "ClusterProviderConfig token Secret without a namespace",
    manifest: clusterProviderConfig("c1", { credentials: apiTokenCreds }),
    field: "spec.credentials.apiToken.secretRef.namespace",
    message: "Required value",
  },
  {
    name: "ClusterProviderConfig OIDC with tokenPath and serviceAccountName",
    manifest: clusterProviderConfig("c2", {
      credentials: {
        source: "OIDC",
        oidc: {
          clientID: "x",
          tokenPath: "/var/run/t",
          serviceAccountName: "sa",
          serviceAccountNamespace: "ns",
        },
      },
    }),
    field: "spec.credentials.oidc",
    message: "set at most one of oidc.tokenPath",
  },
];

export const rejectedUpdates: RejectedUpdate[] = [
  {
    name: "changing a VPC's CIDR",
    initial: vpc("u1"),
    specPatch: { cidr: "10.20.0.0/16" },
    field: "spec.cidr",
    message: "cidr is immutable",
  },
  {
    name: "adding importID after creation",
    initial: vpc("u2"),
    specPatch: { importID: `vpc_${ULID}` },
    field: "spec.importID",
    message: "importID can only be set when the object is created",
  },
  {
    name: "moving a Subnet to another VPC",
    initial: subnet("u3"),
    specPatch: { vpcRef: { name: "other" } },
    field: "spec.vpcRef",
    message: "a subnet cannot move to another VPC",
  },
  {
    name: "changing a Subnet's zone",
    initial: subnet("u4"),
    specPatch: { zone: "bd-dha-1b" },
    field: "spec.zone",
    message: "zone is immutable",
  },
  {
    name: "changing an SSH key",
    initial: sshKey("u5"),
    specPatch: { publicKey: ECDSA_KEY },
    field: "spec.publicKey",
    message: "publicKey is immutable",
  },
  {
    name: "shrinking a Volume",
    initial: volume("u6"),
    specPatch: { sizeGiB: 40 },
    field: "spec.sizeGiB",
    message: "sizeGiB cannot shrink",
  },
  {
    name: "changing a Volume's zone",
    initial: volume("u7"),
    specPatch: { zone: "bd-dha-1c" },
    field: "spec.zone",
    message: "zone is immutable",
  },
  {
    name: "changing a Volume's type",
    initial: volume("u8"),
    specPatch: { type: "piops", iops: 3000 },
    field: "spec.type",
    message: "type is immutable",
  },
  {
    name: "changing a VM's image",
    initial: vm("u9"),
    specPatch: { image: "debian-12" },
    field: "spec.image",
    message: "image is immutable",
  },
  {
    name: "resizing a running VM across families without allowDisruption",
    initial: vm("u10"),
    specPatch: { flavor: "mem-2x16" },
    field: "spec.flavor",
    message: "set allowDisruption: true",
  },
  {
    name: "moving a VM to another subnet",
    initial: vm("u11"),
    specPatch: { subnetRef: { name: "net-b" } },
    field: "spec.subnetRef",
    message: "a VM cannot move to another subnet",
  },
  {
    name: "adding user data after creation",
    initial: vm("u12"),
    specPatch: { userData: "#cloud-config\n" },
    field: "spec.userData",
    message: "user data is read at first boot only",
  },
  {
    name: "changing a VM's SSH keys",
    initial: vm("u13"),
    specPatch: { sshKeyRefs: [{ name: "other" }] },
    field: "spec.sshKeyRefs",
    message: "SSH keys are installed at first boot only",
  },
  {
    name: "giving a VM a public IP later",
    initial: vm("u14"),
    specPatch: { publicIP: true },
    field: "spec.publicIP",
    message: "publicIP is immutable",
  },
  {
    name: "adding Object Lock after creation",
    initial: bucket("u15", { versioning: "Enabled" }),
    specPatch: { objectLock: { mode: "GOVERNANCE", days: 7 } },
    field: "spec.objectLock",
    message: "objectLock can only be set when the bucket is created",
  },
  {
    name: "changing Object Lock retention",
    initial: fullBucket("u16"),
    specPatch: { objectLock: { mode: "GOVERNANCE", days: 31 } },
    field: "spec.objectLock",
    message: "objectLock can only be set when the bucket is created",
  },
  {
    name: "removing Object Lock",
    initial: fullBucket("u17"),
    specPatch: { objectLock: null },
    field: "spec.objectLock",
    message: "objectLock can only be set when the bucket is created",
  },
  {
    name: "suspending versioning on an Object Lock bucket",
    initial: fullBucket("u18"),
    specPatch: { versioning: "Suspended" },
    field: "spec.objectLock",
    message: "objectLock requires versioning: Enabled",
  },
  {
    name: "renaming a bucket",
    initial: fullBucket("u19"),
    specPatch: { bucketName: "acme-records-2027" },
    field: "spec.bucketName",
    message: "a bucket cannot be renamed",
  },
  {
    name: "removing versioning",
    initial: bucket("u20", { versioning: "Enabled" }),
    specPatch: { versioning: null },
    field: "spec.versioning",
    message: "versioning cannot be removed",
  },
  {
    name: "changing a bucket's storage class",
    initial: bucket("u21"),
    specPatch: { storageClass: "ARCHIVE" },
    field: "spec.storageClass",
    message: "storageClass is immutable",
  },
  {
    name: "changing a ProviderConfig's region",
    initial: providerConfig("u22"),
    specPatch: { region: "bd-syl-1" },
    field: "spec.region",
    message: "region is immutable",
  },
];
