// An in-memory S3 for unit tests of the Bucket controller: the BucketS3 calls with the semantics
// that matter here (Object Lock only at creation, retention refusing deletes unless bypassed,
// BucketNotEmpty, configuration-absent reads), a call log, and switches for unsupported features
// and injected failures.
import type {
  LifecycleRule,
  ObjectLockConfiguration,
  PublicAccessBlockConfiguration,
} from "@aws-sdk/client-s3";
import { CloudDigitError, type ErrorKind } from "../../client/errors.ts";
import type { ListedObject } from "../../client/s3.ts";
import type { BucketS3 } from "../kinds/bucket/fields.ts";

export interface FakeObject {
  key: string;
  versionId: string;
  /** Under retention: deleting it without bypass is refused. */
  retained?: boolean;
}

export interface FakeBucket {
  objectLock: boolean;
  versioning: "Enabled" | "Suspended" | "Disabled";
  lock?: ObjectLockConfiguration | undefined;
  tags: Record<string, string>;
  policy?: string | undefined;
  lifecycle?: LifecycleRule[] | undefined;
  publicAccessBlock?: PublicAccessBlockConfiguration | undefined;
  objects: FakeObject[];
}

type Feature = "lifecycle" | "publicAccessBlock" | "policy" | "objectLock" | "versioning";

export class FakeS3 implements BucketS3 {
  readonly buckets = new Map<string, FakeBucket>();
  /** Operation names in call order, e.g. "PutBucketTagging". */
  readonly calls: string[] = [];
  /** Features whose calls answer NotImplemented. */
  readonly unsupported = new Set<Feature>();
  /** One-shot failures by operation name. */
  readonly failures = new Map<string, CloudDigitError>();
  /** Operations that succeed but change nothing (a server that ignores a setting). */
  readonly ignored = new Set<string>();
  /** deleteObjects calls that asked to bypass governance retention. */
  bypassRequests = 0;
  /** Page size of the list calls. */
  pageSize = 1000;
  private versionSeq = 0;

  writes(): string[] {
    return this.calls.filter((c) => !/^(Get|Head|List)/.test(c));
  }

  failNext(operation: string, kind: ErrorKind, code: string = kind): void {
    this.failures.set(operation, new CloudDigitError({ kind, code, message: `${operation}: ${code}` }));
  }

  addObject(bucket: string, key: string, opts: { retained?: boolean } = {}): void {
    this.need(bucket).objects.push({
      key,
      versionId: `v${++this.versionSeq}`,
      ...(opts.retained ? { retained: true } : {}),
    });
  }

  async bucketExists(bucket: string): Promise<boolean> {
    this.enter("HeadBucket");
    return Promise.resolve(this.buckets.has(bucket));
  }

  async createBucket(bucket: string, opts: { objectLock?: boolean } = {}): Promise<"created" | "exists"> {
    this.enter("CreateBucket");
    if (this.buckets.has(bucket)) return Promise.resolve("exists");
    this.buckets.set(bucket, {
      objectLock: opts.objectLock === true,
      versioning: opts.objectLock ? "Enabled" : "Disabled",
      lock: opts.objectLock ? { ObjectLockEnabled: "Enabled" } : undefined,
      tags: {},
      objects: [],
    });
    return Promise.resolve("created");
  }

  async getVersioning(bucket: string) {
    this.enter("GetBucketVersioning", "versioning");
    return Promise.resolve(this.need(bucket).versioning);
  }

  async putVersioning(bucket: string, status: "Enabled" | "Suspended"): Promise<void> {
    this.enter("PutBucketVersioning", "versioning");
    if (!this.ignored.has("PutBucketVersioning")) this.need(bucket).versioning = status;
    return Promise.resolve();
  }

  async getObjectLock(bucket: string) {
    this.enter("GetObjectLockConfiguration", "objectLock");
    return Promise.resolve(structuredClone(this.need(bucket).lock));
  }

  async putObjectLock(bucket: string, config: ObjectLockConfiguration): Promise<void> {
    this.enter("PutObjectLockConfiguration", "objectLock");
    const b = this.need(bucket);
    if (!b.objectLock) throw this.error("invalid", "InvalidBucketState", "Object Lock is not enabled");
    if (!this.ignored.has("PutObjectLockConfiguration")) b.lock = structuredClone(config);
    return Promise.resolve();
  }

  async getTags(bucket: string) {
    this.enter("GetBucketTagging");
    return Promise.resolve({ ...this.need(bucket).tags });
  }

  async putTags(bucket: string, tags: Record<string, string>): Promise<void> {
    this.enter("PutBucketTagging");
    if (!this.ignored.has("PutBucketTagging")) this.need(bucket).tags = { ...tags };
    return Promise.resolve();
  }

  async getPolicy(bucket: string) {
    this.enter("GetBucketPolicy", "policy");
    return Promise.resolve(this.need(bucket).policy);
  }

  async putPolicy(bucket: string, policyJson: string): Promise<void> {
    this.enter("PutBucketPolicy", "policy");
    JSON.parse(policyJson);
    this.need(bucket).policy = policyJson;
    return Promise.resolve();
  }

