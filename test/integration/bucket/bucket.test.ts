// Acceptance of the Bucket controller: the operator in-process against the real apiserver and a
// real S3 server (versitygw). Every setting is checked on the server with an independent AWS SDK
// client; what the operator sent is checked in the counting proxy's request log.
// Drift resync is 3 s and the slow retry of stalled objects 4 s, so timers are observable here.
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadBucketCommand,
  ListObjectVersionsCommand,
  PutBucketTaggingCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CONFIG_MAP_RESOURCE } from "../../../src/controllers/kube/resources.ts";
import { SECRET_RESOURCE } from "../../../src/controllers/kube/resources.ts";
import { bucket, requestsTo, startBucketEnv, writesTo, type BucketEnv } from "./support.ts";

let env: BucketEnv;
const run = Date.now().toString(36);
const cloudName = (short: string) => `acc-${short}-${run}`;

beforeAll(async () => {
  env = await startBucketEnv("bucket", { resync: 3_000, stalledRetryMs: 4_000 });
});

afterAll(async () => {
  await env?.stop();
});

async function tagsOf(name: string): Promise<Record<string, string>> {
  try {
    const out = await env.s3.send(new GetBucketTaggingCommand({ Bucket: name }));
    return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
  } catch (err) {
    if ((err as { name?: string }).name?.startsWith("NoSuchTagSet")) return {};
    throw err;
  }
}

async function policyOf(name: string): Promise<unknown> {
  const out = await env.s3.send(new GetBucketPolicyCommand({ Bucket: name }));
  return JSON.parse(out.Policy ?? "null");
}

async function versioningOf(name: string): Promise<string> {
  return (await env.s3.send(new GetBucketVersioningCommand({ Bucket: name }))).Status ?? "Disabled";
}

