// The CRDs and the sample manifests, for tests and benchmarks (no vitest imports here).
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parse, parseAllDocuments } from "yaml";
import type { ManagedKind, ManagedObject } from "../../../src/controllers/generic/actuator.ts";
import { resourceType, SECRET_RESOURCE } from "../../../src/controllers/kube/resources.ts";
import { isNotFound, type KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject, ResourceType } from "../../../src/runtime/resource.ts";
import { waitUntil } from "../../support/process.ts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

const CRD_RESOURCE: ResourceType = {
  group: "apiextensions.k8s.io",
  version: "v1",
  plural: "customresourcedefinitions",
  kind: "CustomResourceDefinition",
  namespaced: false,
};

export async function installCrds(client: KubeClient): Promise<void> {
  const dir = path.join(root, "config/crd");
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".yaml") && f !== "kustomization.yaml")) {
    const crd = parse(readFileSync(path.join(dir, file), "utf8")) as KubeObject;
    await client.patch(CRD_RESOURCE, undefined, crd.metadata.name ?? "", crd, "apply", {
      fieldManager: "clouddigit-controller-tests",
      force: true,
    });
    names.push(crd.metadata.name ?? "");
  }
  for (const name of names) {
    await waitUntil(
      `CRD ${name} Established`,
      async () => {
        const crd = await client.get<
          KubeObject & { status?: { conditions?: Array<{ type: string; status: string }> } }
        >(CRD_RESOURCE, undefined, name);
        return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
      },
      { timeoutMs: 30_000 },
    );
  }
}

/** The sample manifests, in file order, with the ProviderConfig pointed at `apiUrl`. */
export function sampleObjects(apiUrl: string): KubeObject[] {
  const dir = path.join(root, "config/samples");
  const kustomization = parse(readFileSync(path.join(dir, "kustomization.yaml"), "utf8")) as {
    resources: string[];
  };
  const out: KubeObject[] = [];
  for (const file of kustomization.resources) {
    for (const doc of parseAllDocuments(readFileSync(path.join(dir, file), "utf8"))) {
      const obj = doc.toJS() as KubeObject | null;
      if (!obj) continue;
      if (obj.kind === "ProviderConfig") {
        (obj.spec as { endpoints: { api: string } }).endpoints.api = apiUrl;
      }
      out.push(obj);
    }
  }
  return out;
}

/** Server-side apply, get and condition lookup of the objects of one namespace, as a test uses them. */
export function namespacedObjects(client: KubeClient, namespace: string, fieldManager: string) {
  const objects = {
    apply(obj: KubeObject): Promise<KubeObject> {
      const kind = obj.kind ?? "";
      const rt = kind === "Secret" ? SECRET_RESOURCE : resourceType(kind as ManagedKind | "ProviderConfig");
      const body = { ...obj, metadata: { ...obj.metadata, namespace } };
      return client.patch(rt, namespace, obj.metadata.name ?? "", body, "apply", {
        fieldManager,
        force: true,
      });
    },
    async get(kind: ManagedKind, name: string): Promise<ManagedObject | undefined> {
      try {
        return (await client.get(resourceType(kind), namespace, name)) as unknown as ManagedObject;
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async condition(kind: ManagedKind, name: string, type: string) {
      return (await objects.get(kind, name))?.status?.conditions?.find((c) => c.type === type);
    },
  };
  return objects;
}
