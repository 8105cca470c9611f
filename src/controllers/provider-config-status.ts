// Status of ProviderConfig and ClusterProviderConfig objects: the endpoints in effect and a Ready
// condition saying whether the credentials work (one authenticated catalog call per check), so
// `kubectl get providerconfigs` shows a broken config before any object trips over it.
import { isCloudDigitError } from "../client/errors.ts";
import { setCondition, type Condition } from "../runtime/conditions.ts";
import type { Requeue } from "./outcome.ts";
import { effectiveEndpoints, type AnyConfig, type ProviderConfigResolver } from "./provider-config.ts";

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
    let ready: { status: "True" | "False"; reason: string; message: string };
    if (!resolution.ok) {
      ready = { status: "False", reason: resolution.reason, message: resolution.message };
    } else {
      try {
        await resolution.api.regions();
        ready = { status: "True", reason: "CredentialsValid", message: "the API accepted the credentials" };
      } catch (err) {
        const kind = isCloudDigitError(err) ? err.kind : "transient";
        const reason =
          kind === "unauthenticated"
            ? "Unauthenticated"
            : kind === "forbidden"
              ? "Forbidden"
              : "EndpointUnreachable";
        ready = { status: "False", reason, message: err instanceof Error ? err.message : String(err) };
      }
    }
    const previous = (config.status?.conditions ?? []) as Condition[];
    const before = previous.find((c) => c.type === "Ready");
    if (before?.status === ready.status && sameApartFromRequestId(before.message, ready.message)) {
      // A failing check repeats every 30 s with a new request ID in its message. Rewriting the
      // status for that would change the config's resourceVersion and so wake (and re-run
      // against the cloud) every object using the config, every 30 s.
      ready = { ...ready, message: before.message };
    }
    const status: ProviderConfigStatus = {
      observedGeneration: config.metadata.generation,
      endpoints: effectiveEndpoints(config.spec, this.opts.resolver.endpointDomain),
      conditions: setCondition(
        previous,
        { type: "Ready", ...ready, observedGeneration: config.metadata.generation },
        (this.opts.now ?? Date.now)(),
      ),
    };
    await this.opts.write(found, status);
    return {
      requeueAfterMs:
        ready.status === "True" ? (this.opts.recheckOkMs ?? 600_000) : (this.opts.recheckFailedMs ?? 30_000),
    };
  }
}

/** Messages equal once the API's per-request IDs (`request req_...`) are set aside. */
function sameApartFromRequestId(a: string, b: string): boolean {
  const stable = (m: string) => m.replace(/\breq_[A-Za-z0-9_-]+/g, "req_");
  return stable(a) === stable(b);
}
