// The hostile-input corpus: invalid and malicious manifests a tenant might write. Each is
// either refused by the apiserver (schema, CEL, size limits) or accepted and then reported by
// the operator with a clear condition; `mayBeReady` marks the few that are odd but harmless.
import type { KubeObject } from "../../src/runtime/resource.ts";
import { seededRandom } from "./profile.ts";
import { ed25519PublicKey } from "./support.ts";

export interface Victim {
  namespace: string;
  vpcID: string;
  sshKeyID: string;
  volumeID: string;
}

export interface HostileCase {
  id: string;
  category: "wrong type" | "huge" | "unicode" | "cross-namespace" | "other tenant" | "bomb" | "semantic";
  obj: KubeObject;
  /** Only sent as a server-side dry run (a mistake must never make the operator call it). */
  dryRunOnly?: boolean;
  /** Accepting it and reconciling it to Ready is harmless. */
  mayBeReady?: boolean;
}

const API = "clouddigit.ai/v1alpha1";

function nested(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { leaf: "x" };
  for (let i = 0; i < depth; i++) node = { n: node };
  return node;
}

export function hostileCorpus(victim: Victim, seed: number): HostileCase[] {
  const random = seededRandom(seed);
  const cases: HostileCase[] = [];
  const add = (
    id: string,
    category: HostileCase["category"],
    kind: string,
    spec: unknown,
    extra: Partial<HostileCase> = {},
    metadata: Record<string, unknown> = {},
  ): void => {
    cases.push({
      id,
      category,
      obj: { apiVersion: API, kind, metadata: { name: `h-${id}`, ...metadata }, spec },
      ...extra,
    });
  };
  const vpc = (spec: Record<string, unknown>) => ({ cidr: "10.90.0.0/16", ...spec });
  const subnet = (spec: Record<string, unknown>) => ({
    vpcRef: { name: "h-base" },
    cidr: "10.90.1.0/24",
    zone: "bd-dha-1a",
    ...spec,
  });
  const vm = (spec: Record<string, unknown>) => ({
    flavor: "std-2x8",
    image: "ubuntu-24.04",
    subnetRef: { name: "h-base-subnet" },
    ...spec,
  });
  const volume = (spec: Record<string, unknown>) => ({
    sizeGiB: 10,
    type: "nvme",
    zone: "bd-dha-1a",
    ...spec,
  });
  const pc = (credentials: unknown, extra: Record<string, unknown> = {}) => ({
    region: "bd-dha-1",
    project: "reliability",
    endpoints: { api: "http://127.0.0.1:9" },
    credentials,
    ...extra,
  });

  // Wrong types.
  add("vpc-cidr-number", "wrong type", "VPC", { cidr: 123 });
  add("vpc-tags-string", "wrong type", "VPC", vpc({ tags: "team=a" }));
  add("vpc-tag-value-number", "wrong type", "VPC", vpc({ tags: { team: 1 } }));
  add("vpc-spec-array", "wrong type", "VPC", []);
  add("vpc-policy-enum", "wrong type", "VPC", vpc({ managementPolicy: "Yolo" }));
  add("vpc-resync-1ns", "wrong type", "VPC", vpc({ resyncPeriod: "1ns" }));
  add("vol-size-string", "wrong type", "Volume", volume({ sizeGiB: "big" }));
  add("vol-size-negative", "wrong type", "Volume", volume({ sizeGiB: -5 }));
  add("vol-size-huge", "wrong type", "Volume", volume({ sizeGiB: 1e15 }));
  add("vm-publicip-string", "wrong type", "VM", vm({ publicIP: "yes" }));
  add("vm-sshkeyrefs-string", "wrong type", "VM", vm({ sshKeyRefs: "key" }));
  add("vm-powerstate-enum", "wrong type", "VM", vm({ powerState: "Sideways" }));
  add("vm-volumerefs-empty", "wrong type", "VM", vm({ volumeRefs: [{}] }));
  add("subnet-vpcref-string", "wrong type", "Subnet", subnet({ vpcRef: "h-base" }));
  add("subnet-two-refs", "wrong type", "Subnet", subnet({ vpcID: victim.vpcID }));
  add("pc-source-magic", "wrong type", "ProviderConfig", pc({ source: "Magic" }));

  // Huge strings.
  add("vpc-description-100k", "huge", "VPC", vpc({ description: "x".repeat(100_000) }));
  add("vpc-tag-value-10k", "huge", "VPC", vpc({ tags: { team: "y".repeat(10_000) } }));
  add("vm-userdata-2m", "huge", "VM", vm({ userData: "z".repeat(2 * 1024 * 1024) }));
  add("sshkey-200k", "huge", "SSHKey", { publicKey: `ssh-ed25519 ${"A".repeat(200_000)}` });
  add(
    "vpc-5k-tags",
    "huge",
    "VPC",
    vpc({ tags: Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`k${i}`, "v"])) }),
  );
  cases.push({
    id: "name-300-chars",
    category: "huge",
    obj: { apiVersion: API, kind: "VPC", metadata: { name: "n".repeat(300) }, spec: vpc({}) },
  });

  // Unicode tricks.
  for (const [id, name] of [
    ["name-cyrillic", "h-vрc"],
    ["name-zero-width", "h-vpc\u200b"],
    ["name-rtl-override", "h-\u202evpc"],
    ["name-fullwidth", "h-ｖｐｃ"],
  ] as const) {
    cases.push({
      id,
      category: "unicode",
      obj: { apiVersion: API, kind: "VPC", metadata: { name }, spec: vpc({}) },
    });
  }
  add("ref-homoglyph", "unicode", "Subnet", subnet({ vpcRef: { name: "h-bаse" } }));
  add("tag-key-zero-width", "unicode", "VPC", vpc({ tags: { "team\u200b": "a" } }), { mayBeReady: true });
  add("tag-value-rtl-nul", "unicode", "VPC", vpc({ tags: { team: "a\u202e\u0000b" } }), { mayBeReady: true });
  add("description-nul", "unicode", "VPC", vpc({ description: "evil\u0000desc" }), { mayBeReady: true });
  add("tag-owner-spoof", "unicode", "VPC", vpc({ tags: { "clouddigit.ai/owner": "someone-else" } }));
  add("tag-owner-spoof-case", "unicode", "VPC", vpc({ tags: { "CloudDigit.ai/owner": "someone-else" } }), {
    mayBeReady: true,
  });

  // Cross-namespace references (the schemas have no namespace fields for tenants).
  const other = victim.namespace;
  add(
    "subnet-vpcref-ns",
    "cross-namespace",
    "Subnet",
    subnet({ vpcRef: { name: "victim-vpc", namespace: other } }),
  );
  add(
    "vm-subnetref-ns",
    "cross-namespace",
    "VM",
    vm({ subnetRef: { name: "victim-subnet", namespace: other } }),
  );
  add(
    "vm-sshkeyrefs-ns",
    "cross-namespace",
    "VM",
    vm({ sshKeyRefs: [{ name: "victim-key", namespace: other }] }),
  );
  add(
    "vm-userdata-secret-ns",
    "cross-namespace",
    "VM",
    vm({ userDataSecretRef: { name: "victim-userdata", namespace: other } }),
  );
  add(
    "vpc-pcref-ns",
    "cross-namespace",
    "VPC",
    vpc({ providerConfigRef: { name: "victim-config", namespace: other } }),
  );
  add(
    "pc-secret-ns",
    "cross-namespace",
    "ProviderConfig",
    pc({
      source: "APIToken",
      apiToken: { secretRef: { name: "victim-credentials", namespace: other, key: "token" } },
    }),
  );
  add(
    "pc-oidc-sa-ns",
    "cross-namespace",
    "ProviderConfig",
    pc({
      source: "OIDC",
      oidc: { clientID: "c", serviceAccountName: "victim-sa", serviceAccountNamespace: other },
    }),
  );
  add(
    "pc-oidc-own-token",
    "cross-namespace",
    "ProviderConfig",
    pc({
      source: "OIDC",
      oidc: { clientID: "c", tokenPath: "/var/run/secrets/kubernetes.io/serviceaccount/token" },
    }),
  );
  add(
    "vpc-pcref-cluster-kind-ns",
    "cross-namespace",
    "VPC",
    vpc({ providerConfigRef: { name: "victim-config", kind: "ProviderConfig", namespace: other } }),
  );

  // References to another tenant's objects, by name (they exist only in the victim namespace)
  // or by cloud ID (they exist only in the victim's project).
  add("subnet-victim-vpc-name", "other tenant", "Subnet", subnet({ vpcRef: { name: "victim-vpc" } }));
  add(
    "vm-victim-userdata-name",
    "other tenant",
    "VM",
    vm({ userDataSecretRef: { name: "victim-userdata" } }),
  );
  add("vpc-victim-pc-name", "other tenant", "VPC", vpc({ providerConfigRef: { name: "victim-config" } }));
  // A tenant's own ProviderConfigs naming the victim's Secret and ServiceAccount: looked up in
  // the tenant's namespace only, so they are simply missing.
  cases.push({
    id: "pc-borrowed-secret",
    category: "other tenant",
    obj: {
      apiVersion: API,
      kind: "ProviderConfig",
      metadata: { name: "h-borrowed-secret" },
      spec: pc({ source: "APIToken", apiToken: { secretRef: { name: "victim-credentials", key: "token" } } }),
    },
  });
  cases.push({
    id: "pc-borrowed-sa",
    category: "other tenant",
    obj: {
      apiVersion: API,
      kind: "ProviderConfig",
      metadata: { name: "h-borrowed-sa" },
      spec: pc(
        { source: "OIDC", oidc: { clientID: "tenant", serviceAccountName: "victim-sa" } },
        { endpoints: { api: "http://127.0.0.1:9", identity: "http://127.0.0.1:9/realms/x" } },
      ),
    },
  });
  add(
    "vpc-borrowed-secret",
    "other tenant",
    "VPC",
    vpc({ providerConfigRef: { name: "h-borrowed-secret" } }),
  );
  add("vpc-borrowed-sa", "other tenant", "VPC", vpc({ providerConfigRef: { name: "h-borrowed-sa" } }));
  add("vpc-import-victim", "other tenant", "VPC", vpc({ importID: victim.vpcID }));
  add("subnet-victim-vpcid", "other tenant", "Subnet", {
    vpcID: victim.vpcID,
    cidr: "10.91.1.0/24",
    zone: "bd-dha-1a",
  });
  add("vm-victim-sshkeyid", "other tenant", "VM", vm({ sshKeyIDs: [victim.sshKeyID] }));
  add("vol-import-victim", "other tenant", "Volume", volume({ importID: victim.volumeID }));
  add(
    "vol-observe-victim",
    "other tenant",
    "Volume",
    volume({ importID: victim.volumeID, managementPolicy: "ObserveOnly" }),
  );

  // Bombs and deep nesting.
  const statement = {
    Effect: "Allow",
    Principal: "*",
    Action: ["s3:GetObject"],
    Resource: ["arn:aws:s3:::b/*"],
  };
  add("bucket-policy-10k-statements", "bomb", "Bucket", {
    policy: { Version: "2012-10-17", Statement: Array.from({ length: 10_000 }, () => statement) },
  });
  add("bucket-policy-deep-condition", "bomb", "Bucket", {
    policy: { Version: "2012-10-17", Statement: [{ ...statement, Condition: nested(200) }] },
  });
  add("bucket-lifecycle-5k-rules", "bomb", "Bucket", {
    lifecycle: { rules: Array.from({ length: 5_000 }, (_, i) => ({ id: `r${i}`, expirationDays: 1 })) },
  });
  // Free-form fields no schema can bound: the operator must stall naming the field, not overflow.
  add("bucket-policy-action-3k-deep", "bomb", "Bucket", {
    policy: { Version: "2012-10-17", Statement: [{ ...statement, Action: nested(3_000) }] },
  });
  add("bucket-policy-principal-3k-deep", "bomb", "Bucket", {
    policy: { Version: "2012-10-17", Statement: [{ ...statement, Principal: { AWS: nested(3_000) } }] },
  });
  add("vpc-deep-tags", "bomb", "VPC", vpc({ tags: nested(100) }));
  add("vpc-deep-spec", "bomb", "VPC", vpc({ extra: nested(1_000) }));
  add(
    "vpc-10k-unknown-fields",
    "bomb",
    "VPC",
    vpc(Object.fromEntries(Array.from({ length: 10_000 }, (_, i) => [`f${i}`, i]))),
  );

  // Well-formed but wrong for the cloud: must end in a condition, not in a rejected cloud call.
  add("subnet-cidr-outside-vpc", "semantic", "Subnet", subnet({ cidr: "10.99.1.0/24" }));
  // A 409 that cannot heal by retrying: must stall (Collision), not retry forever.
  add("subnet-overlaps-sibling", "semantic", "Subnet", subnet({ cidr: "10.90.1.0/25" }));
  // Names and tag keys S3 reserves: refused at admission, as real S3 refuses them.
  add("bucket-name-punycode", "semantic", "Bucket", { bucketName: "xn--h-bucket" });
  add("bucket-name-access-point-alias", "semantic", "Bucket", { bucketName: "h-bucket-s3alias" });
  add("bucket-name-object-lambda", "semantic", "Bucket", { bucketName: "h-bucket--ol-s3" });
  add("bucket-tag-aws-prefix", "semantic", "Bucket", {
    bucketName: "h-tags",
    tags: { "aws:createdBy": "me" },
  });
  add("bucket-policy-unknown-statement-key", "semantic", "Bucket", {
    policy: { Statement: [{ ...statement, Actoin: "s3:*" }] },
  });
  add("vm-unknown-flavor", "semantic", "VM", vm({ flavor: "std-999x999" }));
  add("vm-unknown-image", "semantic", "VM", vm({ image: "no-such-image-1" }));
  add("sshkey-blob-type-mismatch", "semantic", "SSHKey", { publicKey: mismatchedKey(random) });
  add("vol-zone-other-region", "semantic", "Volume", volume({ zone: "bd-ctg-1a" }));
  add("vol-piops-no-iops", "semantic", "Volume", volume({ type: "piops", iops: 999_999_999 }));
  add(
    "pc-endpoint-metadata",
    "semantic",
    "ProviderConfig",
    pc(
      { source: "APIToken", apiToken: { secretRef: { name: "s" } } },
      { endpoints: { api: "http://169.254.169.254/latest" } },
    ),
    { dryRunOnly: true },
  );
  add(
    "pc-endpoint-userinfo",
    "semantic",
    "ProviderConfig",
    pc(
      { source: "APIToken", apiToken: { secretRef: { name: "s" } } },
      { endpoints: { api: "http://127.0.0.1@10.0.0.1/" } },
    ),
    { dryRunOnly: true },
  );
  add(
    "pc-ca-not-pem",
    "semantic",
    "ProviderConfig",
    pc({ source: "APIToken", apiToken: { secretRef: { name: "s" } } }, { caBundle: "not a certificate" }),
  );
  // A paused value that is neither true nor false pauses (the safe reading) with a Warning naming it.
  add(
    "vpc-paused-garbage",
    "semantic",
    "VPC",
    vpc({}),
    { mayBeReady: true },
    { annotations: { "clouddigit.ai/paused": "maybe\u0000" } },
  );
  return cases;
}

/** An ssh-ed25519 line whose blob says ssh-rsa: the right shape, refused by any real parser. */
function mismatchedKey(random: () => number): string {
  const good = ed25519PublicKey(random).split(" ")[1] ?? "";
  const blob = Buffer.from(good, "base64");
  blob.write("ssh-rsa\0\0\0\0", 4, "latin1");
  return `ssh-ed25519 ${blob.toString("base64")} mismatch@example.com`;
}
