// immutableMismatches of every kind: what an existing cloud resource must match before the
// reconciler imports or adopts it, field by field.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  serverSchema,
  sshKeySchema,
  subnetSchema,
  volumeSchema,
  vpcSchema,
} from "../../client/api/schemas.ts";
import { bucketSpec } from "../../crds/bucket.ts";
import { sshKeySpec } from "../../crds/ssh-key.ts";
import { subnetSpec } from "../../crds/subnet.ts";
import { vmSpec } from "../../crds/vm.ts";
import { volumeSpec } from "../../crds/volume.ts";
import { vpcSpec } from "../../crds/vpc.ts";
import { refKey, Resolved, type Ref } from "../generic/actuator.ts";
import { bucketActuator, type BucketResource } from "./bucket/actuator.ts";
import { sshFingerprint, sshKeyActuator } from "./ssh-key.ts";
import { subnetActuator } from "./subnet.ts";
import { vmActuator } from "./vm.ts";
import { volumeActuator } from "./volume.ts";
import { vpcActuator } from "./vpc.ts";

const id = (prefix: string, n: number) => `${prefix}_01J${String(n).padStart(23, "0")}`;
const VPC_A = id("vpc", 1);
const VPC_B = id("vpc", 2);
const SUBNET_A = id("subnet", 1);
const SUBNET_B = id("subnet", 2);
const KEY_A = id("sshkey", 1);
const KEY_B = id("sshkey", 2);
const KEY_C = id("sshkey", 3);

// Two ed25519 public keys; the fingerprints are what `ssh-keygen -lf` printed for them.
const ALICE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIGBfxmweVhrLGHQ+kWW5XvUobWGu7cWlax2L/mK02a1 alice@laptop";
const ALICE_FP = "SHA256:3To8wwCNKxjBJfjwhjfEiSUb9Ooztypa0NoIiEyLah0";
const BOB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAm98OzmzDLhyQ9mUFkmmCmqkwTxPYjVlHvx3qRBgtrP bob";
const BOB_FP = "SHA256:2ukD44co8ny3bni3bVaJ7UVjIVErlvxfLG9MZIDhQY8";

function object<K extends string, S>(kind: K, spec: S) {
  return {
    apiVersion: "clouddigit.ai/v1alpha1" as const,
    kind,
    metadata: { name: "x", namespace: "team", uid: "uid-1" },
    spec,
  };
}

const common = { name: "team-x", state: "active", created_at: "2026-12-01T00:00:00Z", tags: {} };

function deps(...known: Array<{ ref: Ref; id: string | undefined }>): Resolved {
  return new Resolved(
    new Map(
      known.map(({ ref, id }) => [
        refKey(ref),
        { ref, ready: id !== undefined, id, state: id ? "active" : undefined, atProvider: {} },
      ]),
    ),
  );
}
const none = new Resolved();

describe("VPC", () => {
  const vpc = object("VPC", vpcSpec.parse({ cidr: "10.0.0.0/16", description: "d" }));
  const cloud = (cidr: string) => vpcSchema.parse({ ...common, id: VPC_A, cidr, description: "other" });

  it("matches a VPC with the same cidr (description is mutable)", () => {
    expect(vpcActuator.immutableMismatches?.(vpc, cloud("10.0.0.0/16"), none)).toEqual([]);
  });

  it("reports another cidr", () => {
    expect(vpcActuator.immutableMismatches?.(vpc, cloud("10.1.0.0/16"), none)).toEqual([
      { field: "cidr", spec: "10.0.0.0/16", cloud: "10.1.0.0/16" },
    ]);
  });
});

