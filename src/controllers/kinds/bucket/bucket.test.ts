// The Bucket actuator on the generic reconciler, against an in-memory S3 server.
import { Registry } from "prom-client";
import { beforeEach, describe, expect, it } from "vitest";
import { bucketSpec } from "../../../crds/bucket.ts";
import type { ManagedObject, ManagedStatus } from "../../generic/actuator.ts";
import { ResourceMetrics } from "../../generic/metrics.ts";
import type { MetadataPatch, OutputWrite, OutputWriter, ProviderResolver } from "../../generic/ports.ts";
import { CREATE_PENDING_ANNOTATION, FINALIZER, ManagedReconciler } from "../../generic/reconciler.ts";
import type { Provider } from "../../provider/resolver.ts";
import { FakeS3 } from "../../testing/fake-s3.ts";
import { fakeS3Target, TEST_INSTALLATION } from "../../testing/harness.ts";
import { bucketActuator, type BucketObject } from "./actuator.ts";

const NS = "team";
const UID = "uid-1";

class World {
  objects = new Map<string, BucketObject>();
  events: string[] = [];
  metadataPatches: MetadataPatch[] = [];
  statusWrites = 0;
  s3 = new FakeS3();
  outputs: { kind: string; name: string; data: Record<string, string> }[] = [];
  workloadKeys = true;
  /** When set, the ProviderConfig does not resolve (missing, broken credentials). */
  providerProblem: string | undefined;
  clock = 1_000_000;
  /** A cache copy that does not show later writes (a lagging informer). */
  frozen: BucketObject | undefined;
  registry = new Registry();
  metrics = new ResourceMetrics(this.registry);
  private rv = 1;

  put(name: string, spec: Record<string, unknown>, extra: Partial<BucketObject["metadata"]> = {}): void {
    this.objects.set(name, {
      apiVersion: "clouddigit.ai/v1alpha1",
      kind: "Bucket",
      metadata: {
        name,
        namespace: NS,
        uid: UID,
        generation: 1,
        resourceVersion: String(this.rv++),
        ...extra,
      },
      spec: bucketSpec.parse(spec),
    });
  }

  get(name: string): BucketObject {
    const o = this.objects.get(name);
    if (!o) throw new Error(`no object ${name}`);
    return o;
  }

  condition(name: string, type: string) {
    return this.objects.get(name)?.status?.conditions?.find((c) => c.type === type);
  }

  reconciler(): ManagedReconciler {
    const target = fakeS3Target(this.s3, this.workloadKeys);
    const providers: ProviderResolver<Provider> = {
      resolve: () =>
        Promise.resolve(
          this.providerProblem
            ? { ok: false, reason: "ProviderConfigNotFound", message: this.providerProblem }
            : {
                ok: true,
                provider: { rest: undefined as never, s3: () => Promise.resolve(target) },
                fingerprint: "pc@1",
                scope: "test-project@bd-dha",
              },
        ),
      peekFingerprint: () => (this.providerProblem ? "missing" : "pc@1"),
    };
    const outputs: OutputWriter = {
      ensureConfigMap: (_owner, name, data) => this.output("ConfigMap", name, data),
      ensureSecret: (_owner, name, data) => this.output("Secret", name, data),
    };
    const stored = (object: ManagedObject): BucketObject => this.get(object.metadata.name ?? "");
    return new ManagedReconciler({
      actuator: bucketActuator,
      installation: TEST_INSTALLATION,
      cache: {
        get: (_kind, _ns, name) =>
          this.frozen?.metadata.name === name ? this.frozen : this.objects.get(name),
        dependants: () => [],
      },
      writer: {
        writeStatus: (_kind, object, status: ManagedStatus) => {
          this.statusWrites++;
          const o = stored(object);
          o.status = structuredClone(status);
          o.metadata.resourceVersion = String(this.rv++);
          return Promise.resolve(structuredClone(o));
        },
        patchMetadata: (_kind, object, patch: MetadataPatch) => {
          this.metadataPatches.push(patch);
          const o = stored(object);
          if (patch.finalizers) o.metadata.finalizers = patch.finalizers;
          for (const [k, v] of Object.entries(patch.annotations ?? {})) {
            const annotations = { ...o.metadata.annotations };
            if (v === null) delete annotations[k];
            else annotations[k] = v;
            o.metadata.annotations = annotations;
          }
          o.metadata.resourceVersion = String(this.rv++);
          if (o.metadata.deletionTimestamp && (o.metadata.finalizers ?? []).length === 0) {
            this.objects.delete(object.metadata.name ?? "");
          }
          return Promise.resolve(structuredClone(o));
        },
      },
      events: { record: (_kind, _o, type, reason) => this.events.push(`${type} ${reason}`) },
      providers,
      secrets: { read: () => Promise.resolve(undefined) },
      outputs,
      metrics: this.metrics,
      timing: { resyncMs: 60_000, resyncJitter: 0, pollMs: 1_000, stalledRetryMs: 120_000 },
      now: () => this.clock,
      random: () => 0,
    });
  }

