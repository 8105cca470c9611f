// Status of ProviderConfig and ClusterProviderConfig objects: the endpoints in effect and a Ready
// condition saying whether the credentials work for the project (one list of at most one VPC per
// check), plus
// an S3Ready condition when the config has S3 credentials (one ListBuckets), so `kubectl get
// providerconfigs` shows a broken config before any object trips over it, and a fixed Secret
// (REST or S3) changes the status, which wakes the objects using the config.
import { isCloudDigitError } from "../../client/errors.ts";
import { DELETIONS_STALLED_CONDITION } from "../../crds/provider-config.ts";
import { setCondition, type Condition } from "../../runtime/conditions.ts";
import { NotConnected } from "../generic/actuator.ts";
import type { Requeue } from "../generic/outcome.ts";
import { effectiveEndpoints, type AnyConfig, type ProviderConfigResolver } from "./resolver.ts";

type Check = { status: "True" | "False"; reason: string; message: string };

function failedCheck(err: unknown, prefix = ""): Check {
  if (err instanceof NotConnected)
    return { status: "False", reason: "ProviderConfigInvalid", message: err.message };
  const kind = isCloudDigitError(err) ? err.kind : "transient";
  const reason =
    kind === "unauthenticated"
      ? "Unauthenticated"
      : kind === "forbidden"
        ? "Forbidden"
        : "EndpointUnreachable";
  return {
    status: "False",
    reason: `${prefix}${reason}`,
    message: err instanceof Error ? err.message : String(err),
  };
}

export interface ProviderConfigStatus {
  observedGeneration?: number;
  endpoints?: { api: string; s3: string; identity: string };
  conditions?: Condition[];
}

export interface ProviderConfigStatusOptions {
  resolver: ProviderConfigResolver;
  /** Writes the status subresource when it differs from the object's. */
  write(found: AnyConfig, status: ProviderConfigStatus): Promise<void>;
  /** Re-check working credentials this often (default 10 min). */
  recheckOkMs?: number;
  /**
   * Re-check broken ones this often (default 30 s). Secrets are not watched (that would need
   * list/watch on every Secret); a fixed Secret shows at the next check, whose status write wakes
   * the objects using the config (they watch it, and its resourceVersion is in their fingerprint).
   */
  recheckFailedMs?: number;
  /** The objects using the config that are being deleted (none: no DeletionsStalled condition). */
  deleting?: (found: AnyConfig) => readonly UsingObject[];
  /** A deletion counts as stalled when Stalled=True, or once it has lasted this long (default 10 min). */
  stalledDeletionAfterMs?: number;
  now?: () => number;
}

/** A managed object that uses a config, as the DeletionsStalled condition names it. */
export interface UsingObject {
  kind: string;
  object: {
    metadata: {
      namespace?: string | undefined;
      name?: string | undefined;
      deletionTimestamp?: string | undefined;
    };
    status?: { conditions?: readonly Condition[] | undefined } | undefined;
  };
}

const DEFAULT_STALLED_DELETION_AFTER_MS = 10 * 60_000;

/** The key noteDeletionChange takes. */
export function configStatusKey(found: AnyConfig): string {
  return `${found.kind}/${found.config.metadata.namespace ?? ""}/${found.config.metadata.name ?? ""}`;
}

export class ProviderConfigStatusReconciler {
  /** Configs whose next reconcile is only about their users' deletions: no credential check. */
  private readonly deletionsOnly = new Set<string>();

  constructor(private readonly opts: ProviderConfigStatusOptions) {}

  /**
   * An object using the config changed while being deleted: the config's next reconcile updates
   * DeletionsStalled and reuses its last credential checks (a cloud call per event would be waste).
   */
  noteDeletionChange(configKey: string): void {
    this.deletionsOnly.add(configKey);
  }