describe("Subnet", () => {
  const cloud = (over: Record<string, unknown> = {}) =>
    subnetSchema.parse({
      ...common,
      id: SUBNET_A,
      vpc_id: VPC_A,
      cidr: "10.0.1.0/24",
      zone: "bd-dha-1a",
      ...over,
    });
  const byId = object("Subnet", subnetSpec.parse({ vpcID: VPC_A, cidr: "10.0.1.0/24", zone: "bd-dha-1a" }));
  const byRef = object(
    "Subnet",
    subnetSpec.parse({ vpcRef: { name: "net" }, cidr: "10.0.1.0/24", zone: "bd-dha-1a" }),
  );
  const net = { kind: "VPC", name: "net" } as const;

  it("matches the same cidr, zone and VPC", () => {
    expect(subnetActuator.immutableMismatches?.(byId, cloud(), none)).toEqual([]);
    expect(subnetActuator.immutableMismatches?.(byRef, cloud(), deps({ ref: net, id: VPC_A }))).toEqual([]);
  });

  it("reports each differing field", () => {
    expect(
      subnetActuator.immutableMismatches?.(
        byId,
        cloud({ cidr: "10.0.2.0/24", zone: "bd-dha-1b", vpc_id: VPC_B }),
        none,
      ),
    ).toEqual([
      { field: "cidr", spec: "10.0.1.0/24", cloud: "10.0.2.0/24" },
      { field: "zone", spec: "bd-dha-1a", cloud: "bd-dha-1b" },
      { field: "vpcID", spec: VPC_A, cloud: VPC_B },
    ]);
  });

  it("compares a referenced VPC once its ID is known", () => {
    expect(
      subnetActuator.immutableMismatches?.(byRef, cloud({ vpc_id: VPC_B }), deps({ ref: net, id: VPC_A })),
    ).toEqual([{ field: "vpcRef", spec: `${VPC_A} (VPC net)`, cloud: VPC_B }]);
    expect(subnetActuator.immutableMismatches?.(byRef, cloud({ vpc_id: VPC_B }), none)).toEqual([]);
    expect(
      subnetActuator.immutableMismatches?.(
        byRef,
        cloud({ vpc_id: VPC_B }),
        deps({ ref: net, id: undefined }),
      ),
    ).toEqual([]);
  });
});

describe("SSHKey", () => {
  const key = object("SSHKey", sshKeySpec.parse({ publicKey: ALICE }));
  const cloud = (publicKey: string, fingerprint: string) =>
    sshKeySchema.parse({ ...common, id: KEY_A, public_key: publicKey, fingerprint, key_type: "ssh-ed25519" });

  it("computes the OpenSSH fingerprint", () => {
    expect(sshFingerprint(ALICE)).toBe(ALICE_FP);
    expect(sshFingerprint(`  ${BOB}\n`)).toBe(BOB_FP);
    expect(sshFingerprint("ssh-ed25519")).toBeUndefined();
  });

  it("matches the same key whatever its comment", () => {
    const sameKeyOtherComment = ALICE.replace("alice@laptop", "imported");
    expect(sshKeyActuator.immutableMismatches?.(key, cloud(sameKeyOtherComment, ALICE_FP), none)).toEqual([]);
  });

  it("reports another key by fingerprint, never the key itself", () => {
    const found = sshKeyActuator.immutableMismatches?.(key, cloud(BOB, BOB_FP), none);
    expect(found).toEqual([{ field: "publicKey", spec: ALICE_FP, cloud: BOB_FP }]);
  });

  it("falls back to the cloud's fingerprint when its public key cannot be read", () => {
    expect(sshKeyActuator.immutableMismatches?.(key, cloud("?", BOB_FP), none)).toEqual([
      { field: "publicKey", spec: ALICE_FP, cloud: BOB_FP },
    ]);
    expect(sshKeyActuator.immutableMismatches?.(key, cloud("?", ALICE_FP), none)).toEqual([]);
  });
});

describe("Volume", () => {
  const volume = object(
    "Volume",
    volumeSpec.parse({ sizeGiB: 50, type: "piops", iops: 3000, zone: "bd-dha-1a" }),
  );
  const cloud = (over: Record<string, unknown> = {}) =>
    volumeSchema.parse({
      ...common,
      state: "available",
      id: id("vol", 1),
      size_gib: 50,
      type: "piops",
      iops: 3000,
      zone: "bd-dha-1a",
      ...over,
    });

  it("matches the same zone and type; size and iops are mutable", () => {
    expect(volumeActuator.immutableMismatches?.(volume, cloud({ size_gib: 80, iops: 100 }), none)).toEqual(
      [],
    );
    expect(volumeActuator.immutableMismatches?.(volume, cloud({ size_gib: 10 }), none)).toEqual([]);
  });

  it("reports another zone and type", () => {
    expect(
      volumeActuator.immutableMismatches?.(volume, cloud({ zone: "bd-ctg-1a", type: "nvme" }), none),
    ).toEqual([
      { field: "zone", spec: "bd-dha-1a", cloud: "bd-ctg-1a" },
      { field: "type", spec: "piops", cloud: "nvme" },
    ]);
  });
});