  private output(kind: string, name: string, data: Record<string, string>): Promise<OutputWrite> {
    const existing = this.outputs.find((o) => o.kind === kind && o.name === name);
    if (existing) return Promise.resolve("unchanged");
    this.outputs.push({ kind, name, data });
    return Promise.resolve("created");
  }
}

let w: World;
beforeEach(() => {
  w = new World();
});

async function settle(r: ManagedReconciler, name: string, max = 5) {
  let requeue;
  for (let i = 0; i < max; i++) {
    requeue = await r.reconcile(NS, name);
    const ready = w.condition(name, "Ready");
    if (ready?.status === "True" || w.condition(name, "Stalled")?.status === "True") break;
  }
  return requeue;
}

describe("create", () => {
  it("a ProviderConfig that does not resolve is re-checked on the provider timer, not the dependency one", async () => {
    w.providerProblem = 'ProviderConfig "default" in namespace "team" not found';
    w.put("b", { name: "team-b" });
    const requeue = await w.reconciler().reconcile(NS, "b");
    expect(w.condition("b", "Ready")).toMatchObject({ status: "False", reason: "ProviderConfigNotReady" });
    expect(requeue?.requeueAfterMs).toBe(30_000);
    expect(w.s3.calls).toEqual([]);
  });

  it("adds the finalizer and create-pending mark before CreateBucket, records the name, converges, goes quiet", async () => {
    w.put("logs", {
      versioning: "Enabled",
      objectLock: { mode: "GOVERNANCE", days: 3 },
      tags: { team: "a" },
    });
    const r = w.reconciler();
    await r.reconcile(NS, "logs");
    expect(w.metadataPatches[0]).toMatchObject({
      finalizers: [FINALIZER],
      annotations: { [CREATE_PENDING_ANNOTATION]: expect.any(String) as unknown },
    });
    expect(w.s3.calls[1]).toBe("CreateBucket");
    expect(w.s3.buckets.get("logs")?.objectLock).toBe(true);
    expect(w.get("logs").metadata.annotations?.[CREATE_PENDING_ANNOTATION]).toBeUndefined();
    expect(w.get("logs").status?.id).toBe("logs");
    expect(w.condition("logs", "Reconciling")).toMatchObject({ status: "True", reason: "Updating" });

    const requeue = await settle(r, "logs");
    expect(w.condition("logs", "Ready")?.status).toBe("True");
    expect(requeue).toEqual({ requeueAfterMs: 60_000 });
    expect(w.s3.buckets.get("logs")?.tags).toMatchObject({ team: "a", "clouddigit.ai/owner": UID });
    expect(w.events).toContain("Normal Created");
    const gauge = await w.registry.getSingleMetric("clouddigit_managed_resources")?.get();
    const bucketStates = gauge?.values.filter((v) => v.labels.kind === "Bucket");
    expect(Object.fromEntries(bucketStates?.map((v) => [v.labels.state, v.value]) ?? [])).toEqual({
      exists: 1,
      ready: 1,
      synced: 1,
      total: 1,
    });

    // Within the resync period nothing reaches S3 and status is not rewritten.
    const calls = w.s3.calls.length;
    const writes = w.statusWrites;
    await r.reconcile(NS, "logs");
    expect(w.s3.calls.length).toBe(calls);
    expect(w.statusWrites).toBe(writes);
    // After it, the resync reads but writes nothing.
    w.clock += 61_000;
    await r.reconcile(NS, "logs");
    expect(w.s3.calls.length).toBeGreaterThan(calls);
    expect(w.s3.calls.slice(calls).filter((c) => !/^(Get|Head)/.test(c))).toEqual([]);
  });

  it("does not decide on a cached copy older than its own last write", async () => {
    w.put("logs", {});
    w.frozen = structuredClone(w.get("logs"));
    const r = w.reconciler();
    await r.reconcile(NS, "logs");
    expect(w.get("logs").status?.id).toBe("logs");
    const calls = w.s3.calls.length;
    const writes = w.statusWrites + w.metadataPatches.length;
    // The cache still shows the object from before the finalizer, the create and the status.
    expect(await r.reconcile(NS, "logs")).toEqual({ requeueAfterMs: 100 });
    expect(w.s3.calls.length).toBe(calls);
    expect(w.statusWrites + w.metadataPatches.length).toBe(writes);
    w.frozen = undefined;
    await settle(r, "logs");
    expect(w.condition("logs", "Ready")?.status).toBe("True");
    expect(w.s3.calls.filter((c) => c === "CreateBucket")).toHaveLength(1);
  });

  it("a bucket name taken in another account stalls with the server's hint", async () => {
    w.put("logs", {});
    w.s3.failNext("CreateBucket", "invalid", "BucketAlreadyExists");
    const r = w.reconciler();
    await r.reconcile(NS, "logs");
    expect(w.condition("logs", "Stalled")).toMatchObject({ status: "True", reason: "InvalidSpec" });
    expect(w.get("logs").metadata.annotations?.[CREATE_PENDING_ANNOTATION]).toBeUndefined();
  });
});

