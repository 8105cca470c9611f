import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import * as k8s from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSandbox, type Sandbox } from "../../../sandbox/server.ts";
import { CloudDigitApi } from "../../../src/client/api/cloud-digit-api.ts";
import { OidcCredential } from "../../../src/client/credentials/oidc.ts";
import {
  TokenRequestSource,
  type SubjectTokenSource,
} from "../../../src/client/credentials/subject-token.ts";
import { CloudDigitError } from "../../../src/client/errors.ts";
import { ClientFactory } from "../../../src/client/factory.ts";
import { ClientMetrics } from "../../../src/client/metrics.ts";
import { RateLimiterRegistry } from "../../../src/client/rate-limiter.ts";
import { RestClient } from "../../../src/client/rest-client.ts";
import { createOperatorLogger } from "../../../src/main.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { startKeycloak, type Keycloak, type Realm } from "../../support/keycloak.ts";

const API_AUDIENCE = "clouddigit-api";
const CLIENT_ID = "clouddigit-operator";
const TOKEN_LIFESPAN_SECONDS = 6;

let keycloak: Keycloak;
let realm: Realm;
let sandbox: Sandbox;
let core: k8s.CoreV1Api;
let namespace: string;
const registry = new Registry();
const metrics = new ClientMetrics(registry);
const logLines: string[] = [];
// The operator's own logger, so "never logged" below speaks of what production would log.
const logger = createOperatorLogger(
  "trace",
  new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(chunk.toString("utf8"));
      done();
    },
  }),
);
/** Every secret the test handles, to prove none reaches the logs. */
const secretsSeen = new Set<string>();

/** Records the service-account tokens it hands out. */
function recording(source: SubjectTokenSource): SubjectTokenSource {
  return {
    description: source.description,
    async token() {
      const t = await source.token();
      secretsSeen.add(t);
      return t;
    },
  };
}

function credentialFor(
  serviceAccount: string,
  opts: { audience?: string; refreshAtFraction?: number } = {},
): OidcCredential {
  return new OidcCredential({
    issuerUrl: realm.issuer,
    clientId: CLIENT_ID,
    subjectToken: recording(
      new TokenRequestSource(core, {
        namespace,
        serviceAccount,
        audience: opts.audience ?? realm.issuer,
        expirationSeconds: 600,
      }),
    ),
    refreshAtFraction: opts.refreshAtFraction,
    metrics,
    logger,
  });
}

function apiWith(credential: OidcCredential): CloudDigitApi {
  return new CloudDigitApi(
    new RestClient({
      endpoint: sandbox.url,
      project: "oidc-test",
      credential,
      limiters: new RateLimiterRegistry(),
      metrics,
      logger,
    }),
  );
}

async function refreshCount(result: "success" | "failure"): Promise<number> {
  const m = await registry.getSingleMetric("clouddigit_token_refresh_total")?.get();
  return m?.values.find((v) => v.labels.result === result)?.value ?? 0;
}

beforeAll(async () => {
  const cluster = testCluster();
  const kc = cluster.kubeConfig();
  core = kc.makeApiClient(k8s.CoreV1Api);
  namespace = await createNamespace(kc, "client-oidc");
  for (const name of ["operator", "intruder"]) {
    await core.createNamespacedServiceAccount({ namespace, body: { metadata: { name } } });
  }
  keycloak = await startKeycloak({ trustedCaPem: cluster.caCertPem });
  realm = await keycloak.createRealm({
    name: "clouddigit",
    kubernetesIssuer: cluster.issuer,
    clients: [{ clientId: CLIENT_ID, serviceAccount: { namespace, name: "operator" } }],
    apiAudience: API_AUDIENCE,
    accessTokenLifespanSeconds: TOKEN_LIFESPAN_SECONDS,
  });
  // The sandbox trusts the realm: signature via its JWKS, issuer, and our audience in `aud` only.
  sandbox = await startSandbox({
    inspectPort: false,
    oidc: { issuer: realm.issuer, audience: API_AUDIENCE, acceptAzpAsAudience: false },
  });
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
  await keycloak?.stop();
});

