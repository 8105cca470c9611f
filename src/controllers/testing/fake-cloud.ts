// An in-memory Cloud Digit for unit tests of the reconciler and actuators: the same states and
// refusals as the REST contract, transitions completed by `settle()`, call counters, and
// injectable failures. Integration tests use the real sandbox instead.
import { CloudDigitError, type ErrorKind } from "../../client/errors.ts";
import type { CreateOptions, DeleteOutcome, ListFilter } from "../../client/api/collection.ts";
import type { CloudApi, CollectionApi, Server, SshKey, Subnet, Volume, Vpc } from "../rest/cloud-api.ts";

type AnyResource = Vpc | Subnet | SshKey | Server | Volume;

interface Pending {
  /** The state to settle in, or "gone". */
  to: string;
  effect?: () => void;
}

export class FakeCloud implements CloudApi {
  readonly calls: string[] = [];
  /** Bodies of accepted creates, in order. */
  readonly createBodies: Array<Record<string, unknown>> = [];
  private readonly resources = new Map<string, AnyResource>();
  private readonly pending = new Map<string, Pending>();
  private readonly idempotency = new Map<string, AnyResource>();
  private readonly failures: Array<{ op: string; error: CloudDigitError; times: number }> = [];
  private seq = 0;

  readonly network: CloudApi["network"];
  readonly compute: CloudApi["compute"];
  /** Set by withCatalog(); without it the create-time catalog checks are skipped. */
  region: string | undefined;
  readonly storage: CloudApi["storage"];

  constructor() {
    this.network = {
      vpcs: this.collection<Vpc>("vpc", "creating", "active"),
      subnets: this.collection<Subnet>("subnet", "creating", "active", (body) => {
        const vpc = this.resources.get(String(body.vpc_id));
        if (!vpc) throw err("not_found", `vpc ${String(body.vpc_id)} not found`);
      }),
    };
    const servers = this.collection<Server>("vm", "building", "active", undefined, (body) => ({
      subnet_id: body.subnet_id,
      ssh_key_ids: body.ssh_key_ids ?? [],
      addresses: {
        private_ip: `10.0.1.${++this.seq}`,
        public_ip: body.public_ip ? `203.0.113.${this.seq}` : null,
      },
      volume_ids: [],
      zone: "bd-dha-1a",
    }));
    this.compute = {
      sshKeys: this.collection<SshKey>("sshkey", "active", "active", undefined, () => ({
        fingerprint: "SHA256:fake",
      })),
      servers: {
        ...servers,
        action: async (id, action) => {
          this.record(`server.${action.type}`);
          const s = this.must<Server>(id);
          if (action.type === "stop") {
            if (s.state !== "active") throw err("conflict", `cannot stop a server that is ${s.state}`);
            this.transition(s, "stopping", "stopped");
          } else if (action.type === "start") {
            if (s.state !== "stopped") throw err("conflict", `cannot start a server that is ${s.state}`);
            this.transition(s, "starting", "active");
          } else if (action.type === "reboot") {
            this.transition(s, "rebooting", "active");
          } else {
            const same = s.flavor.split("-")[0] === action.flavor.split("-")[0];
            if (!same && s.state !== "stopped")
              throw err("conflict", "resizing across families needs the server stopped");
            if (s.flavor === action.flavor)
              throw err("invalid", `the server already has flavor ${action.flavor}`);
            s.flavor = action.flavor;
            this.transition(s, "resizing", s.state);
          }
          return { ...s };
        },
      },
    };
    const volumes = this.collection<Volume>("vol", "creating", "available", undefined, (body) => ({
      size_gib: body.size_gib,
      type: body.type ?? "nvme",
      iops: body.iops ?? null,
      zone: body.zone,
      server_id: null,
    }));
    this.storage = {
      volumes: {
        ...volumes,
        attach: async (id, serverId) => {
          this.record("volume.attach");
          const v = this.must<Volume>(id);
          const s = this.must<Server>(serverId);
          if (v.state !== "available") throw err("conflict", `cannot attach a volume that is ${v.state}`);
          v.server_id = serverId;
          s.volume_ids = [...s.volume_ids, id];
          this.transition(v, "attaching", "in_use");
          return { ...v };
        },
        detach: async (id, serverId) => {
          this.record("volume.detach");
          const v = this.must<Volume>(id);
          if (v.state !== "in_use") throw err("conflict", `cannot detach a volume that is ${v.state}`);
          this.transition(v, "detaching", "available", () => {
            v.server_id = null;
            const s = this.resources.get(serverId) as Server | undefined;
            if (s) s.volume_ids = s.volume_ids.filter((x) => x !== id);
          });
          return { ...v };
        },
      },
    };
  }

  async regions(): Promise<Array<{ name: string; zones: string[] }>> {
    this.record("regions.list");
    return [{ name: "bd-dha-1", zones: ["bd-dha-1a"] }];
  }

  /** Completes every transition in progress. */
  settle(): void {
    for (const [id, p] of [...this.pending]) {
      this.pending.delete(id);
      const r = this.resources.get(id);
      if (!r) continue;
      if (p.to === "gone") {
        this.resources.delete(id);
        if (id.startsWith("vm_")) {
          for (const v of this.list<Volume>("vol_"))
            if (v.server_id === id) Object.assign(v, { server_id: null, state: "available" });
        }
      } else {
        r.state = p.to;
        p.effect?.();
      }
    }
  }

