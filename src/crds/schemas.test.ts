import { describe, expect, it } from "vitest";
import {
  ECDSA_KEY,
  ED25519_KEY,
  RSA_KEY,
  bucket,
  clusterProviderConfig,
  fullBucket,
  providerConfig,
  sshKey,
  subnet,
  vm,
  volume,
  vpc,
} from "../../test/integration/crds/fixtures.ts";
import { buildCrd } from "./crd.ts";
import {
  BUCKET_NAME_PATTERN,
  FLAVOR_PATTERN,
  ID_PREFIXES,
  SSH_PUBLIC_KEY_PATTERN,
  allKinds,
  bucketSpec,
  cloudBucketName,
  idPattern,
  kindByName,
  kinds,
  vmSpec,
  vpcSpec,
} from "./index.ts";
import type { JSONSchemaProps } from "./structural.ts";

// Short names of built-in kinds (kubectl api-resources) that ours must never shadow.
const BUILTIN_SHORT_NAMES = [
  "cm",
  "cs",
  "csr",
  "ds",
  "deploy",
  "ep",
  "ev",
  "hpa",
  "ing",
  "limits",
  "netpol",
  "no",
  "ns",
].concat([
  "pc",
  "pdb",
  "po",
  "psp",
  "pv",
  "pvc",
  "quota",
  "rc",
  "rs",
  "sa",
  "sc",
  "sts",
  "svc",
  "crd",
  "crds",
]);

function nodes(
  schema: JSONSchemaProps,
  at: string,
  visit: (node: JSONSchemaProps, at: string) => void,
): void {
  visit(schema, at);
  for (const [name, child] of Object.entries((schema.properties ?? {}) as Record<string, JSONSchemaProps>)) {
    nodes(child, `${at}.${name}`, visit);
  }
  if (schema.items) nodes(schema.items as JSONSchemaProps, `${at}[]`, visit);
  if (typeof schema.additionalProperties === "object") {
    nodes(schema.additionalProperties as JSONSchemaProps, `${at}.*`, visit);
  }
}

function crdSchema(kind: string): JSONSchemaProps {
  const def = kindByName(kind);
  if (!def) throw new Error(kind);
  const versions = buildCrd(def).spec.versions as { schema: { openAPIV3Schema: JSONSchemaProps } }[];
  return versions[0]!.schema.openAPIV3Schema;
}

describe("the registry", () => {
  it("lists every kind once, with unique plurals and short names that shadow nothing built in", () => {
    expect(Object.keys(kinds).sort()).toEqual(
      ["Bucket", "ClusterProviderConfig", "ProviderConfig", "SSHKey", "Subnet", "VM", "VPC", "Volume"].sort(),
    );
    const plurals = allKinds.map((k) => k.plural);
    expect(new Set(plurals).size).toBe(plurals.length);
    const shortNames = allKinds.flatMap((k) => k.shortNames);
    expect(new Set(shortNames).size).toBe(shortNames.length);
    for (const s of shortNames) {
      expect(s.startsWith("cd")).toBe(true);
      expect(BUILTIN_SHORT_NAMES).not.toContain(s);
    }
    expect(allKinds.filter((k) => !k.namespaced).map((k) => k.kind)).toEqual(["ClusterProviderConfig"]);
    for (const k of allKinds) {
      expect(k.group).toBe("clouddigit.ai");
      expect(k.version).toBe("v1alpha1");
    }
  });

  it("gives every managed kind Ready, Synced and Age columns, and State and ID where the cloud has them", () => {
    for (const k of allKinds) {
      const names = k.printerColumns.map((c) => c.name);
      expect(names).toContain("Ready");
      expect(names.at(-1)).toBe("Age");
      if (k.kind.endsWith("ProviderConfig")) continue;
      expect(names).toEqual(expect.arrayContaining(["State", "Synced"]));
      if (k.kind !== "Bucket") expect(names).toContain("ID");
    }
    expect(kinds.VM.printerColumns.map((c) => c.name)).toEqual(expect.arrayContaining(["IP", "Public-IP"]));
  });
});

