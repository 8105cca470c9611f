import { spawnSync } from "node:child_process";
import { defineConfig } from "vitest/config";

// The image tier needs podman (scripts/setup installs it as root on Debian). Where it is missing
// the tier is left out with this message, and everything else runs.
const podman = spawnSync("podman", ["--version"], { encoding: "utf8" });
const withImage = podman.status === 0;
if (!withImage) {
  process.stderr.write(
    "[image] podman not found: the image tier (test/image) does not run here; install podman, runc, " +
      "debootstrap and binutils (scripts/setup does as root with apt-get)\n",
  );
}

// Tiers: unit (no external processes), integration (real kube-apiserver + etcd, and the
// other real components where a test needs them), e2e (the whole operator against everything).
// The control plane is started once per run by test/support/global-setup.ts and shared.
export default defineConfig({
  test: {
    reporters: ["default", "./test/support/summary-reporter.ts"],
    projects: [
      {
        test: {
          name: "unit",
          include: ["src/**/*.test.ts", "sandbox/**/*.test.ts", "test/unit/**/*.test.ts"],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        test: {
          name: "e2e",
          include: ["test/e2e/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 600_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      {
        // Faults, crashes, failover, hostile input, secret hygiene (docs/reliability.md).
        // The short seeded CI profile by default; RELIABILITY_PROFILE=full for the full campaign.
        test: {
          name: "reliability",
          include: ["test/reliability/**/*.test.ts"],
          globalSetup: ["./test/support/global-setup.ts"],
          testTimeout: 1_800_000,
          hookTimeout: 300_000,
          fileParallelism: false,
        },
      },
      ...(withImage
        ? [
            {
              // The real image (scripts/image builds it from the Dockerfile) run with podman against
              // the real apiserver. Its own group: after unit, before the one-file-at-a-time tiers
              // (vitest runs those last), never beside them, since its failover test counts seconds.
              test: {
                name: "image",
                include: ["test/image/**/*.test.ts"],
                globalSetup: ["./test/support/global-setup.ts", "./test/image/global-setup.ts"],
                testTimeout: 300_000,
                hookTimeout: 300_000,
                fileParallelism: false,
                sequence: { groupOrder: 1 },
              },
            },
          ]
        : []),
    ],
  },
});
