import { describe, expect, it, beforeAll, afterAll } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { Agent, fetch as undiciFetch } from "undici";
import { createRemoteJWKSet, jwtVerify, customFetch, decodeJwt } from "jose";
import { createNamespace, testCluster } from "../../support/cluster.ts";

const group = "foundation.test.clouddigit.ai";
const plural = "widgets";

const widgetCrd: k8s.V1CustomResourceDefinition = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${plural}.${group}` },
  spec: {
    group,
    scope: "Namespaced",
    names: { plural, singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            properties: {
              spec: { type: "object", properties: { size: { type: "integer", minimum: 1 } } },
              status: { type: "object", properties: { phase: { type: "string" } } },
            },
          },
        },
      },
    ],
  },
};

interface Widget {
  apiVersion: string;
  kind: string;
  metadata: k8s.V1ObjectMeta;
  spec: { size: number };
  status?: { phase?: string };
}

describe("the test control plane (real kube-apiserver + etcd)", () => {
  const cluster = testCluster();
  const kc = cluster.kubeConfig();
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let namespace = "";

  beforeAll(async () => {
    namespace = await createNamespace(kc, "foundation");
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.createCustomResourceDefinition({ body: widgetCrd });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const crd = await ext.readCustomResourceDefinition({ name: widgetCrd.metadata!.name! });
      const established = crd.status?.conditions?.find((c) => c.type === "Established");
      if (established?.status === "True") break;
      if (Date.now() > deadline) throw new Error("CRD never became Established");
      await new Promise((r) => setTimeout(r, 200));
    }
  });

  afterAll(async () => {
    const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
    await ext.deleteCustomResourceDefinition({ name: widgetCrd.metadata!.name! });
  });

  it("serves a CRD: create, list, watch, patch spec and the status subresource", async () => {
    // Start a watch first so the create and both patches must arrive as events. Right after a CRD
    // is established its watch cache may still be initialising: the apiserver answers 429 with
    // Retry-After, and a client must try again, as every informer does.
    const events: Array<{ type: string; obj: Widget }> = [];
    let watchError: unknown;
    let controller: AbortController | undefined;
    for (let attempt = 0; attempt < 40 && !controller; attempt++) {
      let failed: unknown;
      const c = await new k8s.Watch(kc).watch(
        `/apis/${group}/v1/namespaces/${namespace}/${plural}`,
        {},
        (type: string, obj: Widget) => events.push({ type, obj }),
        (err: unknown) => {
          if (err) failed = err;
          watchError ??= err;
        },
      );
      await new Promise((r) => setTimeout(r, 250));
      if (failed && (failed as { statusCode?: number }).statusCode === 429) {
        watchError = undefined;
        continue;
      }
      controller = c;
    }
    if (!controller) throw new Error("the watch was never accepted");
    try {
      const created = (await custom.createNamespacedCustomObject({
        group,
        version: "v1",
        namespace,
        plural,
        body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "w1" }, spec: { size: 1 } },
      })) as Widget;
      expect(created.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);

      const list = (await custom.listNamespacedCustomObject({ group, version: "v1", namespace, plural })) as {
        items: Widget[];
      };
      expect(list.items.map((w) => w.metadata.name)).toEqual(["w1"]);

      const patched = (await custom.patchNamespacedCustomObject(
        { group, version: "v1", namespace, plural, name: "w1", body: { spec: { size: 3 } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      )) as Widget;
      expect(patched.spec.size).toBe(3);
      expect(patched.metadata.generation).toBe(2);

      // Status goes through its own subresource and does not bump the generation.
      const withStatus = (await custom.patchNamespacedCustomObjectStatus(
        { group, version: "v1", namespace, plural, name: "w1", body: { status: { phase: "Ready" } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      )) as Widget;
      expect(withStatus.status?.phase).toBe("Ready");
      expect(withStatus.metadata.generation).toBe(2);

      // A status written through the main resource is ignored when the subresource is enabled.
      const ignored = (await custom.patchNamespacedCustomObject(
        { group, version: "v1", namespace, plural, name: "w1", body: { status: { phase: "Bogus" } } },
        k8s.setHeaderOptions("Content-Type", k8s.PatchStrategy.MergePatch),
      )) as Widget;
      expect(ignored.status?.phase).toBe("Ready");

      // The schema is enforced by the apiserver.
      await expect(
        custom.createNamespacedCustomObject({
          group,
          version: "v1",
          namespace,
          plural,
          body: { apiVersion: `${group}/v1`, kind: "Widget", metadata: { name: "bad" }, spec: { size: 0 } },
        }),
      ).rejects.toThrow(/spec.size/);

      const deadline = Date.now() + 10_000;
      while (events.filter((e) => e.obj.metadata.name === "w1").length < 3 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(watchError).toBeUndefined();
      const seen = events.filter((e) => e.obj.metadata.name === "w1");
      expect(seen[0]?.type).toBe("ADDED");
      expect(seen.some((e) => e.type === "MODIFIED" && e.obj.spec.size === 3)).toBe(true);
      expect(seen.some((e) => e.type === "MODIFIED" && e.obj.status?.phase === "Ready")).toBe(true);
    } finally {
      controller.abort();
    }
  });

  it("issues TokenRequest tokens whose signature verifies against the JWKS fetched anonymously", async () => {
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name: "workload" } } });
    const audience = "https://iam.example.test/realms/clouddigit";
    const tr = await core.createNamespacedServiceAccountToken({
      namespace,
      name: "workload",
      body: { spec: { audiences: [audience], expirationSeconds: 600 } },
    });
    const token = tr.status?.token;
    expect(token).toBeTruthy();

    // No client certificate or token: exactly what an external verifier such as Keycloak does.
    const anonymous = new Agent({ connect: { ca: cluster.caCertPem || undefined } });
    const fetchAnonymously: typeof fetch = ((url: string, init?: RequestInit) =>
      undiciFetch(url, { ...(init as object), dispatcher: anonymous })) as unknown as typeof fetch;
    const discovery = (await (
      await fetchAnonymously(`${cluster.issuer}/.well-known/openid-configuration`)
    ).json()) as {
      issuer: string;
      jwks_uri: string;
    };
    expect(discovery.issuer).toBe(cluster.issuer);
    expect(new URL(discovery.jwks_uri).hostname).toBe("127.0.0.1");

    const jwks = createRemoteJWKSet(new URL(discovery.jwks_uri), { [customFetch]: fetchAnonymously });
    const { payload } = await jwtVerify(token!, jwks, { issuer: cluster.issuer, audience });
    expect(payload.sub).toBe(`system:serviceaccount:${namespace}:workload`);
    expect(payload.exp! - payload.iat!).toBe(600);

    // The same token is refused for another audience, and a tampered token fails the signature.
    await expect(
      jwtVerify(token!, jwks, { issuer: cluster.issuer, audience: "someone-else" }),
    ).rejects.toThrow(/aud/);
    const [h, p, s] = token!.split(".");
    const claims = decodeJwt(token!);
    const forged = Buffer.from(
      JSON.stringify({ ...claims, sub: "system:serviceaccount:kube-system:admin" }),
    ).toString("base64url");
    expect(p).not.toBe(forged);
    await expect(jwtVerify(`${h}.${forged}.${s}`, jwks, { issuer: cluster.issuer })).rejects.toThrow(
      /signature/,
    );
    await anonymous.close();
  });
});