describe("ownership", () => {
  it("adopts an untagged bucket after a crash between CreateBucket and tagging (create-pending mark)", async () => {
    w.put(
      "logs",
      { tags: { a: "b" } },
      {
        finalizers: [FINALIZER],
        annotations: { [CREATE_PENDING_ANNOTATION]: "2026-01-01T00:00:00Z" },
      },
    );
    await w.s3.createBucket("logs");
    w.s3.calls.length = 0;
    await settle(w.reconciler(), "logs");
    expect(w.s3.calls).not.toContain("CreateBucket");
    expect(w.condition("logs", "Ready")?.status).toBe("True");
    expect(w.events).toContain("Normal Adopted");
    expect(w.get("logs").metadata.annotations?.[CREATE_PENDING_ANNOTATION]).toBeUndefined();
  });

  it("refuses a bucket it did not create: no finalizer, no writes, a condition naming importID", async () => {
    w.put("logs", { tags: { a: "b" } });
    await w.s3.createBucket("logs");
    w.s3.buckets.get("logs")!.tags = { "clouddigit.ai/owner": "other-uid" };
    w.s3.calls.length = 0;
    await w.reconciler().reconcile(NS, "logs");
    const stalled = w.condition("logs", "Stalled");
    expect(stalled).toMatchObject({ status: "True", reason: "BucketOwnedElsewhere" });
    expect(stalled?.message).toContain("other-uid");
    expect(stalled?.message).toContain("importID");
    expect(w.s3.writes()).toEqual([]);
    expect(w.get("logs").metadata.finalizers).toBeUndefined();
  });

  it("importID takes over a bucket whatever its tags say", async () => {
    w.put("imported", { importID: "legacy-logs" });
    await w.s3.createBucket("legacy-logs");
    w.s3.buckets.get("legacy-logs")!.tags = { "clouddigit.ai/owner": "other-uid", keep: "me" };
    await settle(w.reconciler(), "imported");
    expect(w.condition("imported", "Ready")?.status).toBe("True");
    expect(w.s3.buckets.get("legacy-logs")?.tags).toMatchObject({ keep: "me", "clouddigit.ai/owner": UID });
    expect(w.events).toContain("Normal Imported");
  });
});

