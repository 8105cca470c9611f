import { Writable } from "node:stream";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { BucketApi, createS3Client } from "../../../src/client/s3.ts";
import { CloudDigitError } from "../../../src/client/errors.ts";
import { ClientMetrics } from "../../../src/client/metrics.ts";
import { createOperatorLogger } from "../../../src/main.ts";
import { startS3Server, type S3Server } from "../../support/s3-server.ts";

let server: S3Server;
let buckets: BucketApi;
const registry = new Registry();
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

beforeAll(async () => {
  server = await startS3Server();
  const s3 = createS3Client({
    endpoint: server.endpoint,
    region: server.region,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
  });
  buckets = new BucketApi(s3, { metrics: new ClientMetrics(registry), logger });
});

afterAll(async () => {
  buckets?.s3.destroy();
  await server?.stop();
});

describe("S3 bucket calls against a real versitygw", () => {
  const name = `cd-test-${Date.now().toString(36)}`;

  it("creates a bucket with Object Lock, idempotently", async () => {
    expect(await buckets.bucketExists(name)).toBe(false);
    expect(await buckets.createBucket(name, { objectLock: true })).toBe("created");
    expect(await buckets.createBucket(name, { objectLock: true })).toBe("exists");
    expect(await buckets.bucketExists(name)).toBe(true);
    // Object Lock at creation turns versioning on.
    expect(await buckets.getVersioning(name)).toBe("Enabled");
    const lock = await buckets.getObjectLock(name);
    expect(lock?.ObjectLockEnabled).toBe("Enabled");
  });

  it("sets a default retention", async () => {
    await buckets.putObjectLock(name, {
      ObjectLockEnabled: "Enabled",
      Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } },
    });
    const lock = await buckets.getObjectLock(name);
    expect(lock?.Rule?.DefaultRetention).toMatchObject({ Mode: "GOVERNANCE", Days: 1 });
  });

  it("versioning on a plain bucket: Disabled, then Enabled, then Suspended", async () => {
    const plain = `${name}-plain`;
    await buckets.createBucket(plain);
    expect(await buckets.getVersioning(plain)).toBe("Disabled");
    await buckets.putVersioning(plain, "Enabled");
    expect(await buckets.getVersioning(plain)).toBe("Enabled");
    await buckets.putVersioning(plain, "Suspended");
    expect(await buckets.getVersioning(plain)).toBe("Suspended");
    expect(await buckets.deleteBucket(plain)).toBe("deleted");
  });

  it("tags: absent, set, replaced, deleted", async () => {
    expect(await buckets.getTags(name)).toEqual({});
    await buckets.putTags(name, { team: "payments", env: "test" });
    expect(await buckets.getTags(name)).toEqual({ team: "payments", env: "test" });
    await buckets.putTags(name, { team: "ledger" });
    expect(await buckets.getTags(name)).toEqual({ team: "ledger" });
    await buckets.putTags(name, {});
    expect(await buckets.getTags(name)).toEqual({});
  });

  it("policy: absent, set, read back, deleted", async () => {
    expect(await buckets.getPolicy(name)).toBeUndefined();
    const policy = {
      Version: "2012-10-17",
      Statement: [
        {
          Effect: "Allow",
          Principal: { AWS: ["*"] },
          Action: ["s3:GetObject"],
          Resource: [`arn:aws:s3:::${name}/*`],
        },
      ],
    };
    await buckets.putPolicy(name, JSON.stringify(policy));
    const read = await buckets.getPolicy(name);
    expect(JSON.parse(read ?? "{}")).toMatchObject({
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject"] }],
    });
    await buckets.deletePolicy(name);
    expect(await buckets.getPolicy(name)).toBeUndefined();
  });

  it("maps errors: a malformed policy is invalid (terminal)", async () => {
    const err = await buckets.putPolicy(name, "{not json").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CloudDigitError);
    expect((err as CloudDigitError).terminal).toBe(true);
  });

  it("maps NotImplemented (lifecycle, public access block on versitygw) to a terminal not_implemented", async () => {
    for (const call of [
      () => buckets.getLifecycle(name),
      () =>
        buckets.putLifecycle(name, [
          { ID: "expire", Status: "Enabled", Filter: { Prefix: "" }, Expiration: { Days: 3 } },
        ]),
      () => buckets.putPublicAccessBlock(name, { BlockPublicAcls: true, BlockPublicPolicy: true }),
    ]) {
      const err = (await call().catch((e: unknown) => e)) as CloudDigitError;
      expect(err).toMatchObject({ kind: "not_implemented", code: "NotImplemented", terminal: true });
      expect(err.message).toContain("does not implement");
    }
  });

  it("retained object versions are deleted only when bypassing governance is asked for", async () => {
    await buckets.s3.send(new PutObjectCommand({ Bucket: name, Key: "report.csv", Body: "a,b\n" }));
    const { versions } = await buckets.listObjectVersions(name);
    expect(versions).toEqual([
      { key: "report.csv", versionId: expect.any(String) as unknown, isDeleteMarker: false },
    ]);
    const refused = await buckets.deleteObjects(name, versions);
    expect(refused.failed).toEqual([expect.objectContaining({ key: "report.csv" })]);
    const bypassed = await buckets.deleteObjects(name, versions, { bypassGovernanceRetention: true });
    expect(bypassed.failed).toEqual([]);
    expect((await buckets.listObjectVersions(name)).versions).toEqual([]);
  });

  it("lists no objects, deletes the bucket, and deleting again reports gone", async () => {
    expect((await buckets.listObjects(name)).objects).toEqual([]);
    expect((await buckets.listObjectVersions(name)).versions).toEqual([]);
    expect(await buckets.deleteBucket(name)).toBe("deleted");
    expect(await buckets.deleteBucket(name)).toBe("gone");
    expect(await buckets.bucketExists(name)).toBe(false);
  });

  it("counted every call in the metrics", async () => {
    const requests = await registry.getSingleMetric("clouddigit_api_requests_total")?.get();
    const ops = new Set(requests?.values.map((v) => v.labels.operation));
    for (const op of [
      "CreateBucket",
      "PutBucketVersioning",
      "PutBucketTagging",
      "PutBucketPolicy",
      "DeleteBucket",
    ]) {
      expect(ops).toContain(op);
    }
  });

  it("never logged the secret key", () => {
    expect(logLines.length).toBeGreaterThan(0);
    expect(logLines.join("")).not.toContain(server.secretAccessKey);
  });
});