describe("VM", () => {
  const sha = (text: string) => createHash("sha256").update(text).digest("hex");
  const vm = (spec: Record<string, unknown>) =>
    object("VM", vmSpec.parse({ flavor: "std-2x8", image: "ubuntu-24.04", subnetID: SUBNET_A, ...spec }));
  const cloud = (over: Record<string, unknown> = {}) =>
    serverSchema.parse({
      ...common,
      id: id("vm", 1),
      flavor: "mem-4x32",
      image: "ubuntu-24.04",
      subnet_id: SUBNET_A,
      zone: "bd-dha-1a",
      ssh_key_ids: [],
      boot_volume_size_gib: 20,
      user_data_sha256: null,
      addresses: { private_ip: "10.0.1.5", public_ip: null },
      volume_ids: [id("vol", 9)],
      ...over,
    });
  const keyRef = (name: string) => ({ kind: "SSHKey", name }) as const;

  it("matches a VM created from the same spec (flavor, power state and volumes are mutable)", () => {
    const spec = { userData: "#cloud-config\n", sshKeyIDs: [KEY_A], publicIP: true, powerState: "Stopped" };
    const server = cloud({
      state: "active",
      user_data_sha256: sha("#cloud-config\n"),
      ssh_key_ids: [KEY_A],
      addresses: { private_ip: "10.0.1.5", public_ip: "198.18.0.7" },
    });
    expect(vmActuator.immutableMismatches?.(vm(spec), server, none)).toEqual([]);
  });

  it("reports each differing field", () => {
    const server = cloud({
      image: "debian-12",
      subnet_id: SUBNET_B,
      boot_volume_size_gib: 40,
      addresses: { private_ip: "10.0.1.5", public_ip: "198.18.0.7" },
      user_data_sha256: sha("other"),
    });
    expect(vmActuator.immutableMismatches?.(vm({ userData: "mine" }), server, none)).toEqual([
      { field: "image", spec: "ubuntu-24.04", cloud: "debian-12" },
      { field: "subnetID", spec: SUBNET_A, cloud: SUBNET_B },
      { field: "bootVolumeSizeGiB", spec: 20, cloud: 40 },
      { field: "publicIP", spec: false, cloud: true },
      { field: "userData", spec: `sha256 ${sha("mine")}`, cloud: `sha256 ${sha("other")}` },
    ]);
  });

  it("reports user data the VM was created without, and leaves userDataSecretRef alone", () => {
    expect(vmActuator.immutableMismatches?.(vm({ userData: "mine" }), cloud(), none)).toEqual([
      { field: "userData", spec: `sha256 ${sha("mine")}`, cloud: "none" },
    ]);
    const fromSecret = vm({ userDataSecretRef: { name: "init" } });
    expect(vmActuator.immutableMismatches?.(fromSecret, cloud({ user_data_sha256: sha("x") }), none)).toEqual(
      [],
    );
  });

  it("compares a referenced subnet once its ID is known", () => {
    const byRef = object(
      "VM",
      vmSpec.parse({ flavor: "std-2x8", image: "ubuntu-24.04", subnetRef: { name: "front" } }),
    );
    const front = { kind: "Subnet", name: "front" } as const;
    const server = cloud({ subnet_id: SUBNET_B });
    expect(vmActuator.immutableMismatches?.(byRef, server, deps({ ref: front, id: SUBNET_A }))).toEqual([
      { field: "subnetRef", spec: `${SUBNET_A} (Subnet front)`, cloud: SUBNET_B },
    ]);
    expect(
      vmActuator.immutableMismatches?.(
        byRef,
        cloud({ subnet_id: SUBNET_A }),
        deps({ ref: front, id: SUBNET_A }),
      ),
    ).toEqual([]);
    expect(vmActuator.immutableMismatches?.(byRef, server, none)).toEqual([]);
  });

  it("compares SSH keys as a set: missing keys always, extra ones once every reference is known", () => {
    const spec = vm({ sshKeyRefs: [{ name: "a" }, { name: "b" }], sshKeyIDs: [KEY_C] });
    const all = deps({ ref: keyRef("a"), id: KEY_A }, { ref: keyRef("b"), id: KEY_B });
    expect(
      vmActuator.immutableMismatches?.(spec, cloud({ ssh_key_ids: [KEY_C, KEY_B, KEY_A] }), all),
    ).toEqual([]);
    expect(vmActuator.immutableMismatches?.(spec, cloud({ ssh_key_ids: [KEY_A, KEY_C] }), all)).toEqual([
      { field: "sshKeyRefs and sshKeyIDs", spec: [KEY_A, KEY_B, KEY_C], cloud: [KEY_A, KEY_C] },
    ]);
    // b's ID is not known: KEY_B on the VM may be it, so only the missing KEY_C is a mismatch.
    const partial = deps({ ref: keyRef("a"), id: KEY_A }, { ref: keyRef("b"), id: undefined });
    expect(
      vmActuator.immutableMismatches?.(spec, cloud({ ssh_key_ids: [KEY_A, KEY_B, KEY_C] }), partial),
    ).toEqual([]);
    expect(vmActuator.immutableMismatches?.(spec, cloud({ ssh_key_ids: [KEY_A, KEY_B] }), partial)).toEqual([
      { field: "sshKeyRefs and sshKeyIDs", spec: [KEY_A, KEY_C], cloud: [KEY_A, KEY_B] },
    ]);
    // A key on the VM the spec does not list.
    const byIds = vm({ sshKeyIDs: [KEY_A] });
    expect(vmActuator.immutableMismatches?.(byIds, cloud({ ssh_key_ids: [KEY_A, KEY_B] }), none)).toEqual([
      { field: "sshKeyIDs", spec: [KEY_A], cloud: [KEY_A, KEY_B] },
    ]);
    // A spec without keys does not compare them.
    expect(vmActuator.immutableMismatches?.(vm({}), cloud({ ssh_key_ids: [KEY_A] }), none)).toEqual([]);
  });
});