  async reconcile(found: AnyConfig): Promise<Requeue> {
    const { config } = found;
    const key = configStatusKey(found);
    const previous = (config.status?.conditions ?? []) as Condition[];
    const now = (this.opts.now ?? Date.now)();
    const deletionsOnly = this.deletionsOnly.delete(key);
    const lastReady = previous.find((c) => c.type === "Ready");
    const deletions = this.deletions(found, now);
    if (deletionsOnly && lastReady && config.status?.observedGeneration === config.metadata.generation) {
      const conditions = deletions
        ? setCondition(previous, { ...deletions.check, observedGeneration: config.metadata.generation }, now)
        : previous;
      await this.opts.write(found, {
        observedGeneration: config.metadata.generation,
        endpoints: effectiveEndpoints(config.spec, this.opts.resolver.endpointDomain),
        conditions,
      });
      return { requeueAfterMs: deletions?.recheckAfterMs ?? this.opts.recheckOkMs ?? 600_000 };
    }
    const resolution = await this.opts.resolver.resolveConfig(found);
    let ready: Check;
    let s3: Check | undefined;
    if (!resolution.ok) {
      ready = { status: "False", reason: resolution.reason, message: resolution.message };
    } else {
      try {
        // A project-scoped read: the catalog answers any valid token, but a token that may not
        // use this project would pass that check and then fail every object with Forbidden.
        await resolution.provider.rest.network.vpcs.listAll({ limit: 1 }, { maxPages: 1 });
        ready = {
          status: "True",
          reason: "CredentialsValid",
          message: `the API accepted the credentials for project ${config.spec.project}`,
        };
      } catch (err) {
        ready = failedCheck(err);
      }
      if (config.spec.credentials.s3) {
        try {
          const target = await resolution.provider.s3();
          await target.s3.checkCredentials();
          s3 = {
            status: "True",
            reason: "CredentialsValid",
            message: "the S3 endpoint accepted the credentials",
          };
        } catch (err) {
          s3 = failedCheck(err);
        }
      }
    }
    let conditions = setCondition(
      previous,
      { type: "Ready", ...stable(previous, "Ready", ready), observedGeneration: config.metadata.generation },
      now,
    );
    if (s3) {
      conditions = setCondition(
        conditions,
        {
          type: "S3Ready",
          ...stable(previous, "S3Ready", s3),
          observedGeneration: config.metadata.generation,
        },
        now,
      );
    } else conditions = conditions.filter((c) => c.type !== "S3Ready");
    if (deletions) {
      conditions = setCondition(
        conditions,
        { ...deletions.check, observedGeneration: config.metadata.generation },
        now,
      );
    }
    const status: ProviderConfigStatus = {
      observedGeneration: config.metadata.generation,
      endpoints: effectiveEndpoints(config.spec, this.opts.resolver.endpointDomain),
      conditions,
    };
    await this.opts.write(found, status);
    const recheck =
      ready.status === "True" && s3?.status !== "False"
        ? (this.opts.recheckOkMs ?? 600_000)
        : (this.opts.recheckFailedMs ?? 30_000);
    return { requeueAfterMs: Math.min(recheck, deletions?.recheckAfterMs ?? recheck) };
  }

  /**
   * DeletionsStalled: the deletions of objects using this config that need someone. Argo CD shows
   * every object being deleted as "Pending deletion" before any health script runs, so a stuck
   * deletion can only be seen on a live object; this condition puts it on the config.
   */
  private deletions(
    found: AnyConfig,
    now: number,
  ): { check: Check & { type: string }; recheckAfterMs?: number } | undefined {
    if (!this.opts.deleting) return undefined;
    const after = this.opts.stalledDeletionAfterMs ?? DEFAULT_STALLED_DELETION_AFTER_MS;
    const stalled: string[] = [];
    let soonest: number | undefined;
    for (const { kind, object } of this.opts.deleting(found)) {
      const conditions = object.status?.conditions ?? [];
      const since = Date.parse(object.metadata.deletionTimestamp ?? "");
      const isStalled = conditions.some((c) => c.type === "Stalled" && c.status === "True");
      const age = Number.isNaN(since) ? 0 : now - since;
      if (isStalled || age >= after) {
        const ready = conditions.find((c) => c.type === "Ready");
        const why = ready ? `${ready.reason}: ${ready.message}` : "no status yet";
        stalled.push(`${object.metadata.namespace ?? ""}/${kind}/${object.metadata.name ?? ""}: ${why}`);
      } else {
        soonest = Math.min(soonest ?? Infinity, after - age);
      }
    }
    stalled.sort();
    const check: Check & { type: string } =
      stalled.length === 0
        ? { type: DELETIONS_STALLED_CONDITION, status: "False", reason: "NoStalledDeletions", message: "" }
        : {
            type: DELETIONS_STALLED_CONDITION,
            status: "True",
            reason: "DeletionStalled",
            message: truncate(
              `${stalled.length} object${stalled.length === 1 ? "" : "s"} cannot finish deleting: ${stalled.join("; ")}`,
              4_000,
            ),
          };
    return { check, ...(soonest !== undefined ? { recheckAfterMs: Math.max(1_000, soonest) } : {}) };
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 3)}...`;
}

/**
 * A failing check repeats every 30 s with a new request ID in its message. Rewriting the status for
 * that would change the config's resourceVersion and so wake (and re-run against the cloud) every
 * object using the config, every 30 s: the previous message stays.
 */
function stable(previous: readonly Condition[], type: string, check: Check): Check {
  const before = previous.find((c) => c.type === type);
  if (before?.status === check.status && sameApartFromRequestId(before.message, check.message)) {
    return { ...check, message: before.message };
  }
  return check;
}

/** Messages equal once the API's per-request IDs (`request req_...`) are set aside. */
function sameApartFromRequestId(a: string, b: string): boolean {
  const stable = (m: string) => m.replace(/\breq_[A-Za-z0-9_-]+/g, "req_");
  return stable(a) === stable(b);
}