describe("fields the server cannot apply", () => {
  it("NotImplemented lifecycle: a LifecycleSynced condition and Stalled, retried only on the slow timer", async () => {
    w.s3.unsupported.add("lifecycle");
    w.put("logs", { tags: { a: "b" }, lifecycle: { rules: [{ id: "x", expirationDays: 1 }] } });
    const r = w.reconciler();
    await settle(r, "logs");
    expect(w.condition("logs", "LifecycleSynced")).toMatchObject({
      status: "False",
      reason: "NotImplemented",
    });
    expect(w.condition("logs", "TagsSynced")).toMatchObject({ status: "True" });
    expect(w.condition("logs", "Stalled")).toMatchObject({ status: "True", reason: "NotImplemented" });
    const calls = w.s3.calls.length;
    const requeue = await r.reconcile(NS, "logs");
    expect(requeue).toEqual({ requeueAfterMs: 120_000 });
    expect(w.s3.calls.length).toBe(calls);
  });

  it("a setting the server silently ignores is written three times, then reported as NotConverging", async () => {
    w.put("logs", { versioning: "Enabled" });
    w.s3.ignored.add("PutBucketVersioning");
    const r = w.reconciler();
    for (let i = 0; i < 6; i++) await r.reconcile(NS, "logs");
    expect(w.s3.calls.filter((c) => c === "PutBucketVersioning")).toHaveLength(3);
    expect(w.condition("logs", "VersioningSynced")).toMatchObject({
      status: "False",
      reason: "NotConverging",
    });
  });

  it("drift of the same field is repaired every time, however often it recurs", async () => {
    w.put("logs", { versioning: "Enabled" });
    const r = w.reconciler();
    await settle(r, "logs");
    for (let i = 0; i < 5; i++) {
      w.s3.buckets.get("logs")!.versioning = "Suspended";
      w.clock += 61_000; // past the resync
      await settle(r, "logs");
      expect(w.s3.buckets.get("logs")?.versioning).toBe("Enabled");
    }
    expect(w.condition("logs", "VersioningSynced")?.status).toBe("True");
    expect(w.events.filter((e) => e === "Normal DriftDetected")).toHaveLength(5);
  });
});

describe("outputs", () => {
  it("writes the ConfigMap and Secret, or says the workload keys are missing", async () => {
    w.put("logs", { outputs: { configMapName: "logs-s3", secretName: "logs-keys" } });
    await settle(w.reconciler(), "logs");
    expect(w.outputs).toEqual([
      {
        kind: "ConfigMap",
        name: "logs-s3",
        data: {
          endpoint: "https://s3.bd-dha-1.example",
          region: "bd-dha-1",
          bucketName: "logs",
          addressingStyle: "path",
        },
      },
      { kind: "Secret", name: "logs-keys", data: { AWS_ACCESS_KEY_ID: "AK", AWS_SECRET_ACCESS_KEY: "SK" } },
    ]);
    expect(w.condition("logs", "OutputsSynced")?.status).toBe("True");

    const w2 = new World();
    w2.workloadKeys = false;
    w2.put("logs", { outputs: { secretName: "logs-keys" } });
    w = w2;
    await settle(w2.reconciler(), "logs");
    expect(w2.condition("logs", "OutputsSynced")).toMatchObject({
      status: "False",
      reason: "WorkloadCredentialsMissing",
    });
    expect(w2.condition("logs", "OutputsSynced")?.message).toContain("workloadS3SecretRef");
  });
});

