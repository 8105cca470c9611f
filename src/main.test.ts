import { describe, expect, it } from "vitest";
import { loadConfig } from "./main.ts";

describe("operator configuration", () => {
  it("has safe defaults: loopback probes, no leader election, all namespaces", () => {
    expect(loadConfig([], {})).toEqual({
      leaderElect: false,
      leaderElectionNamespace: "clouddigit-system",
      leaderElectionId: "clouddigit-operator",
      healthAddress: { host: "127.0.0.1", port: 8080 },
      logLevel: "info",
      concurrency: 4,
      resync: 600_000,
      pollInterval: 1_000,
      endpointDomain: "clouddigit.ai",
    });
  });

  it("reads the environment, and flags win over it", () => {
    const config = loadConfig(["--namespaces", "a, b", "--concurrency", "8", "--leader-elect"], {
      WATCH_NAMESPACES: "ignored",
      CONCURRENCY: "2",
      LOG_LEVEL: "debug",
      RESYNC_PERIOD: "1h30m",
      HEALTH_ADDRESS: ":9090",
      CLOUDDIGIT_ENDPOINT_DOMAIN: "mymine.space",
      POD_NAMESPACE: "ops",
    });
    expect(config).toMatchObject({
      namespaces: ["a", "b"],
      concurrency: 8,
      leaderElect: true,
      logLevel: "debug",
      resync: 5_400_000,
      healthAddress: { host: "0.0.0.0", port: 9090 },
      endpointDomain: "mymine.space",
      leaderElectionNamespace: "ops",
    });
  });

  it("rejects bad values with the flag's name", () => {
    expect(() => loadConfig(["--resync", "soon"], {})).toThrow(/--resync: a duration/);
    expect(() => loadConfig(["--health-address", "8080"], {})).toThrow(/--health-address: host:port/);
    expect(() => loadConfig(["--log-level", "loud"], {})).toThrow(/--log-level/);
    expect(() => loadConfig(["--no-such-flag"], {})).toThrow();
    expect(loadConfig(["--help"], {})).toBe("help");
  });
});