describe("the generated schemas", () => {
  it.each(allKinds.map((k) => [k.kind]))(
    "%s: every field has a description, a type and CEL-safe limits",
    (kind) => {
      const problems: string[] = [];
      const root = crdSchema(kind);
      for (const part of ["spec", "status"]) {
        nodes((root.properties as Record<string, JSONSchemaProps>)[part]!, `${kind}.${part}`, (node, at) => {
          if (
            !at.endsWith("[]") &&
            !at.endsWith(".*") &&
            !(typeof node.description === "string" && node.description.trim())
          ) {
            problems.push(`${at}: no description`);
          }
          // Untyped only where a value may be of more than one type and is kept as written (a
          // bucket policy's string-or-list fields); the operator bounds their depth instead.
          if (
            node.type === undefined &&
            !(node as Record<string, unknown>)["x-kubernetes-preserve-unknown-fields"]
          )
            problems.push(`${at}: no type`);
          // CEL cost estimates need bounded strings and lists.
          if (
            node.type === "string" &&
            node.maxLength === undefined &&
            node.enum === undefined &&
            node.format === undefined
          ) {
            problems.push(`${at}: string without maxLength`);
          }
          if (node.type === "array" && node.maxItems === undefined)
            problems.push(`${at}: array without maxItems`);
        });
      }
      expect(problems).toEqual([]);
    },
  );

  it("guards the immutable fields with CEL", () => {
    const rulesAt = (kind: string, ...path: string[]): string[] => {
      let node = crdSchema(kind);
      for (const p of ["spec", ...path]) node = (node.properties as Record<string, JSONSchemaProps>)[p]!;
      return ((node["x-kubernetes-validations"] ?? []) as { rule: string }[]).map((r) => r.rule);
    };
    expect(rulesAt("VPC", "cidr")).toContain("self == oldSelf");
    expect(rulesAt("Subnet", "zone")).toContain("self == oldSelf");
    expect(rulesAt("VM", "image")).toContain("self == oldSelf");
    expect(rulesAt("Volume", "sizeGiB")).toContain("self >= oldSelf");
    expect(rulesAt("ProviderConfig", "region")).toContain("self == oldSelf");
    expect(rulesAt("Bucket").some((r) => r.includes("oldSelf.objectLock"))).toBe(true);
    expect(rulesAt("Bucket").some((r) => r.includes("oldSelf.bucketName"))).toBe(true);
  });
});

describe("the zod schemas (what controllers parse)", () => {
  it("accept every valid fixture", () => {
    for (const m of [
      vpc(),
      subnet(),
      sshKey(),
      vm(),
      volume(),
      bucket(),
      fullBucket(),
      providerConfig(),
      clusterProviderConfig(),
    ]) {
      const def = kindByName(m.kind)!;
      const result = def.schema.safeParse(m);
      expect(result.success, `${m.kind}: ${JSON.stringify(result.error?.issues)}`).toBe(true);
    }
  });

  it("apply the same defaults as the CRDs", () => {
    expect(vpcSpec.parse({ cidr: "10.0.0.0/16" })).toEqual({
      cidr: "10.0.0.0/16",
      providerConfigRef: { name: "default" },
      managementPolicy: "Managed",
      deletionPolicy: "Delete",
      adoptionPolicy: "AdoptOrCreate",
      onExternalDelete: "Recreate",
    });
    expect(vmSpec.parse(vm().spec)).toMatchObject({
      onExternalDelete: "Stall",
      bootVolumeSizeGiB: 20,
      powerState: "Running",
      publicIP: false,
      allowDisruption: false,
    });
    expect(bucketSpec.parse({ publicAccessBlock: {} })).toMatchObject({
      onExternalDelete: "Stall",
      storageClass: "STANDARD",
      emptyBeforeDelete: false,
      publicAccessBlock: {
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: true,
        restrictPublicBuckets: true,
      },
    });
  });

  it("reject what the patterns and enums reject", () => {
    expect(vmSpec.safeParse({ ...vm().spec, flavor: "large" }).success).toBe(false);
    expect(vmSpec.safeParse({ ...vm().spec, powerState: "Paused" }).success).toBe(false);
    expect(vpcSpec.safeParse({ cidr: "10.0.0.0/16", importID: "vpc_123" }).success).toBe(false);
    expect(bucketSpec.safeParse({ bucketName: "Nope" }).success).toBe(false);
  });

  it("keep policy statement fields the schema does not name", () => {
    const parsed = bucketSpec.parse(fullBucket().spec);
    expect(parsed.policy?.Statement[0]).toMatchObject({ Action: ["s3:GetObject"], Effect: "Allow" });
  });
});

