// Valid objects of every kind, shared by the unit tests of src/crds and the admission tests.
// Each test copies one and breaks exactly one thing.

export const API_VERSION = "clouddigit.ai/v1alpha1";

// Throwaway public keys made for these tests (public keys are not secrets).
export const ED25519_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMtlqiNCAyz2p9lz1SNZIlpLDfvxH+ObFB/1FmXBIug2 test@ed25519";
export const RSA_KEY =
  "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABgQC5os9Un81a7ivgF0y7siobYghptD487GrKXb4V+xzceeDbA8ebJxE/56FnzLZoH5+a2cJ+V/Nl3M8qPObHXZhHIUDvthxSD8LfSyyuxRxYGXNE8gGh0NyP6QF1g1wlRUI4Y+RJshl2EmijQHDUupk7u696d4BZRjXpZJSEqiRRosLZeev0ELHYiGtKPiSTU8/h/R0g1Pa2zcfVrMH1sXH8rL9UZxucar3tEPP4Tmt+nbDPfMBDzbP+C+8ELf1cXiOybo/A8NF5Zo+WPvl0o3ot0W5fLFA93ytvDUZ+l/3EYdq52Hu+3FWDUYkSvI67iNZ7msYhLl3UWrxukMCA05EUAHnZht3yeqY+171I7ZqEh8T/MOfDKTDa1+OxJg5jTQRl2voO1N6JPnD1OLVLSI54uCRIKnl/8d24HS0LqO7TCAY96CBT6hH1cKP1RmpTHvqLGI8su/3zHZM5GkJXUzKrRVmsBxKjWeUokJntvp7AVgkom/t3LTnhKQ7KQNOZd18= test@rsa";
export const ECDSA_KEY =
  "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTYAAAAIbmlzdHAyNTYAAABBBOLK8+i6l0zjvicnnUhtLfIpSrH5APp+CMuh1r0RDjL4hFDn3RM6OkBvO0q5EYlDaeFJo31QLttfRJyQMW+wKz0= test@ecdsa";

export const ULID = "01J0ABCDEFGHJKMNPQRSTVWXYZ";

export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  spec: Record<string, unknown>;
};

export function vpc(name = "net", spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "VPC",
    metadata: { name },
    spec: { cidr: "10.10.0.0/16", ...spec },
  };
}

export function subnet(name = "net-a", spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "Subnet",
    metadata: { name },
    spec: { vpcRef: { name: "net" }, cidr: "10.10.1.0/24", zone: "bd-dha-1a", ...spec },
  };
}

export function sshKey(name = "admin", spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "SSHKey",
    metadata: { name },
    spec: { publicKey: ED25519_KEY, ...spec },
  };
}

export function vm(name = "web", spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "VM",
    metadata: { name },
    spec: {
      flavor: "std-2x8",
      image: "ubuntu-24.04",
      subnetRef: { name: "net-a" },
      sshKeyRefs: [{ name: "admin" }],
      volumeRefs: [{ name: "data" }],
      ...spec,
    },
  };
}

export function volume(name = "data", spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "Volume",
    metadata: { name },
    spec: { sizeGiB: 50, zone: "bd-dha-1a", ...spec },
  };
}

export function bucket(name = "assets", spec: Record<string, unknown> = {}): Manifest {
  return { apiVersion: API_VERSION, kind: "Bucket", metadata: { name }, spec: { ...spec } };
}

export function fullBucket(name = "records"): Manifest {
  return bucket(name, {
    bucketName: "acme-records-2026",
    versioning: "Enabled",
    objectLock: { mode: "GOVERNANCE", days: 30 },
    storageClass: "STANDARD",
    tags: { team: "finance" },
    policy: {
      Version: "2012-10-17",
      Statement: [
        {
          Sid: "ReadOnly",
          Effect: "Allow",
          Principal: { AWS: ["arn:aws:iam::123456789012:user/reader"] },
          Action: ["s3:GetObject"],
          Resource: ["arn:aws:s3:::acme-records-2026/*"],
          Condition: { Bool: { "aws:SecureTransport": "true" } },
        },
      ],
    },
    lifecycle: { rules: [{ id: "old-versions", noncurrentVersionExpirationDays: 90 }] },
    publicAccessBlock: {},
    outputs: { configMapName: "records-bucket", secretName: "records-s3" },
  });
}

export function providerConfig(name = "default", spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "ProviderConfig",
    metadata: { name },
    spec: {
      region: "bd-dha-1",
      project: "acme-prod",
      credentials: { source: "APIToken", apiToken: { secretRef: { name: "cd-token" } } },
      ...spec,
    },
  };
}

export function clusterProviderConfig(name = "shared", spec: Record<string, unknown> = {}): Manifest {
  return {
    apiVersion: API_VERSION,
    kind: "ClusterProviderConfig",
    metadata: { name },
    spec: {
      region: "bd-ctg-1",
      project: "acme-shared",
      endpoints: { api: "https://api.bd-ctg-1.mymine.space", s3: "http://127.0.0.1:7070" },
      credentials: {
        source: "OIDC",
        oidc: { clientID: "clouddigit-operator" },
        s3: { webIdentity: true },
      },
      ...spec,
    },
  };
}
