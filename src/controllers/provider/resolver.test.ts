import { describe, expect, it } from "vitest";
import type { ProviderSettings } from "../../client/factory.ts";
import type { ClusterProviderConfig, ProviderConfig } from "../../crds/provider-config.ts";
import { NotConnected, type ManagedObject } from "../generic/actuator.ts";
import { ProviderConfigResolver, type AnyConfig, type ProviderConfigResolverOptions } from "./resolver.ts";
import {
  configStatusKey,
  ProviderConfigStatusReconciler,
  type ProviderConfigStatus,
  type ProviderConfigStatusOptions,
} from "./status.ts";

const TOKEN = "cd_secret_value_never_logged";

function pc(
  namespace: string,
  name: string,
  spec: Partial<ProviderConfig["spec"]> = {},
  rv = "1",
): ProviderConfig {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "ProviderConfig",
    metadata: { namespace, name, uid: `uid-${namespace}-${name}`, resourceVersion: rv },
    spec: {
      region: "bd-dha-1",
      project: "demo",
      credentials: { source: "APIToken", apiToken: { secretRef: { name: "creds", key: "token" } } },
      ...spec,
    },
  };
}

function cpc(name: string, spec: Partial<ClusterProviderConfig["spec"]> = {}): ClusterProviderConfig {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "ClusterProviderConfig",
    metadata: { name, uid: `uid-cluster-${name}`, resourceVersion: "1" },
    spec: {
      region: "bd-ctg-1",
      project: "shared",
      credentials: {
        source: "APIToken",
        apiToken: { secretRef: { name: "shared-creds", namespace: "ops", key: "token" } },
      },
      ...spec,
    },
  };
}

function object(
  namespace: string,
  ref: ManagedObject["spec"]["providerConfigRef"] = { name: "default" },
): ManagedObject {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "VPC",
    metadata: { namespace, name: "net" },
    spec: { providerConfigRef: ref, managementPolicy: "Managed", deletionPolicy: "Delete" },
  };
}

/** The status reconciler over `config`, recording (and applying) each status it writes. */
function statusOf(
  resolver: ProviderConfigResolver,
  config: ProviderConfig,
  extra: Partial<ProviderConfigStatusOptions> = {},
) {
  const writes: ProviderConfigStatus[] = [];
  const status = new ProviderConfigStatusReconciler({
    resolver,
    write: async (_found, s) => {
      writes.push(s);
      config.status = s;
    },
    ...extra,
  });
  const found: AnyConfig = { kind: "ProviderConfig", config };
  return { writes, status, found };
}

function setup(
  configs: { namespaced?: ProviderConfig[]; cluster?: ClusterProviderConfig[] },
  domain?: string,
  api: object = {},
) {
  const secrets = new Map<string, string>([
    ["team-a/creds/token", TOKEN],
    ["ops/shared-creds/token", "cd_shared"],
  ]);
  const reads: string[] = [];
  const built: Array<Omit<ProviderSettings, "credential"> & { credential: unknown }> = [];
  const s3Built: Array<{ endpoints?: { s3?: string }; s3Credentials: unknown }> = [];
  const oidc: unknown[] = [];
  const tokens: string[] = [];
  const opts: ProviderConfigResolverOptions = {
    configs: {
      namespaced: (ns, name) =>
        configs.namespaced?.find((c) => c.metadata.namespace === ns && c.metadata.name === name),
      cluster: (name) => configs.cluster?.find((c) => c.metadata.name === name),
    },
    secrets: {
      read: async (ns, name, key) => {
        reads.push(`${ns}/${name}/${key}`);
        return secrets.get(`${ns}/${name}/${key}`);
      },
    },
    factory: {
      create: (settings) => {
        built.push(settings);
        return { api: api as never, buckets: undefined, credential: settings.credential };
      },
      createS3: (settings) => {
        s3Built.push(settings);
        return { s3: { destroy: () => undefined }, checkCredentials: async () => undefined } as never;
      },
      apiTokenCredential: (token) => {
        tokens.push(token);
        return {
          kind: "api-token",
          identity: () => "t",
          authHeaders: async () => ({}),
          invalidate: () => false,
        } as never;
      },
      oidcCredential: (o) => {
        oidc.push(o);
        return { kind: "oidc" } as never;
      },
    },
    tokenRequests: { createNamespacedServiceAccountToken: async () => ({}) },
    ...(domain ? { endpointDomain: domain } : {}),
  };
  return { resolver: new ProviderConfigResolver(opts), reads, built, s3Built, oidc, tokens, secrets };
}