describe("Bucket", () => {
  const lock = { mode: "GOVERNANCE", days: 7 };
  const bucket = (spec: Record<string, unknown>) => object("Bucket", bucketSpec.parse(spec));
  const cloud = (objectLock: BucketResource["objectLock"]): BucketResource => ({
    id: "logs",
    name: "logs",
    endpoint: "https://s3.example.test",
    region: "bd-dha-1",
    tags: {},
    versioning: { supported: true, value: "Enabled" },
    objectLock,
  });
  const locked = cloud({
    supported: true,
    value: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 30 } } },
  });
  const unlocked = cloud({ supported: true, value: undefined });

  it("matches a bucket with Object Lock when the spec asks for it (retention is mutable)", () => {
    expect(
      bucketActuator.immutableMismatches?.(bucket({ versioning: "Enabled", objectLock: lock }), locked, none),
    ).toEqual([]);
  });

  it("reports a bucket created without Object Lock", () => {
    expect(
      bucketActuator.immutableMismatches?.(
        bucket({ versioning: "Enabled", objectLock: lock }),
        unlocked,
        none,
      ),
    ).toEqual([{ field: "objectLock", spec: "enabled", cloud: "not enabled" }]);
  });

  it("compares nothing the spec leaves empty or the server cannot tell", () => {
    expect(bucketActuator.immutableMismatches?.(bucket({}), locked, none)).toEqual([]);
    expect(bucketActuator.immutableMismatches?.(bucket({ versioning: "Enabled" }), unlocked, none)).toEqual(
      [],
    );
    const unknown = cloud({ supported: false, message: "not implemented" });
    expect(
      bucketActuator.immutableMismatches?.(
        bucket({ versioning: "Enabled", objectLock: lock }),
        unknown,
        none,
      ),
    ).toEqual([]);
  });
});
