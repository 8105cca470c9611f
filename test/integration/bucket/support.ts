// Shared setup for the Bucket integration tests: the real apiserver with the CRDs, a real S3
// server (versitygw) behind a counting proxy that records every request the operator sends, an
// independent S3 client (plain AWS SDK, not the operator's code) to check the server, and the
// operator running in-process.
import http from "node:http";
import type { AddressInfo } from "node:net";
import { S3Client } from "@aws-sdk/client-s3";
import type { KubeConfig } from "@kubernetes/client-node";
import { configSchema, startOperator } from "../../../src/main.ts";
import { resourceType, SECRET_RESOURCE } from "../../../src/controllers/kube/resources.ts";
import type { ManagedObject } from "../../../src/controllers/generic/actuator.ts";
import { EVENT_RESOURCE } from "../../../src/runtime/events.ts";
import { isNotFound, KubeClient } from "../../../src/runtime/kube-client.ts";
import type { KubeObject, ResourceType } from "../../../src/runtime/resource.ts";
import { createNamespace, testCluster } from "../../support/cluster.ts";
import { waitUntil } from "../../support/process.ts";
import { startS3Server, type S3Server } from "../../support/s3-server.ts";
import { installCrds } from "../controllers/support.ts";

const BUCKET_RESOURCE = resourceType("Bucket");

export interface RecordedRequest {
  method: string;
  /** Path without the query, e.g. /my-bucket. */
  path: string;
  /** Query parameter names, e.g. ["tagging"]. */
  query: string[];
  /** The x-amz-bucket-object-lock-enabled header (CreateBucket with Object Lock). */
  objectLockHeader: string | undefined;
}

