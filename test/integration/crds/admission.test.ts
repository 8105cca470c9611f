// The generated CRDs on a real kube-apiserver: they install and become Established, serve their
// descriptions through OpenAPI v3 (what kubectl explain reads), reject invalid manifests with
// field-specific messages, accept valid ones and fill in the defaults.
import { execFile } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { promisify } from "node:util";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type * as k8s from "@kubernetes/client-node";
import { allKinds, kindByName } from "../../../src/crds/index.ts";
import type { Condition } from "../../../src/runtime/conditions.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { resolveKubeBinaries } from "../../support/control-plane.ts";
import { waitUntil } from "../../support/process.ts";
import { rejectedCreates, rejectedUpdates } from "./cases.ts";
import {
  ECDSA_KEY,
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
  type Manifest,
} from "./fixtures.ts";
import { isStatus, kubeRequest, type KubeResponse, type KubeStatus } from "./kube-http.ts";

const crdDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../../config/crd");
const FIELD_MANAGER = "clouddigit-crd-tests";

let kc: k8s.KubeConfig;
let ns: string;
const runSuffix = Math.random().toString(36).slice(2, 8);

function collectionPath(m: Manifest): string {
  const def = kindByName(m.kind);
  if (!def) throw new Error(`unknown kind ${m.kind}`);
  return def.namespaced
    ? `/apis/${def.group}/${def.version}/namespaces/${ns}/${def.plural}`
    : `/apis/${def.group}/${def.version}/${def.plural}`;
}

/** Cluster-scoped objects live beside other tests' objects, so their names carry a run suffix. */
function scoped(m: Manifest): Manifest {
  const def = kindByName(m.kind);
  return def?.namespaced ? m : { ...m, metadata: { ...m.metadata, name: `${m.metadata.name}-${runSuffix}` } };
}

// kubectl asks for strict field validation; so do these tests.
async function create(m: Manifest): Promise<KubeResponse> {
  return kubeRequest(kc, "POST", `${collectionPath(m)}?fieldValidation=Strict`, { body: m });
}

async function patchSpec(m: Manifest, specPatch: Record<string, unknown>): Promise<KubeResponse> {
  return kubeRequest(kc, "PATCH", `${collectionPath(m)}/${m.metadata.name}?fieldValidation=Strict`, {
    body: { spec: specPatch },
    contentType: "application/merge-patch+json",
  });
}

async function createOk(m: Manifest): Promise<Record<string, unknown>> {
  const res = await create(m);
  if (res.status !== 201) throw new Error(`creating ${m.kind} ${m.metadata.name}: ${res.status} ${res.text}`);
  return res.body as Record<string, unknown>;
}

function causes(status: KubeStatus): string {
  return (status.details?.causes ?? []).map((c) => `${c.field ?? "-"}: ${c.message ?? ""}`).join("\n");
}

function expectRejected(res: KubeResponse, field: string | undefined, message: string): void {
  expect(isStatus(res.body), res.text).toBe(true);
  const status = res.body as KubeStatus;
  expect([400, 422], res.text).toContain(res.status);
  if (field === undefined) {
    expect(status.message).toContain(message);
    return;
  }
  const matching = (status.details?.causes ?? []).filter(
    (c) => c.field === field && c.message?.includes(message),
  );
  expect(
    matching,
    `expected a cause on ${field} containing "${message}"; got:\n${causes(status)}`,
  ).not.toHaveLength(0);
}

