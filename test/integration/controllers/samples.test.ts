// The samples in config/samples, applied together against the real apiserver and the sandbox:
// they converge to Ready with the right IDs, IPs and attachments, stay quiet once converged, and
// deleting them removes every cloud resource without the cloud refusing a single delete.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManagedKind } from "../../../src/controllers/generic/actuator.ts";
import { auditedStatusWrites, sampleObjects, startEnv, SAMPLE_PROJECT, type Env } from "./support.ts";

let env: Env;
const managed: Array<[ManagedKind, string]> = [
  ["VPC", "web"],
  ["Subnet", "web-a"],
  ["SSHKey", "platform"],
  ["Volume", "web-data"],
  ["VM", "web-1"],
];

beforeAll(async () => {
  env = await startEnv("samples");
});

afterAll(async () => {
  await env?.stop();
});

describe("config/samples against the sandbox", () => {
  it("converge to Ready=True with correct IDs, IPs and attachments; kubectl wait succeeds on each", async () => {
    // Applied together, dependants first, so the dependency waits are exercised too.
    for (const obj of sampleObjects(env.sandbox.url).reverse()) await env.apply(obj);
    for (const [kind, name] of managed) {
      const out = await env.kubectl(
        "wait",
        "--for=condition=Ready",
        `${kind.toLowerCase()}s.clouddigit.ai/${name}`,
        "--timeout=90s",
      );
      expect(out).toContain("condition met");
    }
    const [vpc, subnet, key, volume, vm] = await Promise.all(managed.map(([k, n]) => env.get(k, n)));
    const cloud = (id: string | undefined) =>
      env.sandbox.state.get(id ?? "") as Record<string, unknown> | undefined;
    const cloudVm = cloud(vm?.status?.id) as {
      subnet_id: string;
      ssh_key_ids: string[];
      volume_ids: string[];
      addresses: { private_ip: string; public_ip: string | null };
      state: string;
      flavor: string;
    };
    expect(cloud(vpc?.status?.id)).toMatchObject({
      cidr: "10.20.0.0/16",
      state: "active",
      description: "Network of the web tier",
    });
    expect(cloud(subnet?.status?.id)).toMatchObject({
      vpc_id: vpc?.status?.id,
      cidr: "10.20.1.0/24",
      zone: "bd-dha-1a",
    });
    expect(cloudVm).toMatchObject({
      subnet_id: subnet?.status?.id,
      ssh_key_ids: [key?.status?.id],
      volume_ids: [volume?.status?.id],
      state: "active",
      flavor: "std-2x8",
    });
    // The VM is Ready only once the volume reports the attachment, so both sides agree by now.
    expect(cloud(volume?.status?.id)).toMatchObject({
      server_id: vm?.status?.id,
      state: "in_use",
      size_gib: 50,
    });
    expect(vm?.status?.atProvider).toMatchObject({
      privateIP: cloudVm.addresses.private_ip,
      publicIP: cloudVm.addresses.public_ip,
      volumeIDs: [volume?.status?.id],
      subnetID: subnet?.status?.id,
    });
    expect(cloudVm.addresses.private_ip).toMatch(/^10\.20\.1\.\d+$/);
    expect(volume?.status).toMatchObject({ state: "in_use", atProvider: { serverID: vm?.status?.id } });
    expect(key?.status?.atProvider?.fingerprint).toMatch(/^SHA256:/);
    // What `kubectl get` shows: state, ID, IPs and Ready from the printer columns.
    const table = await env.kubectl("get", "vms.clouddigit.ai", "web-1");
    for (const cell of ["std-2x8", "active", vm?.status?.id ?? "?", cloudVm.addresses.private_ip, "True"]) {
      expect(table).toContain(cell);
    }
    for (const [kind, name] of managed) {
      const o = await env.get(kind, name);
      const conditions = Object.fromEntries((o?.status?.conditions ?? []).map((c) => [c.type, c.status]));
      expect(conditions, `${kind} ${name}`).toEqual({
        Ready: "True",
        Synced: "True",
        Reconciling: "False",
        Stalled: "False",
      });
      expect(o?.status?.observedGeneration).toBe(o?.metadata.generation);
      expect(o?.metadata.finalizers).toEqual(["clouddigit.ai/cleanup"]);
      const tags = (cloud(o?.status?.id) as { tags: Record<string, string> }).tags;
      expect(tags["clouddigit.ai/owner"]).toBe(o?.metadata.uid);
    }
  });

  it("makes no status write and no cloud call for the unchanged, converged samples between resyncs", async () => {
    // Let any last event-driven reconcile settle, then measure a quiet window.
    await new Promise((r) => setTimeout(r, 1500));
    const audit = auditedStatusWrites(env.namespace);
    const calls = env.sandbox.counts().total;
    await new Promise((r) => setTimeout(r, 5000));
    const after = auditedStatusWrites(env.namespace, audit.lines);
    expect(after.writes).toEqual([]);
    expect(env.sandbox.counts().total - calls).toBe(0);
  });

  it("deleting the samples removes every cloud resource, in an order the cloud accepts", async () => {
    env.sandbox.resetCalls();
    for (const [kind, name] of managed) await env.remove(kind, name);
    for (const [kind, name] of managed) await env.waitGone(kind, name);
    expect(env.sandbox.state.list({ project: SAMPLE_PROJECT })).toEqual([]);
    const deletes = env.sandbox.calls({ method: "DELETE" });
    expect(deletes.length).toBeGreaterThanOrEqual(5);
    expect(deletes.filter((c) => c.status >= 400 && c.status !== 404)).toEqual([]);
  });
});