async function bucketExists(name: string): Promise<boolean> {
  try {
    await env.s3.send(new HeadBucketCommand({ Bucket: name }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

function readPolicy(bucketName: string, sid: string) {
  return {
    Version: "2012-10-17",
    Statement: [
      {
        Sid: sid,
        Effect: "Allow",
        Principal: { AWS: ["*"] },
        Action: ["s3:GetObject"],
        Resource: [`arn:aws:s3:::${bucketName}/*`],
      },
    ],
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("a bucket with versioning, Object Lock, tags and policy", () => {
  const name = cloudName("locked");
  const spec = (tags: Record<string, string>, sid: string) => ({
    bucketName: name,
    versioning: "Enabled",
    objectLock: { mode: "GOVERNANCE", days: 1 },
    tags,
    policy: readPolicy(name, sid),
    outputs: { configMapName: "locked-s3", secretName: "locked-s3-keys" },
  });

  it("is created with every setting in place on the S3 server", async () => {
    await env.apply(bucket("locked", spec({ team: "payments", env: "test" }, "read-v1")));
    await env.waitCondition("locked", "Ready", "True");
    const object = await env.get("locked");
    expect(object?.status?.id).toBe(name);

    expect(await versioningOf(name)).toBe("Enabled");
    const lock = await env.s3.send(new GetObjectLockConfigurationCommand({ Bucket: name }));
    expect(lock.ObjectLockConfiguration?.ObjectLockEnabled).toBe("Enabled");
    expect(lock.ObjectLockConfiguration?.Rule?.DefaultRetention).toMatchObject({
      Mode: "GOVERNANCE",
      Days: 1,
    });
    expect(await tagsOf(name)).toEqual({
      team: "payments",
      env: "test",
      "clouddigit.ai/owner": object?.metadata.uid,
      "clouddigit.ai/installation": expect.stringMatching(/^cluster-/) as unknown,
      "clouddigit.ai/kind": "Bucket",
      "clouddigit.ai/name": `${env.namespace}/locked`,
    });
    expect(await policyOf(name)).toMatchObject({
      Statement: [{ Sid: "read-v1", Effect: "Allow", Action: ["s3:GetObject"] }],
    });
    expect(object?.status?.atProvider).toMatchObject({
      bucketName: name,
      versioning: "Enabled",
      objectLockEnabled: true,
      region: env.s3Server.region,
    });
    const types = (object?.status?.conditions ?? []).filter(
      (c) => c.type.endsWith("Synced") && c.type !== "Synced",
    );
    expect(types.map((c) => `${c.type}=${c.status}`).sort()).toEqual([
      "ObjectLockSynced=True",
      "OutputsSynced=True",
      "PolicySynced=True",
      "TagsSynced=True",
      "VersioningSynced=True",
    ]);
    // CreateBucket carried the Object Lock header.
    const creates = env.proxy.requests.filter(
      (r) => r.method === "PUT" && r.path === `/${name}` && r.query.length === 0,
    );
    expect(creates.map((r) => r.objectLockHeader)).toEqual(["true"]);
  });

  it("publishes a ConfigMap and a Secret owned by the Bucket that a workload can use", async () => {
    const object = await env.get("locked");
    const cm = (await env.getOther(CONFIG_MAP_RESOURCE, "locked-s3")) as
      | { data?: Record<string, string>; metadata: { ownerReferences?: { uid?: string; kind?: string }[] } }
      | undefined;
    expect(cm?.data).toEqual({
      endpoint: env.proxy.url,
      region: env.s3Server.region,
      bucketName: name,
      addressingStyle: "path",
    });
    expect(cm?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: "Bucket", uid: object?.metadata.uid, controller: true }),
    ]);
    const secret = (await env.getOther(SECRET_RESOURCE, "locked-s3-keys")) as
      { data?: Record<string, string>; metadata: { ownerReferences?: { uid?: string }[] } } | undefined;
    expect(Object.keys(secret?.data ?? {}).sort()).toEqual(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]);
    expect(secret?.metadata.ownerReferences?.[0]?.uid).toBe(object?.metadata.uid);
    // A workload configured only from the outputs reaches the bucket.
    const decode = (v: string | undefined) => Buffer.from(v ?? "", "base64").toString("utf8");
    const workload = new S3Client({
      endpoint: env.s3Server.endpoint,
      region: cm?.data?.region ?? "",
      forcePathStyle: cm?.data?.addressingStyle === "path",
      credentials: {
        accessKeyId: decode(secret?.data?.AWS_ACCESS_KEY_ID),
        secretAccessKey: decode(secret?.data?.AWS_SECRET_ACCESS_KEY),
      },
      requestChecksumCalculation: "WHEN_REQUIRED",
      responseChecksumValidation: "WHEN_REQUIRED",
    });
    try {
      await workload.send(
        new PutObjectCommand({ Bucket: cm?.data?.bucketName, Key: "hello.txt", Body: "hi" }),
      );
      const got = await workload.send(new GetObjectCommand({ Bucket: name, Key: "hello.txt" }));
      expect(await got.Body?.transformToString()).toBe("hi");
    } finally {
      workload.destroy();
    }
  });

  it("resyncs read the bucket but rewrite nothing that already matches", async () => {
    const from = env.proxy.requests.length;
    await sleep(7_000); // two drift resyncs at 3 s
    const since = env.proxy.requests.slice(from);
    console.info(
      `[bucket] requests for ${name} over two resyncs: ${JSON.stringify(requestsTo(since, name))}`,
    );
    expect(requestsTo(since, name).length).toBeGreaterThan(0);
    expect(writesTo(since, name)).toEqual([]);
  });

  it("applies changed tags and policy", async () => {
    await env.apply(bucket("locked", spec({ team: "ledger" }, "read-v2")));
    await env.waitFor("new tags on the server", async () => (await tagsOf(name)).team === "ledger");
    await env.waitFor("new policy on the server", async () =>
      JSON.stringify(await policyOf(name)).includes("read-v2"),
    );
    const tags = await tagsOf(name);
    expect(tags.env).toBeUndefined();
    expect(Object.keys(tags).sort()).toEqual([
      "clouddigit.ai/installation",
      "clouddigit.ai/kind",
      "clouddigit.ai/name",
      "clouddigit.ai/owner",
      "team",
    ]);
    await env.waitFor("Ready for the new generation", async () => {
      const o = await env.get("locked");
      const ready = o?.status?.conditions?.find((c) => c.type === "Ready");
      return ready?.status === "True" && ready.observedGeneration === o?.metadata.generation;
    });
  });

  it("repairs drift made outside Kubernetes", async () => {
    await env.s3.send(
      new PutBucketTaggingCommand({
        Bucket: name,
        Tagging: { TagSet: [{ Key: "team", Value: "intruder" }] },
      }),
    );
    await env.waitFor("tags restored", async () => (await tagsOf(name)).team === "ledger", 30_000);
    expect((await tagsOf(name))["clouddigit.ai/owner"]).toBe((await env.get("locked"))?.metadata.uid);
    await env.waitEvent("locked", "DriftDetected");
  });

  it("deleting a bucket with objects waits with a clear condition, and completes once it is emptied", async () => {
    await env.s3.send(new PutObjectCommand({ Bucket: name, Key: "report.csv", Body: "a,b\n" }));
    await env.remove("locked");
    await env.waitCondition("locked", "Ready", "False", "BucketNotEmpty");
    const ready = await env.condition("locked", "Ready");
    expect(ready?.message).toContain(`bucket ${name} is not empty`);
    expect(ready?.message).toContain("emptyBeforeDelete");
    expect(await bucketExists(name)).toBe(true);
    expect(writesTo(env.proxy.requests, name).filter((w) => w.startsWith("POST"))).toEqual([]);

    // The user empties it; the versions are under GOVERNANCE retention, which only they may bypass.
    const versions = await env.s3.send(new ListObjectVersionsCommand({ Bucket: name }));
    for (const v of [...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])]) {
      await env.s3.send(
        new DeleteObjectCommand({
          Bucket: name,
          Key: v.Key,
          VersionId: v.VersionId,
          BypassGovernanceRetention: true,
        }),
      );
    }
    await env.waitGone("locked");
    expect(await bucketExists(name)).toBe(false);
    await env.waitEvent("locked", "Deleted");
  });
});

