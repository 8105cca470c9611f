import { createHash } from "node:crypto";
import { Pool } from "undici";

export interface TransportOptions {
  /** PEM bundle of extra CAs to trust (a private CA in front of the API). Verification is always on. */
  caPem?: string;
  connectTimeoutMs?: number;
  /** Time to wait for response headers. */
  headersTimeoutMs?: number;
  /** Time allowed between body chunks. */
  bodyTimeoutMs?: number;
  /** Connections per origin. */
  connections?: number;
}

export interface HttpRequest {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  url: URL;
  headers: Record<string, string>;
  body?: string;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string | undefined>;
  bodyText: string;
}

/** Sends one HTTP request and returns the whole response; throws on network failure only. */
export interface Transport {
  send(request: HttpRequest): Promise<HttpResponse>;
}

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);

/**
 * Checks an endpoint URL: https everywhere, plain http only for loopback test endpoints (the
 * sandbox, a local Keycloak), so a typo can never send a token in clear text across a network.
 */
export function validateEndpoint(raw: string, what: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`${what} endpoint ${JSON.stringify(raw)} is not a valid URL`);
  }
  if (url.protocol === "https:") return url;
  if (url.protocol === "http:" && LOOPBACK_HOSTS.has(url.hostname)) return url;
  throw new Error(
    `${what} endpoint ${url.origin} must use https (plain http is accepted only for 127.0.0.1/localhost)`,
  );
}

// One connection pool per origin and CA bundle, shared by every client in the process, so a
// thousand objects on one endpoint reuse a handful of keep-alive connections.
const pools = new Map<string, Pool>();

function poolFor(origin: string, opts: TransportOptions): Pool {
  const caKey = opts.caPem ? createHash("sha256").update(opts.caPem).digest("hex").slice(0, 16) : "system";
  const key = `${origin}|${caKey}|${opts.connectTimeoutMs ?? ""}|${opts.connections ?? ""}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = new Pool(origin, {
      connections: opts.connections ?? 16,
      keepAliveTimeout: 30_000,
      connect: {
        timeout: opts.connectTimeoutMs ?? 5_000,
        rejectUnauthorized: true,
        ...(opts.caPem ? { ca: opts.caPem } : {}),
      },
    });
    pools.set(key, pool);
  }
  return pool;
}

/** Closes every shared pool (tests and graceful shutdown). */
export async function closeAllPools(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((p) => p.close().catch(() => undefined)));
}

export class UndiciTransport implements Transport {
  constructor(private readonly opts: TransportOptions = {}) {}

  async send(req: HttpRequest): Promise<HttpResponse> {
    const pool = poolFor(req.url.origin, this.opts);
    const res = await pool.request({
      method: req.method,
      path: `${req.url.pathname}${req.url.search}`,
      headers: req.headers,
      body: req.body,
      signal: req.signal,
      headersTimeout: this.opts.headersTimeoutMs ?? 30_000,
      bodyTimeout: this.opts.bodyTimeoutMs ?? 30_000,
    });
    const bodyText = await res.body.text();
    const headers: Record<string, string | undefined> = {};
    for (const [name, value] of Object.entries(res.headers)) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
    }
    return { status: res.statusCode, headers, bodyText };
  }
}
