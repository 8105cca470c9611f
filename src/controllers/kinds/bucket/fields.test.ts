import { describe, expect, it } from "vitest";
import { bucketSpec, type BucketSpec } from "../../../crds/bucket.ts";
import { bucketOwnershipTags } from "./documents.ts";
import { FakeS3 } from "../../testing/fake-s3.ts";
import { applyPlans, emptyBucket, observeBucket, planBucket } from "./fields.ts";

const ours = bucketOwnershipTags({ namespace: "ns", name: "logs", uid: "uid-1" });

function spec(fields: Record<string, unknown>): BucketSpec {
  return bucketSpec.parse(fields);
}

async function converge(s3: FakeS3, name: string, s: BucketSpec) {
  const observed = await observeBucket(s3, name, s, true);
  return applyPlans(s3, name, planBucket(s, observed, ours));
}

const full = spec({
  versioning: "Enabled",
  objectLock: { mode: "GOVERNANCE", days: 1 },
  tags: { team: "payments" },
  policy: {
    Statement: [
      { Effect: "Allow", Action: ["s3:GetObject"], Principal: "*", Resource: "arn:aws:s3:::logs/*" },
    ],
  },
  lifecycle: { rules: [{ id: "tmp", prefix: "tmp/", expirationDays: 7 }] },
  publicAccessBlock: {},
});

describe("converging each sub-configuration", () => {
  it("writes what differs, then nothing once the bucket matches (read before write)", async () => {
    const s3 = new FakeS3();
    await s3.createBucket("logs", { objectLock: true });
    const first = await converge(s3, "logs", full);
    expect(first.map((r) => `${r.field}=${r.state}`)).toEqual([
      "tags=Updated",
      "versioning=InSync", // Object Lock at creation turned it on
      "objectLock=Updated",
      "policy=Updated",
      "publicAccessBlock=Updated",
      "lifecycle=Updated",
    ]);
    const b = s3.buckets.get("logs");
    expect(b?.tags).toEqual({ team: "payments", ...ours });
    expect(b?.lock?.Rule?.DefaultRetention).toEqual({ Mode: "GOVERNANCE", Days: 1 });
    expect(JSON.parse(b?.policy ?? "{}")).toMatchObject({ Version: "2012-10-17" });
    expect(b?.publicAccessBlock).toEqual({
      BlockPublicAcls: true,
      IgnorePublicAcls: true,
      BlockPublicPolicy: true,
      RestrictPublicBuckets: true,
    });

    const writesBefore = s3.writes().length;
    const second = await converge(s3, "logs", full);
    expect(second.every((r) => r.state === "InSync")).toBe(true);
    expect(s3.writes().length).toBe(writesBefore);
  });

  it("an unimplemented feature is reported on its field while the others still converge", async () => {
    const s3 = new FakeS3();
    s3.unsupported.add("lifecycle");
    s3.unsupported.add("publicAccessBlock");
    await s3.createBucket("logs", { objectLock: true });
    const results = await converge(s3, "logs", full);
    expect(results.find((r) => r.field === "lifecycle")).toMatchObject({ state: "NotImplemented" });
    expect(results.find((r) => r.field === "publicAccessBlock")).toMatchObject({ state: "NotImplemented" });
    expect(results.find((r) => r.field === "policy")).toMatchObject({ state: "Updated" });
    expect(s3.buckets.get("logs")?.tags.team).toBe("payments");
    // Unsupported reads mean no write is even tried.
    expect(s3.calls).not.toContain("PutBucketLifecycleConfiguration");
  });

  it("a refused write fails only its own field; a transient one fails the whole pass", async () => {
    const s3 = new FakeS3();
    await s3.createBucket("logs");
    const s = spec({ tags: { a: "b" }, versioning: "Enabled", policy: { Statement: [{ Effect: "Deny" }] } });
    s3.failNext("PutBucketPolicy", "invalid", "MalformedPolicy");
    const results = await converge(s3, "logs", s);
    expect(results.find((r) => r.field === "policy")).toMatchObject({ state: "Rejected" });
    expect(results.find((r) => r.field === "versioning")).toMatchObject({ state: "Updated" });

    s3.failNext("PutBucketPolicy", "transient", "InternalError");
    await expect(converge(s3, "logs", s)).rejects.toMatchObject({ kind: "transient" });
  });

  it("Object Lock asked of a bucket created without it is impossible, not retried", async () => {
    const s3 = new FakeS3();
    await s3.createBucket("logs");
    const s = spec({ versioning: "Enabled", objectLock: { mode: "COMPLIANCE", years: 1 } });
    const results = await converge(s3, "logs", s);
    expect(results.find((r) => r.field === "objectLock")).toMatchObject({ state: "Impossible" });
    expect(s3.calls).not.toContain("PutObjectLockConfiguration");
  });

  it("ARCHIVE as default storage class is reported as not implemented by S3", () => {
    const plans = planBucket(
      spec({ storageClass: "ARCHIVE" }),
      {
        name: "logs",
        tags: ours,
        versioning: { supported: true, value: "Disabled" },
        objectLock: { supported: true, value: undefined },
      },
      ours,
    );
    expect(plans).toEqual([
      { field: "tags", state: "InSync" },
      expect.objectContaining({ field: "storageClass", state: "NotImplemented" }),
    ]);
  });

  it("ObserveOnly reads only what status reports", async () => {
    const s3 = new FakeS3();
    await s3.createBucket("logs");
    s3.calls.length = 0;
    await observeBucket(s3, "logs", full, false);
    expect([...s3.calls].sort()).toEqual([
      "GetBucketTagging",
      "GetBucketVersioning",
      "GetObjectLockConfiguration",
    ]);
  });
});

describe("emptyBucket", () => {
  it("deletes every version across pages in one pass", async () => {
    const s3 = new FakeS3();
    s3.pageSize = 2;
    await s3.createBucket("logs");
    for (let i = 0; i < 5; i++) s3.addObject("logs", `k${i}`);
    const result = await emptyBucket(s3, "logs", { versioned: true, maxBatches: 10 });
    expect(result).toEqual({ deleted: 5, retained: [], more: false });
    expect(s3.buckets.get("logs")?.objects).toEqual([]);
    expect(s3.calls.filter((c) => c === "DeleteObjects")).toHaveLength(3);
  });

  it("never bypasses retention: retained versions are reported", async () => {
    const s3 = new FakeS3();
    await s3.createBucket("logs", { objectLock: true });
    s3.addObject("logs", "free.txt");
    s3.addObject("logs", "locked.txt", { retained: true });
    const result = await emptyBucket(s3, "logs", { versioned: true, maxBatches: 10 });
    expect(result.deleted).toBe(1);
    expect(result.retained).toEqual([expect.objectContaining({ key: "locked.txt", code: "AccessDenied" })]);
    expect(s3.bypassRequests).toBe(0);
  });

  it("stops at its batch budget and says more remain", async () => {
    const s3 = new FakeS3();
    s3.pageSize = 1;
    await s3.createBucket("logs");
    for (let i = 0; i < 3; i++) s3.addObject("logs", `k${i}`, { retained: true });
    const result = await emptyBucket(s3, "logs", { versioned: false, maxBatches: 2 });
    expect(result).toMatchObject({ deleted: 0, more: true });
    expect(result.retained).toHaveLength(2);
  });
});
