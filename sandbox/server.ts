import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import {
  DEFAULT_DELAYS,
  DEFAULT_PUBLIC_IPS,
  DEFAULT_QUOTAS,
  type ApiContext,
  type AsyncKind,
  type Call,
  type Delays,
  type KindDelays,
  type Quotas,
  type Reply,
  type Settings,
} from "./api/context.ts";
import { matchRoute, type Route } from "./api/routes.ts";
import { Authenticator, type ApiTokenOptions, type OidcOptions, type Principal } from "./auth.ts";
import { regionByName } from "./catalog.ts";
import { systemClock, type Clock } from "./clock.ts";
import { ApiError, badRequest } from "./errors.ts";
import { FaultController, type FaultRule } from "./faults.ts";
import { IdempotencyStore } from "./idempotency.ts";
import { createInspectionServer, type InspectionSource } from "./inspect.ts";
import { Lifecycle } from "./lifecycle.ts";
import { KINDS, kindOfId, type Kind, type PendingTransition, type Resource } from "./model.ts";
import { Persistence, type PersistedState } from "./persistence.ts";
import { seededRandom } from "./random.ts";
import { DEFAULT_RATE_LIMIT, RateLimiter, type RateLimitSettings } from "./rate-limiter.ts";
import { CallRecorder, type CallCounts, type CallFilter, type CallRecord } from "./recorder.ts";
import { Store } from "./store.ts";
import { UlidGenerator } from "./ulid.ts";
import { IDEMPOTENCY_KEY_PATTERN, PROJECT_PATTERN } from "../src/shared/patterns.ts";

export type { ApiTokenOptions, OidcOptions } from "./auth.ts";
export { tokenLabel } from "./auth.ts";
export type { FaultRule, FaultKind, ActiveFault, FaultController } from "./faults.ts";
export type { TransitionMatch } from "./lifecycle.ts";
export type { CallRecord, CallCounts, CallFilter } from "./recorder.ts";
export type { Resource, Kind, PendingTransition } from "./model.ts";
export type { Quotas, KindDelays, AsyncKind } from "./api/context.ts";
export type { RateLimitSettings } from "./rate-limiter.ts";
export { ManualClock, type Clock } from "./clock.ts";

export interface SandboxOptions {
  /** API port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** Inspection port on 127.0.0.1; 0 (default) picks a free one; `false` disables it. */
  inspectPort?: number | false;
  /** Accepted API tokens. Default: none (then only OIDC bearer tokens work, if configured). */
  tokens?: ApiTokenOptions[];
  /** Accept OIDC bearer JWTs from this issuer. */
  oidc?: OidcOptions;
  /** The region this endpoint serves (zones `<region>a|b|c`). Default `bd-dha-1`. */
  region?: string;
  /** Per-token limits; default burst 60, 30 req/s. `false` disables rate limiting (benchmarks). */
  rateLimit?: Partial<RateLimitSettings> | false;
  /** Async transition delays per kind in ms (a number sets create, delete and action alike). */
  delays?: Partial<Record<AsyncKind, number | Partial<KindDelays>>>;
  /** Per-project quotas; default vpcs 5, subnets 100, ssh_keys 200, servers 200, volumes 500. */
  quotas?: Partial<Quotas>;
  /** Budget hard-stop: `true` for every project or a list of projects. */
  budgetExceeded?: boolean | string[];
  /** Public IPv4 addresses in the region's pool, shared by all projects (default 131,070). */
  publicIps?: number;
  /** Request faults active from the start (see FaultRule). */
  faults?: FaultRule[];
  /** Seed for the fault PRNG (and ULID randomness), so fault runs are reproducible. */
  seed?: number;
  /** Load state from this JSON file at start and save it after changes. */
  persistPath?: string;
  /** Time source (rate limiter, timestamps); default the system clock. */
  clock?: Clock;
  /** Largest accepted request body; default 1 MiB. */
  maxBodyBytes?: number;
  /** How many call records the inspection keeps (counts are exact regardless); default 100,000. */
  maxRecordedCalls?: number;
  /** Called after each API call (the CLI's request log). */
  onCall?: (call: CallRecord) => void;
}