describe("versioning and unsupported settings", () => {
  const name = cloudName("plain");

  it("suspends versioning", async () => {
    await env.apply(bucket("plain", { bucketName: name, versioning: "Enabled", tags: { app: "web" } }));
    await env.waitCondition("plain", "Ready", "True");
    expect(await versioningOf(name)).toBe("Enabled");
    await env.apply(bucket("plain", { bucketName: name, versioning: "Suspended", tags: { app: "web" } }));
    await env.waitFor(
      "versioning suspended on the server",
      async () => (await versioningOf(name)) === "Suspended",
    );
    await env.waitFor("Ready reports Suspended", async () => {
      const o = await env.get("plain");
      return (
        o?.status?.atProvider?.versioning === "Suspended" &&
        o.status.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true
      );
    });
  });

  it("a setting the server does not implement is a condition on that field, not a loop", async () => {
    await env.apply(
      bucket("plain", {
        bucketName: name,
        versioning: "Suspended",
        tags: { app: "api" },
        lifecycle: { rules: [{ id: "expire-tmp", prefix: "tmp/", expirationDays: 7 }] },
        publicAccessBlock: {},
      }),
    );
    await env.waitCondition("plain", "LifecycleSynced", "False", "NotImplemented");
    await env.waitCondition("plain", "PublicAccessBlockSynced", "False", "NotImplemented");
    await env.waitCondition("plain", "Stalled", "True", "NotImplemented");
    const lifecycle = await env.condition("plain", "LifecycleSynced");
    expect(lifecycle?.message).toContain("NotImplemented");
    // The other settings still converged.
    await env.waitFor("tags applied despite lifecycle", async () => (await tagsOf(name)).app === "api");
    expect((await env.condition("plain", "TagsSynced"))?.status).toBe("True");

    const from = env.proxy.requests.length;
    await sleep(6_000); // past one slow retry (4 s) and two resync periods (3 s)
    const since = env.proxy.requests.slice(from);
    const lifecycleCalls = requestsTo(since, name).filter(
      (r) => r.includes("lifecycle") || r.includes("publicAccessBlock"),
    );
    console.info(`[bucket] lifecycle calls in 6 s while stalled: ${JSON.stringify(lifecycleCalls)}`);
    // A stalled object is looked at again only on the slow timer: at most two reads each, no writes.
    expect(lifecycleCalls.length).toBeLessThanOrEqual(4);
    expect(writesTo(since, name)).toEqual([]);

    await env.apply(bucket("plain", { bucketName: name, versioning: "Suspended", tags: { app: "api" } }));
    await env.waitCondition("plain", "Ready", "True");
    const types = (await env.get("plain"))?.status?.conditions?.map((c) => c.type) ?? [];
    expect(types).not.toContain("LifecycleSynced");
    expect(types).not.toContain("PublicAccessBlockSynced");
  });

  it("emptyBeforeDelete empties a versioned bucket and deletes it", async () => {
    await env.apply(
      bucket("plain", {
        bucketName: name,
        versioning: "Suspended",
        tags: { app: "api" },
        emptyBeforeDelete: true,
      }),
    );
    await env.waitFor("generation observed", async () => {
      const o = await env.get("plain");
      return o?.status?.observedGeneration === o?.metadata.generation;
    });
    for (const key of ["a.txt", "b.txt", "dir/c.txt"]) {
      await env.s3.send(new PutObjectCommand({ Bucket: name, Key: key, Body: key }));
    }
    await env.remove("plain");
    await env.waitGone("plain");
    expect(await bucketExists(name)).toBe(false);
    await env.waitEvent("plain", "EmptyingBucket");
  });
});