describe("ObserveOnly", () => {
  it("reports an existing bucket and makes no S3 write", async () => {
    await w.s3.createBucket("logs");
    w.put("logs", { managementPolicy: "ObserveOnly", versioning: "Enabled", tags: { x: "y" } });
    await settle(w.reconciler(), "logs");
    expect(w.condition("logs", "Ready")?.status).toBe("True");
    expect(w.get("logs").status?.atProvider).toMatchObject({ versioning: "Disabled", bucketName: "logs" });
    expect(w.s3.writes()).toEqual(["CreateBucket"]); // the test's own
    expect(w.metadataPatches).toEqual([]);
  });

  it("reports a missing bucket as NotFound", async () => {
    w.put("logs", { managementPolicy: "ObserveOnly" });
    await w.reconciler().reconcile(NS, "logs");
    expect(w.condition("logs", "Ready")).toMatchObject({ status: "False", reason: "NotFound" });
    expect(w.s3.writes()).toEqual([]);
  });
});

describe("deletion", () => {
  async function created(spec: Record<string, unknown>) {
    w.put("logs", spec);
    const r = w.reconciler();
    await settle(r, "logs");
    w.get("logs").metadata.deletionTimestamp = "2026-01-01T00:00:00Z";
    w.get("logs").metadata.generation = 2;
    return r;
  }

  it("waits with BucketNotEmpty while objects remain, and deletes once empty", async () => {
    const r = await created({});
    w.s3.addObject("logs", "a.txt");
    await r.reconcile(NS, "logs");
    const ready = w.condition("logs", "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "BucketNotEmpty" });
    expect(ready?.message).toContain("1 objects");
    expect(w.s3.calls).not.toContain("DeleteObjects");
    // While the user does nothing, it looks again less and less often (2 s, 4 s, ... up to 5 min).
    const rechecks = [];
    for (let i = 0; i < 10; i++) rechecks.push((await r.reconcile(NS, "logs"))?.requeueAfterMs);
    expect(rechecks).toEqual([
      4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 256_000, 300_000, 300_000, 300_000,
    ]);
    w.s3.buckets.get("logs")!.objects = [];
    await r.reconcile(NS, "logs");
    expect(w.s3.buckets.has("logs")).toBe(false);
    expect(w.objects.has("logs")).toBe(false);
    expect(w.events).toContain("Normal Deleted");
  });

  it("emptyBeforeDelete deletes what it may and waits on retained versions without bypassing", async () => {
    const r = await created({
      versioning: "Enabled",
      objectLock: { mode: "GOVERNANCE", days: 1 },
      emptyBeforeDelete: true,
    });
    w.s3.addObject("logs", "free.txt");
    w.s3.addObject("logs", "locked.txt", { retained: true });
    await r.reconcile(NS, "logs");
    const ready = w.condition("logs", "Ready");
    expect(ready).toMatchObject({ status: "False", reason: "ObjectsRetained" });
    expect(ready?.message).toContain("never bypasses");
    expect(w.s3.buckets.get("logs")?.objects.map((o) => o.key)).toEqual(["locked.txt"]);
    expect(w.s3.bypassRequests).toBe(0);
  });

  it("a bucket S3 calls non-empty but that lists nothing waits on the slow timer, not a fast loop", async () => {
    const r = await created({ emptyBeforeDelete: true });
    w.s3.failNext("DeleteBucket", "conflict", "BucketNotEmpty");
    const requeue = await r.reconcile(NS, "logs");
    expect(w.condition("logs", "Ready")).toMatchObject({ status: "False", reason: "BucketNotEmpty" });
    expect(requeue).toEqual({ requeueAfterMs: 120_000 });
  });

  it("never deletes a bucket that now belongs to someone else", async () => {
    const r = await created({});
    w.s3.buckets.get("logs")!.tags = { "clouddigit.ai/owner": "other-uid" };
    await r.reconcile(NS, "logs");
    expect(w.s3.buckets.has("logs")).toBe(true);
    expect(w.s3.calls).not.toContain("DeleteBucket");
    expect(w.objects.has("logs")).toBe(false);
    expect(w.events).toContain("Warning KeptForeignBucket");
  });

  it("Orphan keeps the bucket without calling S3", async () => {
    const r = await created({ deletionPolicy: "Orphan" });
    const calls = w.s3.calls.length;
    await r.reconcile(NS, "logs");
    expect(w.s3.calls.length).toBe(calls);
    expect(w.s3.buckets.has("logs")).toBe(true);
    expect(w.events).toContain("Normal Orphaned");
  });
});