export interface SandboxState {
  /** Current resources, optionally of one project and/or kind. */
  list(filter?: { project?: string; kind?: Kind }): Resource[];
  get(id: string): Resource | undefined;
  /** Out-of-band deletion (as if someone used the console): gone at once, no transition. */
  remove(id: string): boolean;
  /** Out-of-band change of fields (e.g. tags, name) to create drift. */
  patch(id: string, fields: Record<string, unknown>): Resource | undefined;
  /** Transitions in flight. */
  transitions(): PendingTransition[];
}

export interface Sandbox {
  /** `http://127.0.0.1:<port>`; the API is at `url + "/v1"`. */
  readonly url: string;
  /** `url + "/v1"`. */
  readonly apiUrl: string;
  readonly port: number;
  /** `http://127.0.0.1:<inspectPort>`, or undefined when disabled. */
  readonly inspectUrl: string | undefined;
  /** Runtime fault control. */
  readonly faults: FaultController;
  readonly state: SandboxState;
  calls(filter?: CallFilter): CallRecord[];
  counts(): CallCounts;
  resetCalls(): void;
  setRateLimit(settings: Partial<RateLimitSettings> | false): void;
  setQuotas(quotas: Partial<Quotas>): void;
  setDelays(delays: Partial<Record<AsyncKind, number | Partial<KindDelays>>>): void;
  /** Turns the budget hard-stop on/off for one project or, with "*", all. */
  setBudgetExceeded(exceeded: boolean, project?: string): void;
  /** Resizes the region's public IP pool (addresses in use stay in use). */
  setPublicIps(size: number): void;
  addToken(token: ApiTokenOptions): void;
  removeToken(token: string): void;
  /** Writes the state file now (when persistPath is set). */
  flush(): void;
  close(): Promise<void>;
}

const DEFAULT_MAX_BODY = 1024 * 1024;
/** Past this much body we stop reading and close the connection after answering 413. */
const MAX_DRAIN = 16 * 1024 * 1024;
/**
 * Request line plus headers. Node's default (16 KiB) is smaller than a list query the contract
 * allows (1000 ids through `id` and `ids`, about 71 KiB), which the client sends when it observes
 * many resources; past this the answer is 431.
 */
const MAX_HEADER_BYTES = 128 * 1024;
const JSON_TYPE = /^application\/(?:[\w.+-]*\+)?json(?:\s*;|$)/i;
const EMPTY_QUERY = new URLSearchParams();

function mergeDelays(base: Delays, overrides: SandboxOptions["delays"]): Delays {
  const out: Delays = structuredClone(base);
  for (const [kind, value] of Object.entries(overrides ?? {}) as [
    AsyncKind,
    number | Partial<KindDelays>,
  ][]) {
    out[kind] =
      typeof value === "number"
        ? { create: value, delete: value, action: value }
        : { ...out[kind], ...value };
  }
  return out;
}