describe("emptyBeforeDelete never bypasses Object Lock retention", () => {
  const name = cloudName("retained");

  it("waits with ObjectsRetained while governance-locked versions remain", async () => {
    await env.apply(
      bucket("retained", {
        bucketName: name,
        versioning: "Enabled",
        objectLock: { mode: "GOVERNANCE", days: 1 },
        emptyBeforeDelete: true,
      }),
    );
    await env.waitCondition("retained", "Ready", "True");
    await env.s3.send(new PutObjectCommand({ Bucket: name, Key: "locked.bin", Body: "x" }));
    await env.remove("retained");
    await env.waitCondition("retained", "Ready", "False", "ObjectsRetained");
    expect((await env.condition("retained", "Ready"))?.message).toContain("never bypasses");
    const versions = await env.s3.send(new ListObjectVersionsCommand({ Bucket: name }));
    expect(versions.Versions?.map((v) => v.Key)).toEqual(["locked.bin"]);

    for (const v of versions.Versions ?? []) {
      await env.s3.send(
        new DeleteObjectCommand({
          Bucket: name,
          Key: v.Key,
          VersionId: v.VersionId,
          BypassGovernanceRetention: true,
        }),
      );
    }
    await env.waitGone("retained");
    expect(await bucketExists(name)).toBe(false);
  });
});