/** A client whose one project-scoped read (the config check lists VPCs) answers with `list`. */
function projectReads(list: () => Promise<unknown[]>): object {
  return { network: { vpcs: { listAll: list } } };
}

describe("ProviderConfig resolution", () => {
  it("prefers the namespaced ProviderConfig and derives the endpoint from the region", async () => {
    const { resolver, built, reads, tokens } = setup({
      namespaced: [pc("team-a", "default")],
      cluster: [cpc("default")],
    });
    const r = await resolver.resolve(object("team-a"));
    expect(r.ok).toBe(true);
    expect(built[0]).toMatchObject({
      region: "bd-dha-1",
      project: "demo",
      endpoints: { api: "https://api.bd-dha-1.clouddigit.ai" },
    });
    expect(reads).toEqual(["team-a/creds/token"]);
    expect(tokens).toEqual([TOKEN]);
  });

  it("falls back to the ClusterProviderConfig, which may read a Secret in the namespace it names", async () => {
    const { resolver, built, reads } = setup({ cluster: [cpc("default")] });
    expect((await resolver.resolve(object("team-b"))).ok).toBe(true);
    expect(built[0]).toMatchObject({ region: "bd-ctg-1", project: "shared" });
    expect(reads).toEqual(["ops/shared-creds/token"]);
  });

  it("a namespaced config only reads Secrets of its own namespace", async () => {
    const { resolver, reads } = setup({ namespaced: [pc("team-b", "default")] });
    const r = await resolver.resolve(object("team-b"));
    // team-b has no "creds" Secret; team-a's is never looked at.
    expect(reads).toEqual(["team-b/creds/token"]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain('Secret "team-b/creds"');
      expect(r.message).not.toContain(TOKEN);
    }
  });

  it("says clearly which config is missing", async () => {
    const { resolver } = setup({});
    const r = await resolver.resolve(object("team-a", { name: "prod" }));
    expect(r).toMatchObject({ ok: false, reason: "ProviderConfigNotFound" });
    if (!r.ok)
      expect(r.message).toBe(
        'ProviderConfig "prod" in namespace "team-a" or ClusterProviderConfig "prod" not found; create it (see config/samples)',
      );
    const pinned = await setup({ cluster: [cpc("prod")] }).resolver.resolve(
      object("team-a", { name: "prod", kind: "ProviderConfig" }),
    );
    expect(pinned.ok).toBe(false);
  });

  it("supports the mymine.space hosts by operator default or per-config override", async () => {
    const a = setup({ namespaced: [pc("team-a", "default")] }, "mymine.space");
    await a.resolver.resolve(object("team-a"));
    expect(a.built[0]?.endpoints?.api).toBe("https://api.bd-dha-1.mymine.space");
    const b = setup({
      namespaced: [pc("team-a", "default", { endpoints: { api: "https://api.bd-dha-1.mymine.space" } })],
    });
    await b.resolver.resolve(object("team-a"));
    expect(b.built[0]?.endpoints?.api).toBe("https://api.bd-dha-1.mymine.space");
  });

  it("shares one build among reconciles that resolve a config at the same time", async () => {
    const { resolver, built } = setup({ namespaced: [pc("team-a", "default")] });
    // Every worker of every kind resolves at start; one client means one identity index.
    const results = await Promise.all([1, 2, 3, 4].map(() => resolver.resolve(object("team-a"))));
    expect(built).toHaveLength(1);
    const providers = new Set(results.map((r) => (r.ok ? r.provider : undefined)));
    expect(providers.size).toBe(1);
    expect(providers.has(undefined)).toBe(false);
  });

  it("builds the client once per config version", async () => {
    const configs = { namespaced: [pc("team-a", "default")] };
    const { resolver, built } = setup(configs);
    await resolver.resolve(object("team-a"));
    await resolver.resolve(object("team-a"));
    expect(built).toHaveLength(1);
    const before = resolver.peekFingerprint(object("team-a"));
    // A status write that only reports stalled deletions informs people; the clients stay.
    const reported = pc("team-a", "default", {}, "2");
    reported.status = {
      conditions: [
        {
          type: "DeletionsStalled",
          status: "True",
          reason: "DeletionStalled",
          message: "1 object cannot finish deleting",
          lastTransitionTime: "2026-12-03T12:00:00Z",
        },
      ],
    };
    configs.namespaced[0] = reported;
    expect(resolver.peekFingerprint(object("team-a"))).toBe(before);
    // A check that reports a change (a fixed Secret) or a spec change makes a new version.
    const checked = pc("team-a", "default", {}, "3");
    checked.status = {
      conditions: [
        { type: "Ready", status: "True", reason: "CredentialsValid", message: "", lastTransitionTime: "" },
      ],
    };
    configs.namespaced[0] = checked;
    expect(resolver.peekFingerprint(object("team-a"))).not.toBe(before);
    await resolver.resolve(object("team-a"));
    expect(built).toHaveLength(2);
    configs.namespaced[0] = pc("team-a", "default", { project: "other" }, "4");
    await resolver.resolve(object("team-a"));
    expect(built).toHaveLength(3);
  });

  it("OIDC: a namespaced config uses its own namespace's ServiceAccount; a cluster config the operator's token", async () => {
    const ns = setup({
      namespaced: [
        pc("team-a", "default", {
          credentials: {
            source: "OIDC",
            oidc: { clientID: "operator", grant: "ClientCredentials", serviceAccountName: "cloud" },
          },
        }),
      ],
    });
    expect((await ns.resolver.resolve(object("team-a"))).ok).toBe(true);
    expect(ns.oidc[0]).toMatchObject({
      issuerUrl: "https://auth.clouddigit.ai/realms/clouddigit",
      clientId: "operator",
      grant: "client_credentials",
      subject: { serviceAccount: { namespace: "team-a", name: "cloud" } },
    });
    const cluster = setup({
      cluster: [
        cpc("default", {
          credentials: { source: "OIDC", oidc: { clientID: "operator", grant: "TokenExchange" } },
        }),
      ],
    });
    expect((await cluster.resolver.resolve(object("team-a"))).ok).toBe(true);
    expect(cluster.oidc[0]).toMatchObject({
      grant: "token_exchange",
      subject: { tokenFile: "/var/run/secrets/clouddigit.ai/serviceaccount/token" },
    });
  });

  it("status: a check failing again the same way keeps its message (no write that would wake every user)", async () => {
    let request = 0;
    let accepted = false;
    const api = projectReads(async () => {
      request++;
      if (!accepted) throw new Error(`unknown or malformed API token (HTTP 401, request req_${request}x)`);
      return [];
    });
    const config = pc("team-a", "default");
    const { resolver } = setup({ namespaced: [config] }, undefined, api);
    const { writes, status, found } = statusOf(resolver, config);
    expect(await status.reconcile(found)).toEqual({ requeueAfterMs: 30_000 });
    await status.reconcile(found);
    const messages = writes.map((w) => w.conditions?.[0]?.message);
    expect(messages[0]).toContain("req_1x");
    expect(messages[1]).toBe(messages[0]);
    accepted = true;
    expect(await status.reconcile(found)).toEqual({ requeueAfterMs: 600_000 });
    expect(writes[2]?.conditions?.[0]).toMatchObject({ status: "True", reason: "CredentialsValid" });
  });

  it("status: DeletionsStalled names the deletions that need someone, and a deletion change costs no cloud call", async () => {
    let checks = 0;
    const config = pc("team-a", "default");
    const { resolver } = setup(
      { namespaced: [config] },
      undefined,
      projectReads(async () => {
        checks++;
        return [];
      }),
    );
    const nowMs = Date.parse("2026-12-03T12:00:00Z");
    const deleting = (name: string, minutesAgo: number, stalled = false) => ({
      kind: "VPC",
      object: {
        metadata: {
          namespace: "team-a",
          name,
          deletionTimestamp: new Date(nowMs - minutesAgo * 60_000).toISOString(),
        },
        status: {
          conditions: [
            {
              type: "Ready",
              status: "False" as const,
              reason: stalled ? "Forbidden" : "Deleting",
              message: stalled ? "the token may not delete" : "the cloud VPC is being deleted",
              lastTransitionTime: "2026-12-03T11:00:00Z",
            },
            ...(stalled
              ? [
                  {
                    type: "Stalled",
                    status: "True" as const,
                    reason: "Forbidden",
                    message: "",
                    lastTransitionTime: "",
                  },
                ]
              : []),
          ],
        },
      },
    });
    let using = [deleting("young", 2), deleting("old", 11), deleting("refused", 1, true)];
    const { status, found } = statusOf(resolver, config, { deleting: () => using, now: () => nowMs });
    // The young deletion turns stalled in 8 minutes: the config looks again then.
    expect(await status.reconcile(found)).toEqual({ requeueAfterMs: 8 * 60_000 });
    expect(checks).toBe(1);
    const stalled = config.status?.conditions?.find((c) => c.type === "DeletionsStalled");
    expect(stalled).toMatchObject({ status: "True", reason: "DeletionStalled" });
    expect(stalled?.message).toBe(
      "2 objects cannot finish deleting: team-a/VPC/old: Deleting: the cloud VPC is being deleted; team-a/VPC/refused: Forbidden: the token may not delete",
    );

    using = [];
    status.noteDeletionChange(configStatusKey(found));
    await status.reconcile(found);
    expect(checks).toBe(1);
    expect(config.status?.conditions?.find((c) => c.type === "DeletionsStalled")).toMatchObject({
      status: "False",
      reason: "NoStalledDeletions",
    });
    expect(config.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
  });

  it("S3: one resolver builds the S3 client on first need, from static keys, through the factory", async () => {
    const config = pc("team-a", "default", {
      credentials: {
        source: "APIToken",
        apiToken: { secretRef: { name: "creds", key: "token" } },
        s3: { secretRef: { name: "s3", accessKeyIDKey: "id", secretAccessKeyKey: "key" } },
      },
    });
    const { resolver, s3Built, secrets, reads } = setup({ namespaced: [config] });
    const r = await resolver.resolve(object("team-a"));
    if (!r.ok) throw new Error(r.message);
    // A VPC never needs the S3 keys: nothing S3 is read or built until a Bucket asks.
    expect(s3Built).toHaveLength(0);
    await expect(r.provider.s3()).rejects.toThrow(NotConnected);
    await expect(r.provider.s3()).rejects.toThrow(
      /credentials.s3.secretRef: Secret "team-a\/s3" does not exist/,
    );
    secrets.set("team-a/s3/id", "AKID");
    secrets.set("team-a/s3/key", "SECRET");
    const target = await r.provider.s3();
    expect(target).toMatchObject({ endpoint: "https://s3.bd-dha-1.clouddigit.ai", region: "bd-dha-1" });
    expect(await r.provider.s3()).toBe(target);
    expect(s3Built).toHaveLength(1);
    expect(reads.filter((k) => k.startsWith("team-a/s3/"))).toHaveLength(6);
  });

  it("S3: web identity gets temporary keys with the config's OIDC credential instead of being refused", async () => {
    const config = pc("team-a", "default", {
      credentials: {
        source: "OIDC",
        oidc: { clientID: "operator", serviceAccountName: "cd", grant: "ClientCredentials" },
        s3: { webIdentity: true },
      },
    });
    const { resolver, s3Built } = setup({ namespaced: [config] });
    const r = await resolver.resolve(object("team-a"));
    if (!r.ok) throw new Error(r.message);
    await r.provider.s3();
    expect(s3Built).toHaveLength(1);
    expect(typeof s3Built[0]?.s3Credentials).toBe("function");
  });

  it("S3: a config without S3 credentials says what to add", async () => {
    const { resolver } = setup({ namespaced: [pc("team-a", "default")] });
    const r = await resolver.resolve(object("team-a"));
    if (!r.ok) throw new Error(r.message);
    await expect(r.provider.s3()).rejects.toThrow(/has no credentials.s3/);
  });

  it("status: S3Ready reports the S3 credentials on their own, so a fixed S3 key changes the status", async () => {
    const config = pc("team-a", "default", {
      credentials: {
        source: "APIToken",
        apiToken: { secretRef: { name: "creds", key: "token" } },
        s3: { secretRef: { name: "s3", accessKeyIDKey: "id", secretAccessKeyKey: "key" } },
      },
    });
    const { resolver, secrets } = setup(
      { namespaced: [config] },
      undefined,
      projectReads(async () => []),
    );
    const { writes, status, found } = statusOf(resolver, config);
    expect(await status.reconcile(found)).toEqual({ requeueAfterMs: 30_000 });
    expect(writes[0]?.conditions?.find((c) => c.type === "S3Ready")).toMatchObject({
      status: "False",
      reason: "ProviderConfigInvalid",
    });
    secrets.set("team-a/s3/id", "AKID");
    secrets.set("team-a/s3/key", "SECRET");
    expect(await status.reconcile(found)).toEqual({ requeueAfterMs: 600_000 });
    expect(writes[1]?.conditions?.find((c) => c.type === "S3Ready")).toMatchObject({ status: "True" });
  });
});