/** Starts the Cloud Digit sandbox in this process on 127.0.0.1. */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const clock = options.clock ?? systemClock;
  const random = seededRandom(options.seed ?? 1);
  const regionName = options.region ?? "bd-dha-1";
  const region = regionByName.get(regionName);
  if (!region) throw new Error(`unknown region ${regionName}`);
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY;

  const store = new Store();
  const recorder = new CallRecorder(options.maxRecordedCalls ?? 100_000);
  const idempotency = new IdempotencyStore(clock);
  const auth = new Authenticator(options.tokens ?? [], options.oidc, clock);
  let rateLimitOn = options.rateLimit !== false;
  const limiter = new RateLimiter({ ...DEFAULT_RATE_LIMIT, ...(options.rateLimit || {}) }, clock);
  const settings: Settings = {
    region: regionName,
    zones: region.zones,
    quotas: { ...DEFAULT_QUOTAS, ...options.quotas },
    delays: mergeDelays(DEFAULT_DELAYS, options.delays),
    budgetExceeded: new Set(
      options.budgetExceeded === true
        ? ["*"]
        : Array.isArray(options.budgetExceeded)
          ? options.budgetExceeded
          : [],
    ),
    publicIps: options.publicIps ?? DEFAULT_PUBLIC_IPS,
  };

  let persistence: Persistence | undefined;
  const changed = (): void => persistence?.schedule();
  const lifecycle = new Lifecycle(store, clock, changed);
  const faults = new FaultController(clock, random, lifecycle);
  for (const rule of options.faults ?? []) faults.add(rule);
  const ctx: ApiContext = {
    store,
    lifecycle,
    ids: new UlidGenerator(
      () => clock.now(),
      options.seed === undefined ? undefined : seededRandom(options.seed + 1),
    ),
    clock,
    settings,
    changed,
  };

  if (options.persistPath) {
    const loaded = Persistence.load(options.persistPath);
    if (loaded) {
      store.load(loaded.resources);
      idempotency.load(loaded.idempotency ?? []);
      lifecycle.resume(loaded.transitions ?? []);
    }
    persistence = new Persistence(options.persistPath, (): PersistedState => ({
      version: 1,
      saved_at: new Date(clock.now()).toISOString(),
      resources: store.all(),
      transitions: lifecycle.snapshot(),
      idempotency: idempotency.snapshot(),
    }));
  }

  let requestSeq = 0;
  const requestPrefix = `req_${clock.now().toString(36)}_`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = clock.now();
    const requestId = requestPrefix + (++requestSeq).toString(36);
    const method = req.method ?? "GET";
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const pathname = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const match = matchRoute(method, pathname);
    let principal: Principal | undefined;
    let project: string | null = null;

    const record = (
      status: number,
      errorCode: string | null,
      retryAfter: number | null,
      dropped: boolean,
    ): void => {
      const call: Omit<CallRecord, "seq"> = {
        at: started,
        method,
        path: pathname,
        query: q < 0 ? "" : rawUrl.slice(q + 1),
        template: match.template,
        token: principal?.label ?? null,
        project,
        status,
        error_code: errorCode,
        retry_after: retryAfter,
        dropped,
        duration_ms: clock.now() - started,
        request_id: requestId,
      };
      recorder.record(call);
      options.onCall?.(call as CallRecord);
    };
    const drop = (): void => {
      record(0, null, null, true);
      req.socket.destroy();
    };
    const sendReply = (reply: Reply, extraHeaders?: Record<string, string>): void => {
      const headers: Record<string, string | number> = { "x-request-id": requestId, ...extraHeaders };
      if (reply.location) headers.location = reply.location;
      if (reply.body === undefined) {
        res.writeHead(reply.status, headers);
        res.end();
      } else {
        const text = JSON.stringify(reply.body);
        headers["content-type"] = "application/json";
        headers["content-length"] = Buffer.byteLength(text);
        res.writeHead(reply.status, headers);
        res.end(text);
      }
      record(reply.status, null, null, false);
    };
    const sendError = (err: ApiError, closeAfter = false): void => {
      const envelope: {
        code: string;
        message: string;
        request_id: string;
        details?: Record<string, unknown>;
      } = {
        code: err.code,
        message: err.message,
        request_id: requestId,
      };
      if (err.details) envelope.details = err.details;
      const text = JSON.stringify({ error: envelope });
      const headers: Record<string, string | number> = {
        "x-request-id": requestId,
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        ...err.headers,
      };
      if (closeAfter) headers.connection = "close";
      res.writeHead(err.status, headers);
      res.end(text);
      const retryAfter = err.headers?.["retry-after"];
      record(err.status, err.code, retryAfter === undefined ? null : Number(retryAfter), false);
    };

    try {
      const authResult = auth.authenticate(req.headers);
      principal = authResult instanceof Promise ? await authResult : authResult;
      const rateHeaders: Record<string, string> = {};
      if (rateLimitOn) {
        const decision = limiter.take(principal.label);
        if (!decision.allowed) {
          const seconds = String(decision.retryAfterSeconds);
          throw new ApiError(
            429,
            "rate_limited",
            `rate limit exceeded; retry after ${seconds} s`,
            undefined,
            {
              "retry-after": seconds,
            },
          );
        }
        rateHeaders["x-ratelimit-remaining"] = String(decision.remaining);
      }

      const injected = faults.evaluate(method, match.template, principal.label);
      if (injected.latencyMs > 0) await new Promise((r) => setTimeout(r, injected.latencyMs));
      const fault = injected.terminal;
      if (fault) {
        if (fault.kind === "drop") return drop();
        throw faultError(fault);
      }

      if (match.error || !match.route) throw match.error ?? badRequest("no route");
      const route = match.route;

      const projectHeader = req.headers["x-cd-project"];
      if (route.projectScoped) {
        project = resolveProject(principal, typeof projectHeader === "string" ? projectHeader : undefined);
      }
      if (route.write && principal.readOnly) {
        throw new ApiError(403, "forbidden", "this token is read-only");
      }

      let body: unknown;
      let bodyText: string | undefined;
      if (method === "POST" || method === "PATCH") {
        const raw = await readBody(req, maxBody);
        if (raw === "too_large" || raw === "far_too_large") {
          return sendError(
            new ApiError(413, "invalid_request", `request body larger than ${maxBody} bytes`, {
              limit_bytes: maxBody,
            }),
            raw === "far_too_large",
          );
        }
        if (raw.length > 0) {
          const type = req.headers["content-type"];
          if (type !== undefined && !JSON_TYPE.test(type)) {
            throw new ApiError(415, "invalid_request", "request bodies must be application/json");
          }
          bodyText = raw.toString("utf8");
          body = parseJson(bodyText);
        }
      }

      const call: Call = {
        method,
        principal,
        project: project ?? "",
        params: match.params,
        query: q < 0 ? EMPTY_QUERY : new URLSearchParams(rawUrl.slice(q + 1)),
        body,
      };

      const keyHeader = req.headers["idempotency-key"];
      let scope: string | undefined;
      let fingerprint = "";
      if (method === "POST" && typeof keyHeader === "string") {
        if (!IDEMPOTENCY_KEY_PATTERN.test(keyHeader)) {
          throw badRequest("Idempotency-Key must be 1-255 visible ASCII characters");
        }
        scope = IdempotencyStore.scope(principal.label, call.project, pathname, keyHeader);
        fingerprint = IdempotencyStore.fingerprint(bodyText ?? "");
        const previous = idempotency.get(scope);
        if (previous) {
          if (previous.fingerprint !== fingerprint) {
            throw new ApiError(
              422,
              "idempotency_mismatch",
              "this Idempotency-Key was used with a different request body",
            );
          }
          if (injected.dropAfter) return drop();
          const headers: Record<string, string | number> = {
            "x-request-id": requestId,
            "idempotent-replayed": "true",
            "content-type": "application/json",
            "content-length": Buffer.byteLength(previous.body),
          };
          if (previous.location) headers.location = previous.location;
          res.writeHead(previous.status, headers);
          res.end(previous.body);
          record(previous.status, null, null, false);
          return;
        }
      }

      const reply = injected.ignore ? ignoredWrite(ctx, route, call) : route.handle(ctx, call);
      if (scope && reply.status < 300) {
        const stored = {
          fingerprint,
          status: reply.status,
          body: JSON.stringify(reply.body ?? null),
          stored_at: clock.now(),
          ...(reply.location ? { location: reply.location } : {}),
        };
        idempotency.put(scope, stored);
        changed();
      }
      if (injected.dropAfter) return drop();
      sendReply(reply, rateHeaders);
    } catch (err) {
      if (res.headersSent || req.socket.destroyed) return;
      if (err instanceof ApiError) return sendError(err);
      sendError(new ApiError(500, "internal", "internal error"));
      process.emitWarning(`sandbox: unexpected error on ${method} ${match.template}: ${String(err)}`);
    }
  }

  function resolveProject(principal: Principal, header: string | undefined): string {
    let project = header;
    if (project === undefined) {
      const scoped = principal.projects === "*" ? [] : [...principal.projects];
      const only = scoped.length === 1 ? scoped[0] : undefined;
      if (only === undefined) throw badRequest("the X-Cd-Project header is required");
      project = only;
    }
    if (!PROJECT_PATTERN.test(project)) throw badRequest("X-Cd-Project is not a valid project name");
    if (principal.projects !== "*" && !principal.projects.has(project)) {
      throw new ApiError(403, "forbidden", `these credentials are not valid for project ${project}`);
    }
    return project;
  }

  const server = createServer(
    { keepAliveTimeout: 30_000, requestTimeout: 60_000, maxHeaderSize: MAX_HEADER_BYTES },
    (req, res) => {
      handle(req, res).catch(() => req.socket.destroy());
    },
  );
  // Requests Node itself rejects (oversized headers, broken HTTP) still get the error envelope.
  server.on("clientError", (err: NodeJS.ErrnoException, socket) => {
    if (!socket.writable || err.code === "ECONNRESET") {
      socket.destroy();
      return;
    }
    const tooLarge = err.code === "HPE_HEADER_OVERFLOW";
    const status = tooLarge ? 431 : 400;
    const requestId = requestPrefix + (++requestSeq).toString(36);
    const text = JSON.stringify({
      error: {
        code: "invalid_request",
        message: tooLarge ? "request headers too large" : "malformed HTTP request",
        request_id: requestId,
      },
    });
    // Like every answer, with X-Request-Id (the document promises it on all responses).
    socket.end(
      `HTTP/1.1 ${status} ${tooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
        `x-request-id: ${requestId}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`,
    );
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await once(server, "listening");
  const port = (server.address() as AddressInfo).port;

  const source: InspectionSource = {
    calls: (filter) => recorder.calls(filter),
    counts: () => recorder.summary(),
    resources: () => store.all(),
    transitions: () => lifecycle.snapshot(),
    faults: () => faults.list(),
    settings: () => ({
      region: settings.region,
      zones: settings.zones,
      quotas: settings.quotas,
      delays: settings.delays,
      budget_exceeded: [...settings.budgetExceeded],
      public_ips: settings.publicIps,
      rate_limit: rateLimitOn ? limiter.current() : false,
    }),
  };
  let inspectServer: Server | undefined;
  let inspectUrl: string | undefined;
  if (options.inspectPort !== false) {
    inspectServer = createInspectionServer(source);
    inspectServer.listen(options.inspectPort ?? 0, "127.0.0.1");
    await once(inspectServer, "listening");
    inspectUrl = `http://127.0.0.1:${(inspectServer.address() as AddressInfo).port}`;
  }

  const state: SandboxState = {
    list(filter = {}) {
      return store
        .all()
        .filter((r) => filter.project === undefined || r.project === filter.project)
        .filter((r) => filter.kind === undefined || kindOfId(r.id) === filter.kind);
    },
    get: (id) => store.get(id),
    remove(id) {
      lifecycle.cancel(id);
      const removed = store.remove(id);
      if (removed) changed();
      return removed !== undefined;
    },
    patch(id, fields) {
      const resource = store.get(id);
      if (!resource) return undefined;
      Object.assign(resource, fields, { updated_at: new Date(clock.now()).toISOString() });
      changed();
      return resource;
    },
    transitions: () => lifecycle.snapshot(),
  };

  const url = `http://127.0.0.1:${port}`;
  let closed: Promise<void> | undefined;
  return {
    url,
    apiUrl: `${url}/v1`,
    port,
    inspectUrl,
    faults,
    state,
    calls: (filter) => recorder.calls(filter),
    counts: () => recorder.summary(),
    resetCalls: () => recorder.reset(),
    setRateLimit(value) {
      rateLimitOn = value !== false;
      if (value !== false) limiter.configure({ ...DEFAULT_RATE_LIMIT, ...value });
    },
    setQuotas(quotas) {
      Object.assign(settings.quotas, quotas);
    },
    setDelays(delays) {
      settings.delays = mergeDelays(settings.delays, delays);
    },
    setBudgetExceeded(exceeded, project = "*") {
      if (exceeded) settings.budgetExceeded.add(project);
      else settings.budgetExceeded.delete(project);
    },
    setPublicIps(size) {
      settings.publicIps = size;
    },
    addToken: (t) => auth.addToken(t),
    removeToken: (t) => auth.removeToken(t),
    flush: () => persistence?.flush(),
    close() {
      closed ??= (async () => {
        let saveError: Error | undefined;
        try {
          persistence?.flush(); // before the lifecycle stops, so transitions in flight are saved
        } catch (err) {
          saveError = err instanceof Error ? err : new Error(String(err));
        }
        lifecycle.close();
        server.closeAllConnections();
        inspectServer?.closeAllConnections();
        await Promise.all([
          new Promise<void>((r) => server.close(() => r())),
          inspectServer ? new Promise<void>((r) => inspectServer.close(() => r())) : undefined,
        ]);
        if (saveError !== undefined) throw saveError;
      })();
      return closed;
    },
  };
}

/**
 * The `ignore` fault: the PATCH runs against a scratch copy of the project's resources, so it is
 * refused exactly when it would be, and on success the real resource is answered as it is: 200,
 * nothing applied, nothing started.
 */
function ignoredWrite(ctx: ApiContext, route: Route, call: Call): Reply {
  const scratch = new Store();
  scratch.load(structuredClone(ctx.store.all().filter((r) => r.project === call.project)));
  const lifecycle = new Lifecycle(scratch, ctx.clock, () => undefined);
  try {
    route.handle({ ...ctx, store: scratch, lifecycle, changed: () => undefined }, call);
  } finally {
    lifecycle.close();
  }
  return { status: 200, body: ctx.store.get(call.params[0] ?? "") };
}

function faultError(fault: FaultRule): ApiError {
  switch (fault.kind) {
    case "internal":
      return new ApiError(500, "internal", fault.message ?? "internal error (injected fault)");
    case "unavailable": {
      const seconds = fault.retryAfterSeconds ?? 1;
      return new ApiError(
        503,
        "unavailable",
        fault.message ?? "service temporarily unavailable (injected fault)",
        undefined,
        seconds > 0 ? { "retry-after": String(seconds) } : undefined,
      );
    }
    case "rate_limited": {
      const seconds = String(fault.retryAfterSeconds ?? 1);
      return new ApiError(
        429,
        "rate_limited",
        fault.message ?? `rate limit exceeded; retry after ${seconds} s`,
        undefined,
        {
          "retry-after": seconds,
        },
      );
    }
    default:
      return new ApiError(fault.status ?? 500, fault.code ?? "internal", fault.message ?? "injected fault");
  }
}

/** JSON.parse that refuses `__proto__` keys (which schema validation would otherwise never see). */
function parseJson(text: string): unknown {
  let protoKey = false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, (key, value: unknown) => {
      if (key === "__proto__") protoKey = true;
      return value;
    });
  } catch {
    throw badRequest("the request body is not valid JSON");
  }
  if (protoKey) throw badRequest("the request body uses the reserved key __proto__");
  return parsed;
}

/** The body, or a marker when it exceeds `limit` (drained up to MAX_DRAIN so the 413 can be read). */
async function readBody(
  req: IncomingMessage,
  limit: number,
): Promise<Buffer | "too_large" | "far_too_large"> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > MAX_DRAIN) return "far_too_large";
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_DRAIN) return "far_too_large";
    if (size <= limit) chunks.push(chunk);
  }
  if (size > limit) return "too_large";
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
}

export { KINDS };
