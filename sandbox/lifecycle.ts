import type { Clock } from "./clock.ts";
import type { Kind, PendingTransition, Resource, Server, Volume } from "./model.ts";
import { kindOfId } from "./model.ts";
import type { Store } from "./store.ts";

/** Selects transitions for fault rules: all fields optional, all given ones must match. */
export interface TransitionMatch {
  kind?: Kind;
  id?: string;
  /** "create", "delete", "start", "stop", "reboot", "resize", "grow", "attach", "detach". */
  operation?: string;
}

interface Pending {
  transition: PendingTransition;
  timer?: NodeJS.Timeout;
  /** Due, but held back by a stuck rule. */
  held: boolean;
}

interface FailRule extends TransitionMatch {
  remaining: number;
}

/**
 * Runs the asynchronous lifecycles: each resource has at most one transition in flight, which
 * completes after its delay unless a fault rule holds it ("stuck") or turns it into `error`.
 */
export class Lifecycle {
  private readonly pending = new Map<string, Pending>();
  private stuckRules: TransitionMatch[] = [];
  private failRules: FailRule[] = [];

  constructor(
    private readonly store: Store,
    private readonly clock: Clock,
    private readonly onChange: () => void,
  ) {}

  begin(
    id: string,
    to: string,
    delayMs: number,
    operation: string,
    effect?: PendingTransition["effect"],
  ): void {
    this.cancel(id);
    const transition: PendingTransition = { id, to, due_at: this.clock.now() + delayMs, operation };
    if (effect) transition.effect = effect;
    this.arm(transition, delayMs);
  }

  cancel(id: string): void {
    const p = this.pending.get(id);
    if (p?.timer) clearTimeout(p.timer);
    this.pending.delete(id);
  }

  /** Transitions in flight, for persistence and inspection. */
  snapshot(): PendingTransition[] {
    return [...this.pending.values()].map((p) => ({ ...p.transition }));
  }

  /** Re-arms persisted transitions after a restart. */
  resume(transitions: PendingTransition[]): void {
    for (const t of transitions) {
      if (this.store.get(t.id)) this.arm(t, Math.max(0, t.due_at - this.clock.now()));
    }
  }

  stick(match: TransitionMatch): void {
    this.stuckRules.push({ ...match });
  }

  /** Removes every stuck rule and completes the transitions they held. */
  unstickAll(): void {
    this.stuckRules = [];
    for (const p of [...this.pending.values()]) if (p.held) this.fire(p.transition.id);
  }

  failNext(match: TransitionMatch, count = 1): void {
    this.failRules.push({ ...match, remaining: count });
  }

  clearFaults(): void {
    this.failRules = [];
    this.unstickAll();
  }

  /** Puts a resource into `error` at once, dropping any transition in flight. */
  forceError(id: string, reason: string): boolean {
    const resource = this.store.get(id);
    if (!resource) return false;
    this.cancel(id);
    resource.state = "error";
    resource.state_reason = reason;
    resource.updated_at = new Date(this.clock.now()).toISOString();
    this.onChange();
    return true;
  }

  close(): void {
    for (const p of this.pending.values()) if (p.timer) clearTimeout(p.timer);
    this.pending.clear();
  }

  private arm(transition: PendingTransition, delayMs: number): void {
    const entry: Pending = { transition, held: false };
    entry.timer = setTimeout(() => this.fire(transition.id), delayMs);
    entry.timer.unref();
    this.pending.set(transition.id, entry);
  }

  private fire(id: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    const t = p.transition;
    if (this.stuckRules.some((rule) => matches(rule, t))) {
      p.held = true;
      p.timer = undefined;
      return;
    }
    this.pending.delete(id);
    const resource = this.store.get(id);
    if (!resource) return;
    const failRule = this.failRules.find((rule) => rule.remaining > 0 && matches(rule, t));
    if (failRule) {
      failRule.remaining -= 1;
      this.failRules = this.failRules.filter((r) => r.remaining > 0);
      resource.state = "error";
      resource.state_reason = `the ${t.operation} operation failed (injected fault)`;
    } else if (t.to === "gone") {
      this.removeWithSideEffects(id);
    } else {
      if (t.effect === "finish_detach") (resource as Volume).server_id = null;
      // `to` is a state the handler that began the transition chose for this kind.
      resource.state = t.to as Resource["state"];
      resource.state_reason = null;
    }
    resource.updated_at = new Date(this.clock.now()).toISOString();
    this.onChange();
  }

  private removeWithSideEffects(id: string): void {
    const resource = this.store.remove(id);
    const kind = kindOfId(id);
    if (kind === "server" && resource) {
      // The cloud detaches data volumes when their server goes away.
      for (const volumeId of (resource as Server).volume_ids) {
        const volume = this.store.getOf("volume", volumeId);
        if (!volume) continue;
        this.cancel(volumeId);
        volume.server_id = null;
        if (volume.state !== "error" && volume.state !== "deleting") volume.state = "available";
      }
    }
    if (kind === "volume" && resource) {
      const serverId = (resource as Volume).server_id;
      const server = serverId ? this.store.getOf("server", serverId) : undefined;
      if (server) server.volume_ids = server.volume_ids.filter((v) => v !== id);
    }
  }
}

function matches(rule: TransitionMatch, t: PendingTransition): boolean {
  if (rule.id !== undefined && rule.id !== t.id) return false;
  if (rule.kind !== undefined && rule.kind !== kindOfId(t.id)) return false;
  if (rule.operation !== undefined && rule.operation !== t.operation) return false;
  return true;
}