  async deletePolicy(bucket: string): Promise<void> {
    this.enter("DeleteBucketPolicy", "policy");
    this.need(bucket).policy = undefined;
    return Promise.resolve();
  }

  async getLifecycle(bucket: string) {
    this.enter("GetBucketLifecycleConfiguration", "lifecycle");
    return Promise.resolve(structuredClone(this.need(bucket).lifecycle));
  }

  async putLifecycle(bucket: string, rules: LifecycleRule[]): Promise<void> {
    this.enter("PutBucketLifecycleConfiguration", "lifecycle");
    this.need(bucket).lifecycle = structuredClone(rules);
    return Promise.resolve();
  }

  async deleteLifecycle(bucket: string): Promise<void> {
    this.enter("DeleteBucketLifecycle", "lifecycle");
    this.need(bucket).lifecycle = undefined;
    return Promise.resolve();
  }

  async getPublicAccessBlock(bucket: string) {
    this.enter("GetPublicAccessBlock", "publicAccessBlock");
    return Promise.resolve(structuredClone(this.need(bucket).publicAccessBlock));
  }

  async putPublicAccessBlock(bucket: string, config: PublicAccessBlockConfiguration): Promise<void> {
    this.enter("PutPublicAccessBlock", "publicAccessBlock");
    this.need(bucket).publicAccessBlock = structuredClone(config);
    return Promise.resolve();
  }

  async deletePublicAccessBlock(bucket: string): Promise<void> {
    this.enter("DeletePublicAccessBlock", "publicAccessBlock");
    this.need(bucket).publicAccessBlock = undefined;
    return Promise.resolve();
  }

  async listObjects(bucket: string, opts: { continuationToken?: string; maxKeys?: number } = {}) {
    this.enter("ListObjectsV2");
    const { page, last, more } = this.page(bucket, opts.continuationToken, opts.maxKeys);
    return Promise.resolve({
      objects: page.map((o): ListedObject => ({ key: o.key })),
      nextContinuationToken: more ? last : undefined,
    });
  }

  async listObjectVersions(bucket: string, opts: { keyMarker?: string; maxKeys?: number } = {}) {
    this.enter("ListObjectVersions");
    const { page, last, more } = this.page(bucket, opts.keyMarker, opts.maxKeys);
    return Promise.resolve({
      versions: page.map((o): ListedObject => ({
        key: o.key,
        versionId: o.versionId,
        isDeleteMarker: false,
      })),
      next: more ? { keyMarker: last, versionIdMarker: undefined } : undefined,
    });
  }

  /** Like S3: objects in key order after the marker (the last key of the previous page). */
  private page(bucket: string, marker: string | undefined, maxKeys: number | undefined) {
    const sorted = [...this.need(bucket).objects].sort((a, b) =>
      a.key === b.key ? a.versionId.localeCompare(b.versionId) : a.key < b.key ? -1 : 1,
    );
    const after = marker === undefined ? sorted : sorted.filter((o) => o.key > marker);
    const size = Math.min(maxKeys ?? 1000, this.pageSize);
    const page = after.slice(0, size);
    return { page, last: page.at(-1)?.key, more: after.length > size };
  }

  async deleteObjects(
    bucket: string,
    objects: ListedObject[],
    opts: { bypassGovernanceRetention?: boolean } = {},
  ) {
    this.enter("DeleteObjects");
    if (opts.bypassGovernanceRetention) this.bypassRequests++;
    const b = this.need(bucket);
    const failed: { key: string; versionId?: string; code?: string; message?: string }[] = [];
    for (const target of objects) {
      const found = b.objects.find(
        (o) => o.key === target.key && (target.versionId === undefined || o.versionId === target.versionId),
      );
      if (!found) continue;
      if (found.retained && !opts.bypassGovernanceRetention) {
        failed.push({ key: found.key, versionId: found.versionId, code: "AccessDenied" });
        continue;
      }
      b.objects = b.objects.filter((o) => o !== found);
    }
    return Promise.resolve({ failed });
  }

  async deleteBucket(bucket: string): Promise<"deleted" | "gone"> {
    this.enter("DeleteBucket");
    const b = this.buckets.get(bucket);
    if (!b) return Promise.resolve("gone");
    if (b.objects.length > 0) throw this.error("conflict", "BucketNotEmpty", "the bucket is not empty");
    this.buckets.delete(bucket);
    return Promise.resolve("deleted");
  }

  private enter(operation: string, feature?: Feature): void {
    this.calls.push(operation);
    const failure = this.failures.get(operation);
    if (failure) {
      this.failures.delete(operation);
      throw failure;
    }
    if (feature && this.unsupported.has(feature)) {
      throw this.error("not_implemented", "NotImplemented", `${operation}: NotImplemented`);
    }
  }

  private need(bucket: string): FakeBucket {
    const b = this.buckets.get(bucket);
    if (!b) throw this.error("not_found", "NoSuchBucket", `no bucket ${bucket}`);
    return b;
  }

  private error(kind: ErrorKind, code: string, message: string): CloudDigitError {
    return new CloudDigitError({ kind, code, message });
  }
}
