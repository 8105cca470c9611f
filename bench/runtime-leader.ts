/**
 * Leader handover time between two managers on one Lease, against a real kube-apiserver + etcd
 * started here. Two cases: the leader stops gracefully (releases the Lease: the standby takes it
 * at its next retry) and the leader stops without releasing (as if killed: the standby waits for
 * the lease to expire). Measured from the moment the leader is told to stop to the moment the
 * standby reports leadership.
 *
 *   scripts/with-node --import tsx bench/runtime-leader.ts [--rounds 3] [--defaults]
 *
 * --defaults also measures one expiry handover with client-go's 15s/10s/2s. Bounded by --rounds.
 */
import { parseArgs } from "node:util";
import { Manager } from "../src/runtime/manager.ts";
import { startControlPlane } from "../test/support/control-plane.ts";
import { waitUntil } from "../test/support/process.ts";

const { values } = parseArgs({
  options: { rounds: { type: "string", default: "3" }, defaults: { type: "boolean", default: false } },
});
const rounds = Number(values.rounds);

interface Durations {
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

const cp = await startControlPlane({ log: (l) => console.error(`[control-plane] ${l}`) });
try {
  const handover = async (d: Durations, release: boolean, lease: string): Promise<number> => {
    const make = (identity: string): Manager =>
      new Manager({
        kubeConfig: cp.kubeConfig(),
        health: false,
        leaderElection: { namespace: "default", name: lease, identity, releaseOnCancel: release, ...d },
      });
    const leader = make("leader");
    await leader.start();
    await waitUntil("leader elected", async () => leader.isLeader(), { timeoutMs: 60_000, intervalMs: 10 });
    const standby = make("standby");
    await standby.start();
    await new Promise((r) => setTimeout(r, d.retryPeriodMs * 2)); // the standby has observed the lease
    const t0 = Date.now();
    await leader.stop();
    await waitUntil("standby leads", async () => standby.isLeader(), { timeoutMs: 120_000, intervalMs: 10 });
    const ms = Date.now() - t0;
    await standby.stop();
    return ms;
  };
  const short: Durations = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 500 };
  for (const release of [true, false]) {
    const times: number[] = [];
    for (let i = 0; i < rounds; i++) times.push(await handover(short, release, `bench-${release}-${i}`));
    console.log(
      `3s/2s/0.5s, ${release ? "graceful stop (lease released)" : "stop without release (lease expires)"}: ` +
        `${times.join(", ")} ms (bound: lease + retry = 3500 ms)`,
    );
  }
  if (values.defaults) {
    const d: Durations = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2000 };
    console.log(`15s/10s/2s, graceful stop: ${await handover(d, true, "bench-default-release")} ms`);
    console.log(
      `15s/10s/2s, stop without release: ${await handover(d, false, "bench-default-expire")} ms (bound: 17000 ms)`,
    );
  }
} finally {
  await cp.stop();
}