/** An HTTP proxy on 127.0.0.1 that forwards to the S3 server and records each request. */
export interface CountingProxy {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://proxy");
    const lock = req.headers["x-amz-bucket-object-lock-enabled"];
    requests.push({
      method: req.method ?? "",
      // Path-style requests for a bucket come as /name or /name/; one spelling for both.
      path: url.pathname.length > 1 ? url.pathname.replace(/\/$/, "") : url.pathname,
      query: [...url.searchParams.keys()],
      objectLockHeader: Array.isArray(lock) ? lock.join(",") : lock,
    });
    // Headers (Host included) pass through untouched, so the SigV4 signature still verifies.
    const forward = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", () => {
      if (!res.headersSent) res.writeHead(502);
      res.end();
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Requests that can change a bucket (anything but GET and HEAD) for one bucket. */
export function writesTo(requests: readonly RecordedRequest[], bucket: string): string[] {
  return requests.filter((r) => r.method !== "GET" && r.method !== "HEAD" && isFor(r, bucket)).map(describe);
}

export function requestsTo(requests: readonly RecordedRequest[], bucket: string): string[] {
  return requests.filter((r) => isFor(r, bucket)).map(describe);
}

function isFor(r: RecordedRequest, bucket: string): boolean {
  return r.path === `/${bucket}` || r.path.startsWith(`/${bucket}/`);
}

function describe(r: RecordedRequest): string {
  return `${r.method} ${r.path}${r.query.length > 0 ? `?${r.query.join("&")}` : ""}`;
}

export interface BucketEnv {
  kc: KubeConfig;
  client: KubeClient;
  namespace: string;
  s3Server: S3Server;
  proxy: CountingProxy;
  /** Independent S3 client straight to the server (not through the proxy, not the operator's code). */
  s3: S3Client;
  operator: Awaited<ReturnType<typeof startOperator>>;
  apply(obj: KubeObject): Promise<KubeObject>;
  get(name: string): Promise<ManagedObject | undefined>;
  getOther(rt: ResourceType, name: string): Promise<KubeObject | undefined>;
  condition(
    name: string,
    type: string,
  ): Promise<{ status: string; reason: string; message: string } | undefined>;
  waitFor(what: string, probe: () => Promise<boolean>, timeoutMs?: number): Promise<void>;
  waitCondition(name: string, type: string, status: string, reason?: string): Promise<void>;
  eventReasons(name: string): Promise<string[]>;
  /** Events are written after the fact (the recorder queues them): waits until one arrives. */
  waitEvent(name: string, reason: string): Promise<void>;
  remove(name: string): Promise<void>;
  waitGone(name: string): Promise<void>;
  stop(): Promise<void>;
}

export const PROVIDER_CONFIG = "default";
export const S3_KEYS_SECRET = "s3-keys";
export const WORKLOAD_KEYS_SECRET = "s3-workload-keys";

export async function startBucketEnv(
  prefix: string,
  opts: { resync: number; stalledRetryMs: number },
): Promise<BucketEnv> {
  const cluster = testCluster();
  const kc = cluster.kubeConfig();
  const client = new KubeClient(kc);
  await installCrds(client);
  const namespace = await createNamespace(kc, prefix);
  const s3Server = await startS3Server();
  const proxy = await startCountingProxy(s3Server.endpoint);
  const s3 = new S3Client({
    endpoint: s3Server.endpoint,
    region: s3Server.region,
    credentials: { accessKeyId: s3Server.accessKeyId, secretAccessKey: s3Server.secretAccessKey },
    forcePathStyle: true,
    requestChecksumCalculation: "WHEN_REQUIRED",
    responseChecksumValidation: "WHEN_REQUIRED",
  });
  const config = {
    ...configSchema.parse({ logLevel: process.env.OPERATOR_LOG_LEVEL ?? "warn" }),
    namespaces: [namespace],
    healthAddress: { host: "127.0.0.1", port: 0 },
    pollInterval: 250,
    resync: opts.resync,
  };
  const operator = await startOperator(config, kc, { stalledRetryMs: opts.stalledRetryMs });

  const env: BucketEnv = {
    kc,
    client,
    namespace,
    s3Server,
    proxy,
    s3,
    operator,
    async apply(obj) {
      const kind = obj.kind ?? "";
      const rt =
        kind === "Secret"
          ? SECRET_RESOURCE
          : kind === "Bucket"
            ? BUCKET_RESOURCE
            : resourceType(kind as "ProviderConfig");
      const body = { ...obj, metadata: { ...obj.metadata, namespace } };
      return client.patch(rt, namespace, obj.metadata.name ?? "", body, "apply", {
        fieldManager: "bucket-tests",
        force: true,
      });
    },
    async get(name) {
      return (await env.getOther(BUCKET_RESOURCE, name)) as unknown as ManagedObject | undefined;
    },
    async getOther(rt, name) {
      try {
        return await client.get(rt, namespace, name);
      } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
      }
    },
    async condition(name, type) {
      return (await env.get(name))?.status?.conditions?.find((c) => c.type === type);
    },
    async waitFor(what, probe, timeoutMs = 60_000) {
      await waitUntil(what, probe, { timeoutMs, intervalMs: 150 });
    },
    async waitCondition(name, type, status, reason) {
      await env.waitFor(`Bucket ${name} ${type}=${status}${reason ? ` (${reason})` : ""}`, async () => {
        const c = await env.condition(name, type);
        return c?.status === status && (reason === undefined || c.reason === reason);
      });
    },
    async eventReasons(name) {
      const list = await client.list(EVENT_RESOURCE, { namespace });
      return list.items
        .filter((e) => (e as { regarding?: { name?: string } }).regarding?.name === name)
        .map((e) => String((e as { reason?: string }).reason));
    },
    async waitEvent(name, reason) {
      await env.waitFor(
        `Event ${reason} for Bucket ${name}`,
        async () => (await env.eventReasons(name)).includes(reason),
        10_000,
      );
    },
    async remove(name) {
      try {
        await client.delete(BUCKET_RESOURCE, namespace, name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    },
    async waitGone(name) {
      await env.waitFor(`Bucket ${name} gone`, async () => (await env.get(name)) === undefined);
    },
    async stop() {
      await operator.stop();
      s3.destroy();
      await proxy.close();
      await s3Server.stop();
    },
  };

  await env.apply(secret(S3_KEYS_SECRET, s3Server.accessKeyId, s3Server.secretAccessKey));
  // Workloads get the same root keys here, so the test can use the output Secret against the server.
  await env.apply(secret(WORKLOAD_KEYS_SECRET, s3Server.accessKeyId, s3Server.secretAccessKey));
  await env.apply({
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "api-token" },
    stringData: { token: "cd_unused" },
  });
  await env.apply({
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "ProviderConfig",
    metadata: { name: PROVIDER_CONFIG },
    spec: {
      region: s3Server.region,
      project: "demo",
      // Buckets never use the REST API; the S3 endpoint is the counting proxy.
      endpoints: { s3: proxy.url, api: "http://127.0.0.1:9" },
      credentials: {
        source: "APIToken",
        apiToken: { secretRef: { name: "api-token" } },
        s3: { secretRef: { name: S3_KEYS_SECRET } },
        workloadS3SecretRef: { name: WORKLOAD_KEYS_SECRET },
      },
    },
  });
  return env;
}

function secret(name: string, accessKeyID: string, secretAccessKey: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name },
    stringData: { accessKeyID, secretAccessKey },
  };
}

export function bucket(
  name: string,
  spec: Record<string, unknown>,
  annotations?: Record<string, string>,
): KubeObject {
  return {
    apiVersion: "clouddigit.ai/v1alpha1",
    kind: "Bucket",
    metadata: { name, ...(annotations ? { annotations } : {}) },
    spec,
  };
}