async function installCrds(): Promise<string[]> {
  const names: string[] = [];
  for (const file of readdirSync(crdDir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")) {
    const crd = parse(readFileSync(path.join(crdDir, file), "utf8")) as { metadata: { name: string } };
    const res = await kubeRequest(
      kc,
      "PATCH",
      `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${crd.metadata.name}?fieldManager=${FIELD_MANAGER}&force=true`,
      { body: crd, contentType: "application/apply-patch+yaml" },
    );
    if (res.status !== 200 && res.status !== 201)
      throw new Error(`installing ${file}: ${res.status} ${res.text}`);
    names.push(crd.metadata.name);
  }
  return names;
}

/** A CRD's own status condition (apiextensions.k8s.io): same shape as metav1.Condition. */
type CrdCondition = Pick<Condition, "type" | "status">;

beforeAll(async () => {
  kc = testCluster().kubeConfig();
  const names = await installCrds();
  for (const name of names) {
    await waitUntil(
      `CRD ${name} Established`,
      async () => {
        const res = await kubeRequest(
          kc,
          "GET",
          `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`,
        );
        const conditions =
          (res.body as { status?: { conditions?: CrdCondition[] } }).status?.conditions ?? [];
        return conditions.some((c) => c.type === "Established" && c.status === "True");
      },
      { timeoutMs: 30_000 },
    );
  }
  ns = await createNamespace(kc, "crds");
});

describe("installation", () => {
  it("installs one Established CRD per kind, with the clouddigit category and short names", async () => {
    const res = await kubeRequest(kc, "GET", "/apis/clouddigit.ai/v1alpha1");
    expect(res.status).toBe(200);
    const resources = (
      res.body as {
        resources: {
          name: string;
          kind: string;
          namespaced: boolean;
          shortNames?: string[];
          categories?: string[];
        }[];
      }
    ).resources.filter((r) => !r.name.includes("/"));
    expect(resources.map((r) => r.kind).sort()).toEqual(allKinds.map((k) => k.kind).sort());
    for (const def of allKinds) {
      const served = resources.find((r) => r.kind === def.kind);
      expect(served?.name).toBe(def.plural);
      expect(served?.namespaced).toBe(def.namespaced);
      expect(served?.shortNames).toEqual(def.shortNames);
      expect(served?.categories).toEqual(["clouddigit"]);
    }
    // The status subresource exists for every kind.
    const subresources = (res.body as { resources: { name: string }[] }).resources.map((r) => r.name);
    for (const def of allKinds) expect(subresources).toContain(`${def.plural}/status`);
  });

  it("serves a description for every field through OpenAPI v3, as kubectl explain reads it", async () => {
    type Schema = {
      description?: string;
      properties?: Record<string, Schema>;
      items?: Schema;
      additionalProperties?: Schema;
    };
    let schemas: Record<string, Schema> = {};
    await waitUntil(
      "OpenAPI v3 document with all kinds",
      async () => {
        const res = await kubeRequest(kc, "GET", "/openapi/v3/apis/clouddigit.ai/v1alpha1");
        if (res.status !== 200) return false;
        schemas = (res.body as { components: { schemas: Record<string, Schema> } }).components.schemas;
        return allKinds.every((k) => schemas[`ai.clouddigit.v1alpha1.${k.kind}`] !== undefined);
      },
      { timeoutMs: 30_000 },
    );
    const undocumented: string[] = [];
    let fields = 0;
    const walk = (s: Schema, at: string): void => {
      for (const [name, child] of Object.entries(s.properties ?? {})) {
        fields++;
        if (!child.description?.trim()) undocumented.push(`${at}.${name}`);
        walk(child, `${at}.${name}`);
      }
      if (s.items) walk(s.items, `${at}[]`);
    };
    for (const def of allKinds) {
      const root = schemas[`ai.clouddigit.v1alpha1.${def.kind}`];
      expect(root?.description).toBe(def.description);
      for (const part of ["spec", "status"]) walk(root?.properties?.[part] ?? {}, `${def.kind}.${part}`);
    }
    expect(undocumented).toEqual([]);
    expect(fields).toBeGreaterThan(200);
    expect(schemas["ai.clouddigit.v1alpha1.VM"]?.properties?.spec?.properties?.flavor?.description).toContain(
      "allowDisruption",
    );
  });
});

describe("kubectl", () => {
  it("explains fields with their descriptions", async () => {
    const kubectl = resolveKubeBinaries().kubectl;
    const explain = async (field: string): Promise<string> =>
      (
        await promisify(execFile)(kubectl, ["--kubeconfig", testCluster().kubeconfigPath, "explain", field], {
          encoding: "utf8",
        })
      ).stdout.replace(/\s+/g, " "); // kubectl wraps long descriptions
    expect(await explain("vm.spec.flavor")).toContain("needs allowDisruption: true");
    expect(await explain("buckets.spec.objectLock")).toContain("only with versioning: Enabled");
    expect(await explain("cdpc.spec.credentials.source")).toContain("OIDC (workload identity, preferred)");
  });
});

describe("rejected at admission", () => {
  it("has a table of at least 25 invalid manifests", () => {
    expect(rejectedCreates.length + rejectedUpdates.length).toBeGreaterThanOrEqual(25);
  });

  it.each(rejectedCreates.map((c) => [c.name, c] as const))("create: %s", async (_, c) => {
    const res = await create(scoped(c.manifest));
    expectRejected(res, c.field, c.message);
  });

  it.each(rejectedUpdates.map((c) => [c.name, c] as const))("update: %s", async (_, c) => {
    const initial = scoped(c.initial);
    await createOk(initial);
    const res = await patchSpec(initial, c.specPatch);
    expectRejected(res, c.field, c.message);
  });

  it("rejects a request body that is not valid JSON before it reaches the schema", async () => {
    const res = await kubeRequest(kc, "POST", collectionPath(bucket()), {
      body: '{"apiVersion":"clouddigit.ai/v1alpha1","kind":"Bucket","metadata":{"name":"raw"},"spec":{"policy":{"Statement":[}}}',
    });
    expect(res.status).toBe(400);
  });
});

describe("accepted with defaults", () => {
  // kstatus (Flux) counts an object without status as Current, so until the operator writes one
  // (it is down, or not installed yet) every kind is served as "generation not yet observed".
  it("serves every kind with status.observedGeneration 0 until the operator writes status", async () => {
    const fresh = [vpc("unobserved"), bucket("unobserved"), scoped(clusterProviderConfig("unobserved"))];
    for (const m of fresh) {
      const created = (await createOk(m)) as { status?: unknown; metadata: { generation: number } };
      expect(created.metadata.generation).toBe(1);
      expect(created.status, m.kind).toEqual({ observedGeneration: 0 });
      const read = await kubeRequest(kc, "GET", `${collectionPath(m)}/${m.metadata.name}`);
      expect((read.body as { status?: unknown }).status, m.kind).toEqual({ observedGeneration: 0 });
      // What the operator writes replaces it.
      const written = await kubeRequest(kc, "PATCH", `${collectionPath(m)}/${m.metadata.name}/status`, {
        body: { status: { observedGeneration: 1 } },
        contentType: "application/merge-patch+json",
      });
      expect(written.status, written.text).toBe(200);
      expect((written.body as { status?: unknown }).status).toEqual({ observedGeneration: 1 });
    }
  });

  it("fills the common defaults of a managed kind", async () => {
    const created = (await createOk(vpc("defaults"))) as { spec: Record<string, unknown> };
    expect(created.spec).toEqual({
      cidr: "10.10.0.0/16",
      providerConfigRef: { name: "default" },
      managementPolicy: "Managed",
      deletionPolicy: "Delete",
      adoptionPolicy: "AdoptOrCreate",
      onExternalDelete: "Recreate",
    });
  });

  it("fills VM defaults and keeps references", async () => {
    const created = (await createOk(vm("vm-defaults", { userDataSecretRef: { name: "boot" } }))) as {
      spec: Record<string, unknown>;
    };
    expect(created.spec).toMatchObject({
      bootVolumeSizeGiB: 20,
      powerState: "Running",
      publicIP: false,
      allowDisruption: false,
      onExternalDelete: "Stall",
      userDataSecretRef: { name: "boot", key: "userData" },
      volumeRefs: [{ name: "data" }],
    });
  });

  it("accepts all three SSH key types and an ObserveOnly import", async () => {
    await createOk(sshKey("ed25519"));
    await createOk(sshKey("rsa", { publicKey: RSA_KEY }));
    await createOk(sshKey("ecdsa", { publicKey: ECDSA_KEY }));
    await createOk(
      sshKey("observed", { managementPolicy: "ObserveOnly", importID: "sshkey_01J0ABCDEFGHJKMNPQRSTVWXYZ" }),
    );
  });

  it("accepts subnets by ref or by ID, volumes of both types, and VMs by subnet ID", async () => {
    await createOk(subnet("by-ref"));
    await createOk(subnet("by-id", { vpcRef: undefined, vpcID: "vpc_01J0ABCDEFGHJKMNPQRSTVWXYZ" }));
    await createOk(volume("fast", { type: "piops", iops: 5000, sizeGiB: 100 }));
    await createOk(
      vm("by-subnet-id", {
        subnetRef: undefined,
        subnetID: "subnet_01J0ABCDEFGHJKMNPQRSTVWXYZ",
        flavor: "cpu-96x192",
      }),
    );
  });

  it("accepts ObserveOnly buckets by name and cluster configs that exchange a named ServiceAccount's token", async () => {
    await createOk(bucket("observed-by-name", { managementPolicy: "ObserveOnly" }));
    await createOk(bucket("imported", { importID: "someone-elses-bucket", deletionPolicy: "Orphan" }));
    const cpc = scoped(
      clusterProviderConfig("tenant-sa", {
        credentials: {
          source: "OIDC",
          oidc: {
            clientID: "x",
            serviceAccountName: "cloud",
            serviceAccountNamespace: "team-a",
            grant: "TokenExchange",
          },
          s3: { secretRef: { name: "s3", namespace: "team-a" } },
        },
      }),
    );
    await createOk(cpc);
    expect((await kubeRequest(kc, "DELETE", `${collectionPath(cpc)}/${cpc.metadata.name}`)).status).toBe(200);
  });

  it("allows the changes that are allowed: grow, resize within a family, cross-family with allowDisruption", async () => {
    await createOk(volume("grow"));
    expect((await patchSpec(volume("grow"), { sizeGiB: 51 })).status).toBe(200);
    await createOk(vm("resize"));
    expect((await patchSpec(vm("resize"), { flavor: "std-4x16" })).status).toBe(200);
    const cross = await patchSpec(vm("resize"), { flavor: "mem-4x32", allowDisruption: true });
    expect(cross.status, cross.text).toBe(200);
    expect(
      (await patchSpec(vm("resize"), { volumeRefs: [], powerState: "Stopped", tags: { a: "b" } })).status,
    ).toBe(200);
  });

  it("fills bucket defaults and preserves the policy as written", async () => {
    const created = (await createOk(fullBucket())) as { spec: Record<string, unknown> };
    expect(created.spec).toMatchObject({
      storageClass: "STANDARD",
      emptyBeforeDelete: false,
      publicAccessBlock: {
        blockPublicAcls: true,
        ignorePublicAcls: true,
        blockPublicPolicy: true,
        restrictPublicBuckets: true,
      },
      lifecycle: { rules: [{ id: "old-versions", enabled: true, noncurrentVersionExpirationDays: 90 }] },
    });
    expect(created.spec.policy).toEqual({ ...(fullBucket().spec.policy as object) });
    // Versioning may move between Enabled and Suspended when there is no Object Lock.
    await createOk(bucket("plain", { versioning: "Enabled" }));
    expect((await patchSpec(bucket("plain"), { versioning: "Suspended" })).status).toBe(200);
  });

  it("accepts ProviderConfigs of both kinds and fills credential defaults", async () => {
    const pc = (await createOk(providerConfig())) as { spec: { credentials: unknown } };
    expect(pc.spec.credentials).toEqual({
      source: "APIToken",
      apiToken: { secretRef: { name: "cd-token", key: "token" } },
    });
    const oidc = (await createOk(
      providerConfig("tenant", {
        endpoints: { api: "http://127.0.0.1:8443", identity: "https://auth.mymine.space/realms/clouddigit" },
        credentials: {
          source: "OIDC",
          oidc: { clientID: "tenant-a", serviceAccountName: "cloud" },
          s3: { secretRef: { name: "s3-keys" } },
          workloadS3SecretRef: { name: "workload-keys" },
        },
      }),
    )) as { spec: { credentials: Record<string, unknown> } };
    expect(oidc.spec.credentials).toMatchObject({
      oidc: { grant: "ClientCredentials" },
      s3: {
        secretRef: { name: "s3-keys", accessKeyIDKey: "accessKeyID", secretAccessKeyKey: "secretAccessKey" },
      },
    });
    const cpc = scoped(clusterProviderConfig());
    await createOk(cpc);
    const del = await kubeRequest(kc, "DELETE", `${collectionPath(cpc)}/${cpc.metadata.name}`);
    expect(del.status).toBe(200);
  });
});

describe("status and printer columns", () => {
  it("writes status only through the status subresource and prints it in kubectl get", async () => {
    const m = vm("printed");
    await createOk(m);
    const status = {
      id: "vm_01J0ABCDEFGHJKMNPQRSTVWXYZ",
      state: "active",
      atProvider: { privateIP: "10.10.1.5", publicIP: "203.0.113.7" },
      observedGeneration: 1,
      lastSyncTime: "2026-01-01T00:00:00Z",
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "Available",
          message: "",
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
        {
          type: "Synced",
          status: "True",
          reason: "ReconcileSuccess",
          message: "",
          lastTransitionTime: "2026-01-01T00:00:00Z",
        },
      ],
    };
    // Through the main resource, status is ignored.
    const ignored = await kubeRequest(kc, "PATCH", `${collectionPath(m)}/printed`, {
      body: { status },
      contentType: "application/merge-patch+json",
    });
    expect((ignored.body as { status?: unknown }).status).toEqual({ observedGeneration: 0 });
    const written = await kubeRequest(kc, "PATCH", `${collectionPath(m)}/printed/status`, {
      body: { status },
      contentType: "application/merge-patch+json",
    });
    expect(written.status, written.text).toBe(200);

    const table = await kubeRequest(kc, "GET", `${collectionPath(m)}/printed`, {
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
    });
    const body = table.body as { columnDefinitions: { name: string }[]; rows: { cells: unknown[] }[] };
    const columns = body.columnDefinitions.map((c) => c.name);
    expect(columns).toEqual(["Name", "Flavor", "State", "ID", "IP", "Public-IP", "Ready", "Synced", "Age"]);
    expect(body.rows[0]?.cells.slice(0, 8)).toEqual([
      "printed",
      "std-2x8",
      "active",
      "vm_01J0ABCDEFGHJKMNPQRSTVWXYZ",
      "10.10.1.5",
      "203.0.113.7",
      "True",
      "True",
    ]);
  });

  it("rejects a status condition that is not a metav1.Condition", async () => {
    const m = vpc("bad-status");
    await createOk(m);
    const res = await kubeRequest(kc, "PATCH", `${collectionPath(m)}/bad-status/status`, {
      body: { status: { conditions: [{ type: "Ready", status: "Maybe" }] } },
      contentType: "application/merge-patch+json",
    });
    expectRejected(res, "status.conditions[0].status", "Unsupported value");
  });
});
