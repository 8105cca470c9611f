import type { Clock } from "./clock.ts";
import type { ErrorCode } from "./errors.ts";
import type { Lifecycle, TransitionMatch } from "./lifecycle.ts";
import type { Random } from "./random.ts";

/**
 * Request faults:
 * - `internal`: 500 internal; `unavailable`: 503 with Retry-After; `rate_limited`: a 429 storm
 *   with Retry-After regardless of the token's bucket; `error`: any status/code you name;
 * - `drop`: the connection is destroyed before the request is handled (nothing happened);
 * - `drop_after`: the request is fully handled (a POST creates!) and then the connection is
 *   destroyed before the response is written, as a crashed proxy would;
 * - `latency`: delay before handling, `latencyMs` (+ up to `jitterMs`);
 * - `ignore`: a PATCH is checked as usual (404, 400, 409, 422 answer as they would) and then
 *   answered 200 with the resource as it is, with nothing applied: a server that silently drops
 *   a setting. Only PATCH requests match an `ignore` rule (and count towards its `count`).
 */
export type FaultKind =
  "internal" | "unavailable" | "rate_limited" | "error" | "drop" | "drop_after" | "latency" | "ignore";

export interface FaultRule {
  kind: FaultKind;
  /** Share of matching requests affected, 0..1, drawn from the seeded PRNG. Default 1. */
  rate?: number;
  /** Affect only this many requests, then the rule expires. Default: no limit. */
  count?: number;
  /** The rule expires this long after it is added. */
  durationMs?: number;
  /** Match: HTTP method (e.g. "POST"). */
  method?: string;
  /** Match: path template, e.g. "/v1/compute/servers" or "/v1/compute/servers/{id}/actions". */
  path?: string;
  /** Match: principal label (API token `name` or `tokenLabel(token)`, or `oidc:<azp>:<sub>`). */
  token?: string;
  /** For unavailable / rate_limited: the Retry-After seconds (default 1; unavailable 0 = omit). */
  retryAfterSeconds?: number;
  latencyMs?: number;
  jitterMs?: number;
  /** For kind "error": the status and code to answer with. */
  status?: number;
  code?: ErrorCode;
  message?: string;
}

export interface ActiveFault extends FaultRule {
  id: string;
  /** Requests affected so far. */
  hits: number;
  expiresAt?: number;
}

export interface RequestFaults {
  latencyMs: number;
  /** The first terminal fault (an error answer or a drop), if any. */
  terminal?: ActiveFault;
  dropAfter: boolean;
  /** A PATCH to check and answer without applying it (kind `ignore`). */
  ignore: boolean;
}

const NONE: RequestFaults = { latencyMs: 0, dropAfter: false, ignore: false };

/** Kinds that change how a request is handled or answered rather than answering it themselves. */
const NON_TERMINAL: ReadonlySet<FaultKind> = new Set(["latency", "drop_after", "ignore"]);

/** Fault control, at start (options.faults) and at run time (sandbox.faults). */
export class FaultController {
  private rules: ActiveFault[] = [];
  private nextId = 1;

  constructor(
    private readonly clock: Clock,
    private readonly random: Random,
    private readonly lifecycle: Lifecycle,
  ) {}

  /** Adds a request fault rule; returns its id for remove(). */
  add(rule: FaultRule): string {
    const id = `fault-${this.nextId++}`;
    const active: ActiveFault = { ...rule, id, hits: 0 };
    if (rule.durationMs !== undefined) active.expiresAt = this.clock.now() + rule.durationMs;
    this.rules.push(active);
    return id;
  }

  remove(id: string): void {
    this.rules = this.rules.filter((r) => r.id !== id);
  }

  list(): ActiveFault[] {
    this.expire();
    return this.rules.map((r) => ({ ...r }));
  }

  /** Removes all request rules and all transition faults (stuck transitions complete now). */
  clear(): void {
    this.rules = [];
    this.lifecycle.clearFaults();
  }

  /** Transitions matching `match` do not complete until unstick(). */
  stickTransitions(match: TransitionMatch = {}): void {
    this.lifecycle.stick(match);
  }

  unstickTransitions(): void {
    this.lifecycle.unstickAll();
  }

  /** The next `count` transitions matching `match` end in state `error` instead. */
  failNextTransitions(match: TransitionMatch = {}, count = 1): void {
    this.lifecycle.failNext(match, count);
  }

  /** Puts a resource into `error` now. Returns false when it does not exist. */
  forceError(id: string, reason = "forced into error (injected fault)"): boolean {
    return this.lifecycle.forceError(id, reason);
  }

  /** Decides the faults for one request. Cheap when no rule exists (the benchmark path). */
  evaluate(method: string, template: string, token: string | undefined): RequestFaults {
    if (this.rules.length === 0) return NONE;
    this.expire();
    const out: RequestFaults = { latencyMs: 0, dropAfter: false, ignore: false };
    for (const rule of this.rules) {
      if (rule.method !== undefined && rule.method !== method) continue;
      if (rule.path !== undefined && rule.path !== template) continue;
      if (rule.token !== undefined && rule.token !== token) continue;
      if (rule.kind === "ignore" && (method !== "PATCH" || out.ignore)) continue;
      if (!NON_TERMINAL.has(rule.kind) && out.terminal) continue;
      if (rule.kind === "drop_after" && out.dropAfter) continue;
      if (rule.rate !== undefined && this.random() >= rule.rate) continue;
      rule.hits += 1;
      if (rule.kind === "latency") {
        out.latencyMs += (rule.latencyMs ?? 0) + Math.floor(this.random() * (rule.jitterMs ?? 0));
      } else if (rule.kind === "drop_after") {
        out.dropAfter = true;
      } else if (rule.kind === "ignore") {
        out.ignore = true;
      } else {
        out.terminal = rule;
      }
    }
    this.rules = this.rules.filter((r) => r.count === undefined || r.hits < r.count);
    return out;
  }

  private expire(): void {
    const now = this.clock.now();
    if (this.rules.some((r) => r.expiresAt !== undefined && r.expiresAt <= now)) {
      this.rules = this.rules.filter((r) => r.expiresAt === undefined || r.expiresAt > now);
    }
  }
}
