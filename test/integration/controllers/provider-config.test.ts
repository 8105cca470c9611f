// ProviderConfig handling against the real apiserver and the sandbox: a missing config gives a
// clear condition and heals when the config appears, never blocks deleting an object that has
// nothing in the cloud, and a rotated API token is picked up without a restart.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resourceType } from "../../../src/controllers/kube/resources.ts";
import type { KubeObject } from "../../../src/runtime/resource.ts";
import {
  applyProviderConfig,
  sampleObjects,
  SAMPLE_PROJECT,
  SAMPLE_TOKEN,
  startEnv,
  type Env,
} from "./support.ts";

let env: Env;

beforeAll(async () => {
  env = await startEnv("providercfg", { resync: 2_000 });
  await applyProviderConfig(env);
});

afterAll(async () => {
  await env?.stop();
});

interface ConfigStatus {
  endpoints?: { api?: string };
  conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
}

const readyOf = (status: ConfigStatus | undefined) => status?.conditions?.find((c) => c.type === "Ready");

const vpc = (name: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: "clouddigit.ai/v1alpha1",
  kind: "VPC",
  metadata: { name },
  spec,
});

/** The sample ProviderConfig under another name, reading its API token from `secret`. */
function sampleConfigWithSecret(name: string, secret: string): KubeObject {
  const sample = sampleObjects(env.sandbox.url).find((o) => o.kind === "ProviderConfig");
  if (!sample) throw new Error("the samples have no ProviderConfig");
  const spec = structuredClone(sample.spec) as {
    credentials: { apiToken: { secretRef: { name: string } } };
  };
  spec.credentials.apiToken.secretRef.name = secret;
  return { ...sample, metadata: { name }, spec };
}

describe("ProviderConfig", () => {
  it("reports its endpoints and whether its credentials work", async () => {
    const pcResource = resourceType("ProviderConfig");
    const status = async (name: string) =>
      ((await env.client.get(pcResource, env.namespace, name)) as { status?: ConfigStatus }).status;
    await env.waitFor("default Ready", async () => readyOf(await status("default"))?.status === "True");
    expect((await status("default"))?.endpoints?.api).toBe(env.sandbox.url);
    expect(readyOf(await status("default"))?.reason).toBe("CredentialsValid");

    await env.apply(sampleConfigWithSecret("broken", "does-not-exist"));
    await env.waitFor("broken Ready=False", async () => readyOf(await status("broken"))?.status === "False");
    expect(readyOf(await status("broken"))?.message).toContain(`Secret "${env.namespace}/does-not-exist"`);
  });

  it("a missing config gives a clear condition and does not block deleting the object", async () => {
    await env.apply(vpc("no-config", { cidr: "10.1.0.0/16", providerConfigRef: { name: "missing" } }));
    await env.waitCondition("VPC", "no-config", "Ready", "False", "ProviderConfigNotReady");
    const ready = await env.condition("VPC", "no-config", "Ready");
    expect(ready?.message).toContain('ProviderConfig "missing"');
    expect((await env.get("VPC", "no-config"))?.metadata.finalizers ?? []).toEqual([]);
    await env.remove("VPC", "no-config");
    await env.waitGone("VPC", "no-config");
  });

  it("an object waiting for its config proceeds by itself once the config is created", async () => {
    await env.apply(vpc("later", { cidr: "10.2.0.0/16", providerConfigRef: { name: "later" } }));
    await env.waitCondition("VPC", "later", "Ready", "False", "ProviderConfigNotReady");
    const sample = sampleObjects(env.sandbox.url).find((o) => o.kind === "ProviderConfig");
    if (!sample) throw new Error("the samples have no ProviderConfig");
    await env.apply({ ...sample, metadata: { name: "later" } });
    await env.waitCondition("VPC", "later", "Ready", "True");
  });

  it("is not Ready when its token may not use its project, though the token itself is valid", async () => {
    const pcResource = resourceType("ProviderConfig");
    const status = async (name: string) =>
      ((await env.client.get(pcResource, env.namespace, name)) as { status?: ConfigStatus }).status;
    const other = "cd_other_project_token";
    env.sandbox.addToken({ token: other, projects: ["someone-else"], name: "other-project" });
    await env.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "other-project" },
      stringData: { token: other },
    });
    await env.apply(sampleConfigWithSecret("wrong-project", "other-project"));
    await env.waitFor(
      "wrong-project Ready=False",
      async () => readyOf(await status("wrong-project"))?.status === "False",
    );
    const ready = readyOf(await status("wrong-project"));
    expect(ready?.reason).toBe("Forbidden");
    expect(ready?.message).toContain(`not valid for project ${SAMPLE_PROJECT}`);
  });

  it("names a deletion the cloud refuses in DeletionsStalled on the config, and clears it when the deletion completes", async () => {
    const pcResource = resourceType("ProviderConfig");
    const condition = async () =>
      (
        (await env.client.get(pcResource, env.namespace, "read-only")) as { status?: ConfigStatus }
      ).status?.conditions?.find((c) => c.type === "DeletionsStalled");
    env.sandbox.addToken({
      token: "cd_read_only_token",
      projects: [SAMPLE_PROJECT],
      name: "ro",
      readOnly: true,
    });
    await env.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "read-only" },
      stringData: { token: "cd_read_only_token" },
    });
    await env.apply(sampleConfigWithSecret("read-only", "read-only"));
    await env.waitFor("read-only config checked", async () => (await condition())?.status === "False");
    // Created with the writable default config, then handed to the read-only one and deleted.
    await env.apply(vpc("refused", { cidr: "10.4.0.0/16" }));
    await env.waitCondition("VPC", "refused", "Ready", "True");
    await env.apply(vpc("refused", { cidr: "10.4.0.0/16", providerConfigRef: { name: "read-only" } }));
    await env.remove("VPC", "refused");
    await env.waitFor("DeletionsStalled=True", async () => (await condition())?.status === "True");
    expect((await condition())?.message).toContain(`${env.namespace}/VPC/refused: Forbidden`);
    await env
      .apply(vpc("refused", { cidr: "10.4.0.0/16", providerConfigRef: { name: "default" } }))
      .catch(() => undefined);
    await env.waitGone("VPC", "refused");
    await env.waitFor("DeletionsStalled=False", async () => (await condition())?.status === "False");
  });

  it("a rotated API token in the Secret is picked up without a restart", async () => {
    await env.apply(vpc("rotated", { cidr: "10.3.0.0/16", tags: { v: "1" } }));
    await env.waitCondition("VPC", "rotated", "Ready", "True");
    const rotated = "cd_rotated_token_value";
    env.sandbox.addToken({ token: rotated, projects: [SAMPLE_PROJECT], name: "rotated" });
    await env.apply({
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "clouddigit-credentials" },
      stringData: { token: rotated },
    });
    env.sandbox.removeToken(SAMPLE_TOKEN);
    env.sandbox.resetCalls();
    await env.apply(vpc("rotated", { cidr: "10.3.0.0/16", tags: { v: "2" } }));
    const id = (await env.get("VPC", "rotated"))?.status?.id ?? "";
    await env.waitFor("tags updated with the new token", async () => {
      const tags = (env.sandbox.state.get(id) as { tags?: Record<string, string> } | undefined)?.tags;
      return tags?.v === "2";
    });
    const patches = env.sandbox.calls({ method: "PATCH" }).filter((c) => c.status === 200);
    expect(patches.map((c) => c.token)).toContain("rotated");
    await env.waitCondition("VPC", "rotated", "Synced", "True");
  });
});
