import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteBucketLifecycleCommand,
  DeleteBucketPolicyCommand,
  DeleteBucketTaggingCommand,
  DeleteObjectsCommand,
  DeletePublicAccessBlockCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketPolicyCommand,
  GetBucketTaggingCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  GetPublicAccessBlockCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketTaggingCommand,
  PutBucketVersioningCommand,
  PutObjectLockConfigurationCommand,
  PutPublicAccessBlockCommand,
  S3Client,
  S3ServiceException,
  type LifecycleRule,
  type ObjectIdentifier,
  type ObjectLockConfiguration,
  type PublicAccessBlockConfiguration,
} from "@aws-sdk/client-s3";
import { AssumeRoleWithWebIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import https from "node:https";
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { keepAliveClock, type Clock } from "../shared/clock.ts";
import { CloudDigitError, type ErrorKind } from "./errors.ts";
import { silentLogger } from "../shared/logging.ts";
import type { ClientMetrics } from "./metrics.ts";
import { validateEndpoint } from "./transport.ts";

export interface S3StaticKeys {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

interface S3Identity extends S3StaticKeys {
  expiration?: Date;
}

export type S3CredentialProvider = () => Promise<S3Identity>;

export interface WebIdentityOptions {
  /** STS endpoint of the S3 service (AssumeRoleWithWebIdentity). */
  stsEndpoint: string;
  region: string;
  roleArn: string;
  sessionName: string;
  /** Returns the web-identity token (e.g. the OIDC access token). */
  webIdentityToken: () => Promise<string>;
  durationSeconds?: number;
  caPem?: string;
  clock?: Clock;
}

/**
 * Temporary S3 keys from STS AssumeRoleWithWebIdentity, cached until five minutes before they
 * expire (or half their life, for short ones). One exchange at a time.
 */
export function webIdentityCredentials(opts: WebIdentityOptions): S3CredentialProvider {
  const clock = opts.clock ?? keepAliveClock;
  const sts = new STSClient({
    region: opts.region,
    endpoint: validateEndpoint(opts.stsEndpoint, "STS").href,
    ...(opts.caPem ? { requestHandler: handlerWithCa(opts.caPem) } : {}),
  });
  let cached: { identity: S3Identity; refreshAt: number } | undefined;
  let inflight: Promise<S3Identity> | undefined;
  const exchange = async (): Promise<S3Identity> => {
    const started = clock.now();
    const out = await sts.send(
      new AssumeRoleWithWebIdentityCommand({
        RoleArn: opts.roleArn,
        RoleSessionName: opts.sessionName,
        WebIdentityToken: await opts.webIdentityToken(),
        DurationSeconds: opts.durationSeconds ?? 3600,
      }),
    );
    const c = out.Credentials;
    if (!c?.AccessKeyId || !c.SecretAccessKey) {
      throw new CloudDigitError({
        kind: "transient",
        operation: "sts.assumeRoleWithWebIdentity",
        message: "STS returned no credentials",
      });
    }
    const expiration = c.Expiration ?? new Date(started + (opts.durationSeconds ?? 3600) * 1000);
    const life = expiration.getTime() - started;
    const identity: S3Identity = {
      accessKeyId: c.AccessKeyId,
      secretAccessKey: c.SecretAccessKey,
      sessionToken: c.SessionToken,
      expiration,
    };
    cached = { identity, refreshAt: expiration.getTime() - Math.min(300_000, life / 2) };
    return identity;
  };
  return async () => {
    if (cached && clock.now() < cached.refreshAt) return cached.identity;
    inflight ??= exchange().finally(() => (inflight = undefined));
    return inflight;
  };
}

export interface S3ClientOptions {
  /** S3 endpoint, e.g. `https://s3.bd-dha-1.clouddigit.ai` (path style is used). */
  endpoint: string;
  region: string;
  credentials: S3StaticKeys | S3CredentialProvider;
  caPem?: string;
  metrics?: ClientMetrics;
  logger?: Logger;
  /** SDK attempts per call (its own retry with backoff). Default 3. */
  maxAttempts?: number;
}

// The SDK accepts handler options as a plain object and builds its Node handler from them.
function handlerWithCa(caPem: string): { httpsAgent: https.Agent } {
  return { httpsAgent: new https.Agent({ keepAlive: true, ca: caPem }) };
}

export function createS3Client(opts: S3ClientOptions): S3Client {
  const endpoint = validateEndpoint(opts.endpoint, "S3");
  return new S3Client({
    endpoint: endpoint.href,
    region: opts.region,
    // Credentials are always explicit: the SDK's default chain would probe the environment and
    // instance metadata, which an operator must never do implicitly.
    credentials: opts.credentials,
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
    maxAttempts: opts.maxAttempts ?? 3,
    ...(opts.caPem ? { requestHandler: handlerWithCa(opts.caPem) } : {}),
  });
}

const NOT_FOUND = new Set(["NoSuchBucket", "NotFound", "NoSuchKey"]);
const CONFIG_ABSENT = new Set([
  "NoSuchTagSet",
  "NoSuchTagSetError",
  "NoSuchBucketPolicy",
  "NoSuchLifecycleConfiguration",
  "ObjectLockConfigurationNotFoundError",
  "NoSuchPublicAccessBlockConfiguration",
  "NoSuchObjectLockConfiguration",
]);
const UNAUTHENTICATED = new Set([
  "InvalidAccessKeyId",
  "SignatureDoesNotMatch",
  "ExpiredToken",
  "InvalidToken",
]);
const INVALID = new Set([
  "InvalidRequest",
  "InvalidArgument",
  "MalformedXML",
  "MalformedPolicy",
  "InvalidBucketName",
  "InvalidBucketState",
  "InvalidPolicyDocument",
  "BucketAlreadyExists",
]);

/** Maps an S3 SDK error to the client's taxonomy. */
export function s3ErrorKind(code: string, status: number | undefined): ErrorKind {
  if (NOT_FOUND.has(code) || CONFIG_ABSENT.has(code)) return "not_found";
  if (code === "NotImplemented" || status === 501) return "not_implemented";
  if (UNAUTHENTICATED.has(code)) return "unauthenticated";
  if (code === "AccessDenied" || status === 403) return "forbidden";
  if (code === "SlowDown" || status === 429) return "throttled";
  if (code === "BucketNotEmpty" || code === "OperationAborted" || status === 409) {
    return code === "BucketAlreadyExists" ? "invalid" : "conflict";
  }
  if (INVALID.has(code) || status === 400) return "invalid";
  if (status === 404) return "not_found";
  if (status === undefined || status >= 500) return "transient";
  return "invalid";
}

export interface BucketCreateOptions {
  /** Object Lock can only be enabled at creation; it turns versioning on. */
  objectLock?: boolean;
  /** LocationConstraint; omitted when undefined. */
  locationConstraint?: string;
}

export interface ListedObject {
  key: string;
  versionId?: string;
  isDeleteMarker?: boolean;
}

/**
 * What the Bucket controller needs from S3, with the SDK's errors mapped to CloudDigitError and
 * "configuration absent" answers turned into `undefined`.
 */
export class BucketApi {
  private readonly logger: Logger;

  constructor(
    readonly s3: S3Client,
    private readonly opts: { metrics?: ClientMetrics; logger?: Logger } = {},
  ) {
    this.logger = opts.logger ?? silentLogger;
  }

  /** CreateBucket; `exists` when this account already owns a bucket of that name. */
  async createBucket(bucket: string, opts: BucketCreateOptions = {}): Promise<"created" | "exists"> {
    try {
      await this.run("CreateBucket", bucket, () =>
        this.s3.send(
          new CreateBucketCommand({
            Bucket: bucket,
            ...(opts.objectLock ? { ObjectLockEnabledForBucket: true } : {}),
            ...(opts.locationConstraint
              ? { CreateBucketConfiguration: { LocationConstraint: opts.locationConstraint as never } }
              : {}),
          }),
        ),
      );
      return "created";
    } catch (err) {
      if (err instanceof CloudDigitError && err.code === "BucketAlreadyOwnedByYou") return "exists";
      throw err;
    }
  }

  /** HeadBucket: true when it exists and we may access it, false when it does not exist. */
  /** One ListBuckets call: proves the keys work (the ProviderConfig's status check). */
  async checkCredentials(): Promise<void> {
    await this.run("listBuckets", "", () => this.s3.send(new ListBucketsCommand({ MaxBuckets: 1 })));
  }

  async bucketExists(bucket: string): Promise<boolean> {
    try {
      await this.run("HeadBucket", bucket, () => this.s3.send(new HeadBucketCommand({ Bucket: bucket })));
      return true;
    } catch (err) {
      if (err instanceof CloudDigitError && err.kind === "not_found") return false;
      throw err;
    }
  }

  async getVersioning(bucket: string): Promise<"Enabled" | "Suspended" | "Disabled"> {
    const out = await this.run("GetBucketVersioning", bucket, () =>
      this.s3.send(new GetBucketVersioningCommand({ Bucket: bucket })),
    );
    return out.Status ?? "Disabled";
  }

  async putVersioning(bucket: string, status: "Enabled" | "Suspended"): Promise<void> {
    await this.run("PutBucketVersioning", bucket, () =>
      this.s3.send(
        new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: status } }),
      ),
    );
  }

  async getObjectLock(bucket: string): Promise<ObjectLockConfiguration | undefined> {
    return this.absentAsUndefined(async () => {
      const out = await this.run("GetObjectLockConfiguration", bucket, () =>
        this.s3.send(new GetObjectLockConfigurationCommand({ Bucket: bucket })),
      );
      return out.ObjectLockConfiguration;
    });
  }

  /** Sets the default retention (Object Lock must have been enabled at creation). */
  async putObjectLock(bucket: string, config: ObjectLockConfiguration): Promise<void> {
    await this.run("PutObjectLockConfiguration", bucket, () =>
      this.s3.send(
        new PutObjectLockConfigurationCommand({ Bucket: bucket, ObjectLockConfiguration: config }),
      ),
    );
  }

  async getTags(bucket: string): Promise<Record<string, string>> {
    const tags = await this.absentAsUndefined(async () => {
      const out = await this.run("GetBucketTagging", bucket, () =>
        this.s3.send(new GetBucketTaggingCommand({ Bucket: bucket })),
      );
      return Object.fromEntries((out.TagSet ?? []).map((t) => [t.Key ?? "", t.Value ?? ""]));
    });
    return tags ?? {};
  }

  /** Replaces all tags; an empty map deletes the tag set. */
  async putTags(bucket: string, tags: Record<string, string>): Promise<void> {
    if (Object.keys(tags).length === 0) return this.deleteTags(bucket);
    await this.run("PutBucketTagging", bucket, () =>
      this.s3.send(
        new PutBucketTaggingCommand({
          Bucket: bucket,
          Tagging: { TagSet: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) },
        }),
      ),
    );
  }

  async deleteTags(bucket: string): Promise<void> {
    await this.run("DeleteBucketTagging", bucket, () =>
      this.s3.send(new DeleteBucketTaggingCommand({ Bucket: bucket })),
    );
  }

  /** The bucket policy JSON text, or undefined when none is set. */
  async getPolicy(bucket: string): Promise<string | undefined> {
    return this.absentAsUndefined(async () => {
      const out = await this.run("GetBucketPolicy", bucket, () =>
        this.s3.send(new GetBucketPolicyCommand({ Bucket: bucket })),
      );
      return out.Policy;
    });
  }

  async putPolicy(bucket: string, policyJson: string): Promise<void> {
    await this.run("PutBucketPolicy", bucket, () =>
      this.s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: policyJson })),
    );
  }

  async deletePolicy(bucket: string): Promise<void> {
    await this.run("DeleteBucketPolicy", bucket, () =>
      this.s3.send(new DeleteBucketPolicyCommand({ Bucket: bucket })),
    );
  }

  async getLifecycle(bucket: string): Promise<LifecycleRule[] | undefined> {
    return this.absentAsUndefined(async () => {
      const out = await this.run("GetBucketLifecycleConfiguration", bucket, () =>
        this.s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket })),
      );
      return out.Rules ?? [];
    });
  }

  async putLifecycle(bucket: string, rules: LifecycleRule[]): Promise<void> {
    await this.run("PutBucketLifecycleConfiguration", bucket, () =>
      this.s3.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules: rules },
        }),
      ),
    );
  }

  async deleteLifecycle(bucket: string): Promise<void> {
    await this.run("DeleteBucketLifecycle", bucket, () =>
      this.s3.send(new DeleteBucketLifecycleCommand({ Bucket: bucket })),
    );
  }

  async getPublicAccessBlock(bucket: string): Promise<PublicAccessBlockConfiguration | undefined> {
    return this.absentAsUndefined(async () => {
      const out = await this.run("GetPublicAccessBlock", bucket, () =>
        this.s3.send(new GetPublicAccessBlockCommand({ Bucket: bucket })),
      );
      return out.PublicAccessBlockConfiguration;
    });
  }

  async putPublicAccessBlock(bucket: string, config: PublicAccessBlockConfiguration): Promise<void> {
    await this.run("PutPublicAccessBlock", bucket, () =>
      this.s3.send(
        new PutPublicAccessBlockCommand({ Bucket: bucket, PublicAccessBlockConfiguration: config }),
      ),
    );
  }

  async deletePublicAccessBlock(bucket: string): Promise<void> {
    await this.run("DeletePublicAccessBlock", bucket, () =>
      this.s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket })),
    );
  }

  /** One page of object keys (ListObjectsV2). */
  async listObjects(
    bucket: string,
    opts: { prefix?: string; continuationToken?: string; maxKeys?: number } = {},
  ) {
    const out = await this.run("ListObjectsV2", bucket, () =>
      this.s3.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: opts.prefix,
          ContinuationToken: opts.continuationToken,
          MaxKeys: opts.maxKeys,
        }),
      ),
    );
    return {
      objects: (out.Contents ?? []).map((o): ListedObject => ({ key: o.Key ?? "" })),
      nextContinuationToken: out.IsTruncated ? out.NextContinuationToken : undefined,
    };
  }

  /** One page of object versions and delete markers (ListObjectVersions). */
  async listObjectVersions(
    bucket: string,
    opts: { keyMarker?: string; versionIdMarker?: string; maxKeys?: number } = {},
  ) {
    const out = await this.run("ListObjectVersions", bucket, () =>
      this.s3.send(
        new ListObjectVersionsCommand({
          Bucket: bucket,
          KeyMarker: opts.keyMarker,
          VersionIdMarker: opts.versionIdMarker,
          MaxKeys: opts.maxKeys,
        }),
      ),
    );
    const versions: ListedObject[] = [
      ...(out.Versions ?? []).map((v) => ({
        key: v.Key ?? "",
        versionId: v.VersionId,
        isDeleteMarker: false,
      })),
      ...(out.DeleteMarkers ?? []).map((m) => ({
        key: m.Key ?? "",
        versionId: m.VersionId,
        isDeleteMarker: true,
      })),
    ];
    return {
      versions,
      next: out.IsTruncated
        ? { keyMarker: out.NextKeyMarker, versionIdMarker: out.NextVersionIdMarker }
        : undefined,
    };
  }

  /**
   * Deletes up to 1000 objects (or versions). Governance-mode retention is bypassed only when
   * `bypassGovernanceRetention` is explicitly true. Returns the keys that failed, with reasons.
   */
  async deleteObjects(
    bucket: string,
    objects: ListedObject[],
    opts: { bypassGovernanceRetention?: boolean } = {},
  ) {
    if (objects.length === 0)
      return { failed: [] as { key: string; versionId?: string; code?: string; message?: string }[] };
    if (objects.length > 1000) throw new Error("deleteObjects takes at most 1000 objects per call");
    const ids: ObjectIdentifier[] = objects.map((o) => ({
      Key: o.key,
      ...(o.versionId ? { VersionId: o.versionId } : {}),
    }));
    const out = await this.run("DeleteObjects", bucket, () =>
      this.s3.send(
        new DeleteObjectsCommand({
          Bucket: bucket,
          Delete: { Objects: ids, Quiet: true },
          ...(opts.bypassGovernanceRetention === true ? { BypassGovernanceRetention: true } : {}),
        }),
      ),
    );
    return {
      failed: (out.Errors ?? []).map((e) => ({
        key: e.Key ?? "",
        versionId: e.VersionId,
        code: e.Code,
        message: e.Message,
      })),
    };
  }

  /** DeleteBucket; `gone` when it did not exist. Fails with kind `conflict` (BucketNotEmpty) when objects remain. */
  async deleteBucket(bucket: string): Promise<"deleted" | "gone"> {
    try {
      await this.run("DeleteBucket", bucket, () => this.s3.send(new DeleteBucketCommand({ Bucket: bucket })));
      return "deleted";
    } catch (err) {
      if (err instanceof CloudDigitError && err.kind === "not_found") return "gone";
      throw err;
    }
  }

  private async absentAsUndefined<T>(fn: () => Promise<T>): Promise<T | undefined> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof CloudDigitError && CONFIG_ABSENT.has(err.code ?? "")) return undefined;
      throw err;
    }
  }

  private async run<T>(operation: string, bucket: string, fn: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const m = this.opts.metrics;
    try {
      const out = await fn();
      m?.requests.inc({ service: "s3", operation, code: "200" });
      return out;
    } catch (err) {
      const mapped = mapS3Error(err, operation, bucket);
      m?.requests.inc({
        service: "s3",
        operation,
        code: mapped.status === undefined ? "network" : String(mapped.status),
      });
      if (mapped.kind === "throttled") m?.throttled.inc({ service: "s3" });
      this.logger.debug({ operation, bucket, kind: mapped.kind, code: mapped.code }, mapped.message);
      throw mapped;
    } finally {
      m?.duration.observe({ service: "s3", operation }, (performance.now() - started) / 1000);
    }
  }
}

export function mapS3Error(err: unknown, operation: string, bucket: string): CloudDigitError {
  if (err instanceof CloudDigitError) return err;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = err instanceof S3ServiceException ? err.name : ((err as { name?: string }).name ?? "Error");
  const fromService = err instanceof S3ServiceException || status !== undefined;
  const kind = fromService ? s3ErrorKind(code, status) : "transient";
  const message = err instanceof Error ? err.message : String(err);
  const hint =
    kind === "not_implemented"
      ? "; this S3 endpoint does not implement the operation, remove the setting from the Bucket spec"
      : code === "BucketAlreadyExists"
        ? "; bucket names are unique across the organisation, choose another name"
        : "";
  return new CloudDigitError({
    kind,
    code,
    status,
    operation: `s3.${operation}`,
    requestId: (err as { $metadata?: { requestId?: string } }).$metadata?.requestId,
    cause: err,
    message: `s3.${operation} on bucket ${bucket}: ${code}${message && message !== code ? `: ${message}` : ""}${hint}`,
  });
}