  /** Serves flavor and image catalogs and names the region, as the real client does. */
  withCatalog(flavors: string[], images: string[], region = "bd-dha-1"): this {
    this.region = region;
    this.compute.flavors = async () => {
      this.record("flavors.list");
      return flavors.map((name) => ({ name, vcpus: 1, ram_gib: 1 }));
    };
    this.compute.images = async () => {
      this.record("images.list");
      return images.map((name) => ({ name }));
    };
    return this;
  }

  /** Fails the next `times` calls of `op` (e.g. "vpc.create") with an error of this kind. */
  failNext(
    op: string,
    kind: ErrorKind,
    message = `${kind} (injected)`,
    times = 1,
    retryAfterMs?: number,
  ): void {
    this.failures.push({ op, error: err(kind, message, retryAfterMs), times });
  }

  get<R extends AnyResource>(id: string): R | undefined {
    return this.resources.get(id) as R | undefined;
  }

  list<R extends AnyResource>(prefix: string): R[] {
    return [...this.resources.values()].filter((r) => r.id.startsWith(prefix)) as R[];
  }

  /** Simulates an out-of-band change (console, another tool). */
  mutate(id: string, change: (r: AnyResource) => void): void {
    change(this.must(id));
  }

  /** Simulates deletion outside Kubernetes. */
  deleteOutOfBand(id: string): void {
    this.resources.delete(id);
  }

  count(op: string): number {
    return this.calls.filter((c) => c === op).length;
  }

  private record(op: string): void {
    this.calls.push(op);
    const f = this.failures.find((x) => x.op === op && x.times > 0);
    if (f) {
      f.times--;
      throw f.error;
    }
  }

  private must<R extends AnyResource>(id: string): R {
    const r = this.resources.get(id);
    if (!r) throw err("not_found", `${id} not found`);
    return r as R;
  }

  private transition(r: AnyResource, now: string, to: string, effect?: () => void): void {
    r.state = now;
    r.updated_at = `t${++this.seq}`;
    this.pending.set(r.id, { to, effect });
  }

  private collection<R extends AnyResource>(
    prefix: string,
    initial: string,
    settled: string,
    check?: (body: Record<string, unknown>) => void,
    extra?: (body: Record<string, unknown>) => Record<string, unknown>,
  ): CollectionApi<R, never, never> & CollectionApi<R, unknown, unknown> {
    const kind = prefix === "vm" ? "server" : prefix === "vol" ? "volume" : prefix;
    return {
      create: async (body: unknown, opts: CreateOptions) => {
        this.record(`${kind}.create`);
        const b = body as Record<string, unknown>;
        // Like the real API: a known key replays the first answer, even if that resource is gone since.
        const replay = this.idempotency.get(opts.idempotencyKey);
        if (replay) return structuredClone(replay) as R;
        check?.(b);
        this.createBodies.push(structuredClone(b));
        const id = `${prefix}_${String(++this.seq).padStart(26, "0")}`;
        const { tags, ...rest } = b;
        const r = {
          ...rest,
          ...(extra?.(b) ?? {}),
          id,
          state: initial,
          state_reason: null,
          created_at: "2026-01-01T00:00:00Z",
          updated_at: `t${this.seq}`,
          tags: { ...((tags as Record<string, string>) ?? {}) },
        } as unknown as R;
        for (const k of ["user_data", "public_ip", "boot_volume_size_gib"])
          delete (r as Record<string, unknown>)[k];
        this.resources.set(id, r);
        this.idempotency.set(opts.idempotencyKey, structuredClone(r));
        if (initial !== settled) this.pending.set(id, { to: settled });
        return { ...r };
      },
      find: async (id: string) => {
        this.record(`${kind}.get`);
        const r = this.resources.get(id);
        return r ? ({ ...r } as R) : undefined;
      },
      listAll: async (filter: Omit<ListFilter, "cursor"> = {}) => {
        this.record(`${kind}.list`);
        return this.list<R>(`${prefix}_`)
          .filter((r) => !filter.ids || filter.ids.includes(r.id))
          .filter((r) => Object.entries(filter.tags ?? {}).every(([k, v]) => r.tags[k] === v))
          .map((r) => ({ ...r }));
      },
      update: async (id: string, patch: unknown) => {
        this.record(`${kind}.update`);
        const r = this.must<R>(id);
        const p = patch as Record<string, unknown>;
        if (p.tags) r.tags = { ...(p.tags as Record<string, string>) };
        if (p.description !== undefined) (r as Vpc).description = p.description as string;
        if (p.size_gib !== undefined) {
          const v = r as Volume;
          if ((p.size_gib as number) < v.size_gib) throw err("invalid", "volumes cannot shrink");
          v.size_gib = p.size_gib as number;
          this.transition(v, "resizing", v.state);
        }
        if (p.iops !== undefined) (r as Volume).iops = p.iops as number;
        return { ...r };
      },
      delete: async (id: string): Promise<DeleteOutcome> => {
        this.record(`${kind}.delete`);
        const r = this.resources.get(id);
        if (!r) return "gone";
        if (prefix === "vpc" && this.list<Subnet>("subnet_").some((s) => s.vpc_id === id)) {
          throw err("conflict", "the VPC still has subnets");
        }
        if (prefix === "vol" && (r as Volume).server_id) throw err("conflict", "the volume is attached");
        this.transition(r, "deleting", "gone");
        return "accepted";
      },
    };
  }
}

function err(kind: ErrorKind, message: string, retryAfterMs?: number): CloudDigitError {
  return new CloudDigitError({ kind, message, retryAfterMs, code: kind });
}