describe("patterns", () => {
  it("accept the three SSH key types and refuse mismatched or foreign ones", () => {
    for (const key of [ED25519_KEY, RSA_KEY, ECDSA_KEY, ED25519_KEY.split(" ").slice(0, 2).join(" ")]) {
      expect(SSH_PUBLIC_KEY_PATTERN.test(key), key).toBe(true);
    }
    for (const key of [
      ED25519_KEY.replace("ssh-ed25519", "ssh-rsa"),
      RSA_KEY.replace("ssh-rsa", "ssh-dss"),
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5",
      `${ED25519_KEY}\nssh-ed25519 second-line`,
      "-----BEGIN OPENSSH PRIVATE KEY-----",
    ]) {
      expect(SSH_PUBLIC_KEY_PATTERN.test(key), key).toBe(false);
    }
  });

  it("accept flavors of the three families only", () => {
    for (const f of ["std-1x4", "mem-64x512", "cpu-96x192"]) expect(FLAVOR_PATTERN.test(f)).toBe(true);
    for (const f of ["gpu-1x4", "std-1x", "std1x4", "STD-1x4", "std-1x4 "])
      expect(FLAVOR_PATTERN.test(f)).toBe(false);
  });

  it("accept bucket names of 3 to 63 lowercase letters, digits and dashes", () => {
    for (const n of ["abc", "a-b", "0ab", "a".repeat(63)]) expect(BUCKET_NAME_PATTERN.test(n), n).toBe(true);
    for (const n of ["ab", "a".repeat(64), "-ab", "ab-", "a_b", "a.b", "ABC"])
      expect(BUCKET_NAME_PATTERN.test(n), n).toBe(false);
  });

  it("accept IDs with the kind's prefix and a Crockford ULID", () => {
    expect(idPattern(ID_PREFIXES.VM).test("vm_01J0ABCDEFGHJKMNPQRSTVWXYZ")).toBe(true);
    expect(idPattern(ID_PREFIXES.VM).test("vol_01J0ABCDEFGHJKMNPQRSTVWXYZ")).toBe(false);
    expect(idPattern(ID_PREFIXES.VM).test("vm_01J0ABCDEFGHJKMNPQRSTVWXYI")).toBe(false); // I is not Crockford
    expect(idPattern(ID_PREFIXES.VM).test("vm_01J0ABCDEFGHJKMNPQRSTVWXY")).toBe(false);
  });
});

describe("cloudBucketName", () => {
  it("prefers bucketName, then importID, then metadata.name", () => {
    const spec = bucketSpec.parse({});
    expect(cloudBucketName({ metadata: { name: "obj" }, spec })).toBe("obj");
    expect(cloudBucketName({ metadata: { name: "obj" }, spec: { ...spec, importID: "imported" } })).toBe(
      "imported",
    );
    expect(
      cloudBucketName({ metadata: { name: "obj" }, spec: { ...spec, importID: "x", bucketName: "named" } }),
    ).toBe("named");
  });
});