describe("policies, import and ownership", () => {
  it("a policy nested thousands of levels deep stalls naming the field instead of crashing, and deletes", async () => {
    const name = cloudName("deep");
    let value: unknown = "vpc-1";
    for (let i = 0; i < 3_000; i++) value = { x: value };
    await env.apply(
      bucket("deep", {
        bucketName: name,
        policy: {
          Statement: [
            {
              Effect: "Allow",
              Action: "s3:GetObject",
              Condition: { StringEquals: { "aws:SourceVpc": value } },
            },
          ],
        },
      }),
    );
    await env.waitCondition("deep", "Stalled", "True", "InvalidSpec");
    const ready = await env.condition("deep", "Ready");
    expect(ready?.message).toContain("spec.policy.Statement[0].Condition.StringEquals.aws:SourceVpc.x");
    expect(await bucketExists(name)).toBe(false);
    await env.remove("deep");
    await env.waitGone("deep");
  });

  it("deletionPolicy Orphan keeps the bucket", async () => {
    const name = cloudName("orphan");
    await env.apply(bucket("orphan", { bucketName: name, deletionPolicy: "Orphan" }));
    await env.waitCondition("orphan", "Ready", "True");
    await env.remove("orphan");
    await env.waitGone("orphan");
    expect(await bucketExists(name)).toBe(true);
    await env.waitEvent("orphan", "Orphaned");
  });

  it("importID adopts an existing bucket, manages its settings and deletes it with the object", async () => {
    const name = cloudName("imported");
    await env.s3.send(new CreateBucketCommand({ Bucket: name }));
    await env.s3.send(
      new PutBucketTaggingCommand({
        Bucket: name,
        Tagging: { TagSet: [{ Key: "origin", Value: "manual" }] },
      }),
    );
    await env.apply(bucket("imported", { importID: name, tags: { team: "data" }, versioning: "Enabled" }));
    await env.waitCondition("imported", "Ready", "True");
    expect((await env.get("imported"))?.status?.id).toBe(name);
    expect(await versioningOf(name)).toBe("Enabled");
    const tags = await tagsOf(name);
    expect(tags.team).toBe("data");
    expect(tags.origin).toBeUndefined();
    expect(tags["clouddigit.ai/owner"]).toBe((await env.get("imported"))?.metadata.uid);
    await env.waitEvent("imported", "Imported");
    await env.remove("imported");
    await env.waitGone("imported");
    expect(await bucketExists(name)).toBe(false);
  });

  it("ObserveOnly reports the bucket and writes nothing to it, not even to fix drift", async () => {
    const name = cloudName("observed");
    await env.s3.send(new CreateBucketCommand({ Bucket: name }));
    await env.s3.send(
      new PutBucketTaggingCommand({
        Bucket: name,
        Tagging: { TagSet: [{ Key: "owner", Value: "someone" }] },
      }),
    );
    const from = env.proxy.requests.length;
    await env.apply(
      bucket("observed", {
        bucketName: name,
        managementPolicy: "ObserveOnly",
        versioning: "Enabled",
        tags: { owner: "us" },
        policy: readPolicy(name, "observe"),
      }),
    );
    await env.waitCondition("observed", "Ready", "True");
    const object = await env.get("observed");
    expect(object?.status?.atProvider).toMatchObject({ bucketName: name, versioning: "Disabled" });
    expect(object?.metadata.finalizers ?? []).toEqual([]);
    await sleep(4_000); // past a drift resync
    await env.remove("observed");
    await env.waitGone("observed");

    const since = env.proxy.requests.slice(from);
    console.info(`[bucket] ObserveOnly requests: ${JSON.stringify(requestsTo(since, name))}`);
    expect(requestsTo(since, name).length).toBeGreaterThan(0);
    expect(writesTo(since, name)).toEqual([]);
    expect(await bucketExists(name)).toBe(true);
    expect(await tagsOf(name)).toEqual({ owner: "someone" });
    expect(await versioningOf(name)).toBe("Disabled");
  });

  it("refuses to take over a bucket another object owns, and leaves it alone on deletion", async () => {
    const name = cloudName("foreign");
    await env.s3.send(new CreateBucketCommand({ Bucket: name }));
    await env.s3.send(
      new PutBucketTaggingCommand({
        Bucket: name,
        Tagging: { TagSet: [{ Key: "clouddigit.ai/owner", Value: "another-uid" }] },
      }),
    );
    const from = env.proxy.requests.length;
    await env.apply(bucket("foreign", { bucketName: name, tags: { mine: "yes" } }));
    await env.waitCondition("foreign", "Stalled", "True", "BucketOwnedElsewhere");
    const message = (await env.condition("foreign", "Ready"))?.message ?? "";
    expect(message).toContain("another-uid");
    expect(message).toContain("importID");
    await env.remove("foreign");
    await env.waitGone("foreign");
    expect(writesTo(env.proxy.requests.slice(from), name)).toEqual([]);
    expect(await tagsOf(name)).toEqual({ "clouddigit.ai/owner": "another-uid" });
  });

  it("adopts a bucket it created before a crash, found by its ownership tag, without creating it again", async () => {
    const name = cloudName("adopted");
    await env.apply(
      bucket("adopted", { bucketName: name, tags: { a: "b" } }, { "clouddigit.ai/paused": "true" }),
    );
    await env.waitCondition("adopted", "Synced", "False", "ReconcilePaused");
    const uid = (await env.get("adopted"))?.metadata.uid ?? "";
    // As if CreateBucket and the ownership tag had happened just before a crash.
    await env.s3.send(new CreateBucketCommand({ Bucket: name }));
    await env.s3.send(
      new PutBucketTaggingCommand({
        Bucket: name,
        Tagging: { TagSet: [{ Key: "clouddigit.ai/owner", Value: uid }] },
      }),
    );
    const from = env.proxy.requests.length;
    await env.apply(bucket("adopted", { bucketName: name, tags: { a: "b" } }));
    await env.waitCondition("adopted", "Ready", "True");
    await env.waitEvent("adopted", "Adopted");
    expect(writesTo(env.proxy.requests.slice(from), name)).not.toContain(`PUT /${name}`);
    expect((await tagsOf(name)).a).toBe("b");
    await env.remove("adopted");
    await env.waitGone("adopted");
    expect(await bucketExists(name)).toBe(false);
  });
});