describe("OIDC workload identity through a real Keycloak", () => {
  it("exchanges a TokenRequest service-account token for an access token the sandbox accepts", async () => {
    const credential = credentialFor("operator");
    const api = apiWith(credential);
    const regions = await api.regions();
    expect(regions.map((r) => r.name)).toContain("bd-dha-1");
    const vpc = await api.network.vpcs.create(
      { name: "oidc-vpc", cidr: "10.10.0.0/16" },
      { idempotencyKey: "oidc-vpc-1" },
    );
    expect(vpc.id).toMatch(/^vpc_/);

    const accessToken = await credential.accessToken();
    secretsSeen.add(accessToken);
    const claims = JSON.parse(Buffer.from(accessToken.split(".")[1] ?? "", "base64url").toString("utf8")) as {
      iss: string;
      aud: string | string[];
      azp: string;
    };
    expect(claims.iss).toBe(realm.issuer);
    expect([claims.aud].flat()).toContain(API_AUDIENCE);
    expect(claims.azp).toBe(CLIENT_ID);

    const calls = sandbox.calls({ method: "POST" });
    expect(calls.at(-1)).toMatchObject({
      status: 202,
      token: expect.stringMatching(/^oidc:clouddigit-operator:/) as unknown,
    });
  });

  it("refreshes before expiry, so calls keep working across token lifetimes", async () => {
    const credential = credentialFor("operator");
    const api = apiWith(credential);
    const before = await refreshCount("success");
    const tokens = new Set<string>();
    const deadline = Date.now() + TOKEN_LIFESPAN_SECONDS * 2.5 * 1000;
    let calls = 0;
    while (Date.now() < deadline) {
      await api.network.vpcs.list({ limit: 10 });
      const t = await credential.accessToken();
      tokens.add(t);
      secretsSeen.add(t);
      calls++;
      await new Promise((r) => setTimeout(r, 500));
    }
    expect(calls).toBeGreaterThan(10);
    // Refreshed at 80% of each 6 s lifetime: at least three distinct tokens in 15 s.
    expect(tokens.size).toBeGreaterThanOrEqual(3);
    expect((await refreshCount("success")) - before).toBe(tokens.size);
    const refused = sandbox.calls({ status: 401 });
    expect(refused).toEqual([]);
  });

  it("an expired access token is refused by the sandbox; the client refreshes once and succeeds", async () => {
    // Never refresh proactively, so the cached token expires while the client still holds it.
    const credential = credentialFor("operator", { refreshAtFraction: 10 });
    const api = apiWith(credential);
    await api.network.vpcs.list();
    const stale = await credential.accessToken();
    secretsSeen.add(stale);
    await new Promise((r) => setTimeout(r, (TOKEN_LIFESPAN_SECONDS + 1) * 1000));
    const since = Date.now();
    await api.network.vpcs.list();
    const after = sandbox.calls({ since }).map((c) => c.status);
    expect(after).toEqual([401, 200]);
    const fresh = await credential.accessToken();
    secretsSeen.add(fresh);
    expect(fresh).not.toBe(stale);
  });

  it("the operator's own identity: a projected token file, re-read on every exchange", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "cd-projected-"));
    const tokenFile = path.join(dir, "token");
    const issue = async (): Promise<string> => {
      const res = await core.createNamespacedServiceAccountToken({
        name: "operator",
        namespace,
        body: { spec: { audiences: [realm.issuer], expirationSeconds: 600 } },
      });
      const t = res.status?.token ?? "";
      secretsSeen.add(t);
      return t;
    };
    try {
      writeFileSync(tokenFile, await issue());
      const factory = new ClientFactory({ registry: new Registry(), logger });
      const credential = factory.oidcCredential({
        issuerUrl: realm.issuer,
        clientId: CLIENT_ID,
        subject: { tokenFile },
      });
      const client = factory.create({
        region: "bd-dha-1",
        project: "oidc-test",
        endpoints: { api: sandbox.url },
        credential,
      });
      expect((await client.api.regions()).length).toBeGreaterThan(0);
      const first = await credential.accessToken();
      secretsSeen.add(first);
      // The kubelet rotates the file; the next exchange must use the new content.
      writeFileSync(tokenFile, "not-a-service-account-token");
      credential.invalidate();
      const refused = (await client.api.regions().catch((e: unknown) => e)) as CloudDigitError;
      expect(refused).toMatchObject({ kind: "unauthenticated" });
      expect(refused.message).toContain(`projected service-account token file ${tokenFile}`);
      writeFileSync(tokenFile, await issue());
      credential.invalidate();
      expect((await client.api.regions()).length).toBeGreaterThan(0);
      const second = await credential.accessToken();
      secretsSeen.add(second);
      expect(second).not.toBe(first);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a token of the wrong ServiceAccount with a clear error", async () => {
    const api = apiWith(credentialFor("intruder"));
    const err = await api.network.vpcs.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudDigitError);
    const e = err as CloudDigitError;
    expect(e.kind).toBe("unauthenticated");
    expect(e.terminal).toBe(true);
    expect(e.message).toContain(`ServiceAccount ${namespace}/intruder`);
    expect(e.message).toContain(CLIENT_ID);
    for (const s of secretsSeen) expect(e.message).not.toContain(s);
  });

  it("refuses a token with the wrong audience with a clear error", async () => {
    const api = apiWith(credentialFor("operator", { audience: "https://not-the-realm.example" }));
    const err = await api.network.vpcs.list().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudDigitError);
    expect((err as CloudDigitError).kind).toBe("unauthenticated");
    expect((err as CloudDigitError).message).toContain("audience is the realm URL");
  });

  it("never logged a token", () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(secretsSeen.size).toBeGreaterThan(3);
    const all = logLines.join("");
    for (const secret of secretsSeen) {
      expect(all.includes(secret)).toBe(false);
      // Nor its signature part alone.
      expect(all.includes(secret.split(".")[2] ?? secret)).toBe(false);
    }
  });
});
