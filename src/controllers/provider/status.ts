// Status of ProviderConfig and ClusterProviderConfig objects: the endpoints in effect and a Ready
// condition saying whether the credentials work for the project (one list of at most one VPC per
// check), plus
// an S3Ready condition when the config has S3 credentials (one ListBuckets), so `kubectl get
// providerconfigs` shows a broken config before any object trips over it, and a fixed Secret
// (REST or S3) changes the status, which wakes the objects using the config.
import { isCloudDigitError } from "../../client/errors.ts";
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
  now?: () => number;
}

export class ProviderConfigStatusReconciler {
  constructor(private readonly opts: ProviderConfigStatusOptions) {}

  async reconcile(found: AnyConfig): Promise<Requeue> {
    const { config } = found;
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
    const previous = (config.status?.conditions ?? []) as Condition[];
    const now = (this.opts.now ?? Date.now)();
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
    const status: ProviderConfigStatus = {
      observedGeneration: config.metadata.generation,
      endpoints: effectiveEndpoints(config.spec, this.opts.resolver.endpointDomain),
      conditions,
    };
    await this.opts.write(found, status);
    return {
      requeueAfterMs:
        ready.status === "True" && s3?.status !== "False"
          ? (this.opts.recheckOkMs ?? 600_000)
          : (this.opts.recheckFailedMs ?? 30_000),
    };
  }
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
