// Which profile the reliability tier runs: a short seeded one for CI (`npm test`), or the full
// campaign with RELIABILITY_PROFILE=full. RELIABILITY_SEED overrides the seed of either.
export interface ReliabilityProfile {
  name: "ci" | "full";
  seed: number;
  /** Groups of five mixed resources (VPC, Subnet, SSHKey, Volume, VM) in the fault campaign. */
  campaignGroups: number;
  /** Objects updated in the fault campaign. */
  campaignUpdates: number;
  /** Groups in the crash-consistency run. */
  crashGroups: number;
  /** SIGKILLs per phase (create, update, delete) in the crash-consistency run. */
  killsPerPhase: number;
  /** Creates in the failover burst. */
  failoverGroups: number;
}

const PROFILES: Record<"ci" | "full", Omit<ReliabilityProfile, "seed">> = {
  ci: {
    name: "ci",
    campaignGroups: 8,
    campaignUpdates: 10,
    crashGroups: 4,
    killsPerPhase: 2,
    failoverGroups: 4,
  },
  full: {
    name: "full",
    campaignGroups: 40,
    campaignUpdates: 50,
    crashGroups: 20,
    killsPerPhase: 11,
    failoverGroups: 10,
  },
};

export function reliabilityProfile(env: NodeJS.ProcessEnv = process.env): ReliabilityProfile {
  const name = env.RELIABILITY_PROFILE === "full" ? "full" : "ci";
  const seed = env.RELIABILITY_SEED ? Number(env.RELIABILITY_SEED) : 20261126;
  if (!Number.isInteger(seed)) throw new Error("RELIABILITY_SEED must be an integer");
  return { ...PROFILES[name], seed };
}

/** mulberry32: a small seeded PRNG, so kill points and picks are reproducible from the seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
