import { HttpMethod, RequestContext, type KubeConfig } from "@kubernetes/client-node";
import { fetch, type Dispatcher, type Response } from "undici";
import { apiVersionOf, collectionPath, objectPath, type KubeObject, type ResourceType } from "./resource.ts";

/** A Kubernetes API error (the server's Status object, or a transport failure with status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function isNotFound(err: unknown): boolean {
  return err instanceof ApiError && err.status === 404;
}

export function isConflict(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409;
}

export function isAlreadyExists(err: unknown): boolean {
  return err instanceof ApiError && err.status === 409 && err.reason === "AlreadyExists";
}

export function isGone(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 410 || err.reason === "Expired" || err.reason === "Gone");
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion?: string;
  kind?: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  items: T[];
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent {
  type: WatchEventType;
  object: KubeObject;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  resourceVersion?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
  /** Called whenever bytes arrive (bookmarks included); feeds the inactivity watchdog. */
  onActivity?: () => void;
}

export type PatchType = "merge" | "json" | "strategic" | "apply";

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json",
  apply: "application/apply-patch+yaml",
};

export interface PatchOptions {
  subresource?: string;
  fieldManager?: string;
  force?: boolean;
  signal?: AbortSignal;
}

interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
}

/** Deadline of one non-watch request, body included (undici alone would wait 300 s for headers). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Plain-JSON access to any resource type over the kubeconfig's connection (client-node supplies
 * TLS material and credentials; undici does the HTTP). One keep-alive connection pool per client.
 */
export interface KubeClientOptions {
  userAgent?: string;
  /** Observes every request before it is sent (metrics, tests counting writes). */
  onRequest?: (method: HttpMethod, path: string) => void;
  /**
   * Deadline of each non-watch request (default 30 s). A connection left half-open by an
   * apiserver restart would otherwise hold a reconcile, and the worker running it, for minutes.
   */
  requestTimeoutMs?: number;
}

export class KubeClient {
  private dispatcher: Dispatcher | undefined;
  private readonly server: string;
  private readonly userAgent: string;

  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly opts: KubeClientOptions = {},
  ) {
    this.userAgent = opts.userAgent ?? "clouddigit-runtime";
    const cluster = kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error("kubeconfig has no current cluster");
    this.server = cluster.server.replace(/\/+$/, "");
  }

  async list<T extends KubeObject = KubeObject>(
    rt: ResourceType,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>("GET", collectionPath(rt, opts.namespace), {
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
      },
      signal: opts.signal,
    });
  }

  async get<T extends KubeObject = KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.request<T>("GET", objectPath(rt, namespace, name), { signal });
  }

  async create<T extends KubeObject = KubeObject>(
    rt: ResourceType,
    obj: T,
    signal?: AbortSignal,
  ): Promise<T> {
    const body = { apiVersion: apiVersionOf(rt), kind: rt.kind, ...obj };
    return this.request<T>("POST", collectionPath(rt, obj.metadata.namespace), { body, signal });
  }

  /** PUT: optimistic concurrency through metadata.resourceVersion (409 when stale). */
  async replace<T extends KubeObject = KubeObject>(
    rt: ResourceType,
    obj: T,
    opts: { subresource?: string; signal?: AbortSignal } = {},
  ): Promise<T> {
    const name = obj.metadata.name ?? "";
    const path =
      objectPath(rt, obj.metadata.namespace, name) + (opts.subresource ? `/${opts.subresource}` : "");
    const body = { apiVersion: apiVersionOf(rt), kind: rt.kind, ...obj };
    return this.request<T>("PUT", path, { body, signal: opts.signal });
  }

  async patch<T extends KubeObject = KubeObject>(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions = {},
  ): Promise<T> {
    const path = objectPath(rt, namespace, name) + (opts.subresource ? `/${opts.subresource}` : "");
    return this.request<T>("PATCH", path, {
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
      query: { fieldManager: opts.fieldManager, force: opts.force },
      signal: opts.signal,
    });
  }

  async delete(
    rt: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: { propagationPolicy?: string; signal?: AbortSignal } = {},
  ): Promise<void> {
    await this.request<unknown>("DELETE", objectPath(rt, namespace, name), {
      body: opts.propagationPolicy ? { propagationPolicy: opts.propagationPolicy } : undefined,
      signal: opts.signal,
    });
  }

  /**
   * A watch stream. Yields events until the server ends the stream (timeoutSeconds) or the
   * signal aborts; throws ApiError for a non-200 answer, and for an ERROR event carrying a Status.
   */
  async *watch(rt: ResourceType, opts: WatchOptions = {}): AsyncGenerator<WatchEvent> {
    const res = await this.send("GET", collectionPath(rt, opts.namespace), {
      query: {
        watch: true,
        resourceVersion: opts.resourceVersion,
        allowWatchBookmarks: opts.allowWatchBookmarks,
        timeoutSeconds: opts.timeoutSeconds,
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
      },
      signal: opts.signal,
    });
    if (!res.body) return;
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        opts.onActivity?.();
        buffered += decoder.decode(value, { stream: true });
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          const line = buffered.slice(0, nl).trim();
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf("\n");
          if (line.length === 0) continue;
          const event = JSON.parse(line) as WatchEvent;
          if (event.type === "ERROR") throw statusToError(event.object as unknown as StatusBody, 500);
          yield event;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  async request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}): Promise<T> {
    const timeoutMs = this.opts.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, deadline]) : deadline;
    try {
      const res = await this.send(method, path, { ...opts, signal });
      const text = await res.text();
      return (text.length > 0 ? JSON.parse(text) : undefined) as T;
    } catch (err) {
      // The caller's own cancellation stays an abort; our deadline becomes a retryable error.
      if (deadline.aborted && !opts.signal?.aborted) {
        throw new ApiError(0, "Timeout", `${method} ${path}: no complete response within ${timeoutMs} ms`);
      }
      throw err;
    }
  }

  private async send(method: HttpMethod, path: string, opts: RequestOptions): Promise<Response> {
    const url = new URL(this.server + path);
    for (const [k, v] of Object.entries(opts.query ?? {})) {
      if (v !== undefined && v !== "") url.searchParams.set(k, String(v));
    }
    this.opts.onRequest?.(method, path);
    const ctx = new RequestContext(url.toString(), method);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    // client-node builds a new undici Agent per call; keep the first one so connections are reused.
    this.dispatcher ??= ctx.getDispatcher();
    const headers = ctx.getHeaders() as unknown as Record<string, string>;
    headers["user-agent"] = this.userAgent;
    headers.accept = "application/json";
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers["content-type"] = opts.contentType ?? "application/json";
    }
    let res: Response;
    try {
      res = await fetch(url, { method, headers, body, dispatcher: this.dispatcher, signal: opts.signal });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : "";
      throw new ApiError(0, "TransportError", `${method} ${path}: ${String(err)}${cause}`);
    }
    if (res.status >= 200 && res.status < 300) return res;
    const text = await res.text().catch(() => "");
    let status: StatusBody;
    try {
      status = JSON.parse(text) as StatusBody;
    } catch {
      status = { message: text.slice(0, 200) };
    }
    throw statusToError(status, res.status, `${method} ${path}`);
  }
}

interface StatusBody {
  code?: number;
  reason?: string;
  message?: string;
  details?: unknown;
}

function statusToError(status: StatusBody, fallbackCode: number, what?: string): ApiError {
  const code = status.code ?? fallbackCode;
  const reason = status.reason ?? "Unknown";
  const prefix = what ? `${what}: ` : "";
  return new ApiError(code, reason, `${prefix}${code} ${reason}: ${status.message ?? ""}`, status.details);
}
