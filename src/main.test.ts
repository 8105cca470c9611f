import { Writable } from "node:stream";
import { describe, expect, it } from "vitest";
import { createOperatorLogger, loadConfig } from "./main.ts";

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
      staleAfterResyncs: 3,
      endpointDomain: "clouddigit.ai",
    });
  });

  it("takes the installation ID and the staleness from flags or the environment, and checks the ID", () => {
    expect(
      loadConfig(["--installation-id", "prod-eu"], { CLOUDDIGIT_INSTALLATION_ID: "ignored" }),
    ).toMatchObject({
      installationID: "prod-eu",
    });
    expect(
      loadConfig([], { CLOUDDIGIT_INSTALLATION_ID: "from-env", STALE_AFTER_RESYNCS: "0" }),
    ).toMatchObject({
      installationID: "from-env",
      staleAfterResyncs: 0,
    });
    expect(() => loadConfig(["--installation-id", "has space"], {})).toThrow(
      /--installation-id: 1-63 letters/,
    );
    expect(() => loadConfig(["--stale-after-resyncs", "-1"], {})).toThrow(/--stale-after-resyncs/);
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

describe("operator log redaction", () => {
  // Written out here rather than derived from the redaction list, so a path dropped from the list
  // fails this test instead of silently dropping out of it too.
  const secrets: string[] = [];
  const secret = (field: string): string => {
    const value = `s3cr3t-${field}-${secrets.length}`;
    secrets.push(value);
    return value;
  };
  const records: Array<[what: string, record: Record<string, unknown>]> = [
    ["a bare token", { token: secret("token"), apiToken: secret("apiToken") }],
    [
      "an OAuth token response",
      {
        access_token: secret("access_token"),
        refresh_token: secret("refresh_token"),
        id_token: secret("id_token"),
        accessToken: secret("accessToken"),
        refreshToken: secret("refreshToken"),
        idToken: secret("idToken"),
      },
    ],
    [
      "a token exchange request, nested",
      {
        body: {
          subject_token: secret("subject_token"),
          client_assertion: secret("client_assertion"),
          client_secret: secret("client_secret"),
          access_token: secret("access_token"),
        },
        options: {
          subjectToken: secret("subjectToken"),
          clientAssertion: secret("clientAssertion"),
          clientSecret: secret("clientSecret"),
          password: secret("password"),
        },
      },
    ],
    [
      "S3 credentials",
      {
        credentials: {
          accessKeyId: "AKIAVISIBLE",
          secretAccessKey: secret("secretAccessKey"),
          sessionToken: secret("sessionToken"),
        },
        secretAccessKey: secret("secretAccessKey"),
        sessionToken: secret("sessionToken"),
        secretKey: secret("secretKey"),
      },
    ],
    [
      "request headers, top level and nested",
      {
        headers: {
          authorization: `Bearer ${secret("authorization")}`,
          Authorization: `Bearer ${secret("Authorization")}`,
          "x-cd-token": secret("x-cd-token"),
          "X-Cd-Token": secret("X-Cd-Token"),
          cookie: secret("cookie"),
          "x-amz-security-token": secret("x-amz-security-token"),
        },
        request: {
          headers: {
            authorization: `Bearer ${secret("authorization")}`,
            Authorization: `Bearer ${secret("Authorization")}`,
            "x-cd-token": secret("x-cd-token"),
            "X-Cd-Token": secret("X-Cd-Token"),
            "proxy-authorization": secret("proxy-authorization"),
            cookie: secret("cookie"),
            "X-Amz-Security-Token": secret("X-Amz-Security-Token"),
          },
        },
        response: { headers: { "set-cookie": secret("set-cookie") } },
      },
    ],
    [
      "credentials outside headers",
      { authorization: secret("authorization"), Authorization: secret("Auth"), cookie: secret("cookie") },
    ],
    [
      "a Secret object",
      {
        object: {
          kind: "Secret",
          data: { token: secret("data") },
          stringData: { key: secret("stringData") },
        },
        data: { key: secret("data") },
        stringData: { key: secret("stringData") },
        secret: secret("secret"),
        webhook: { secret: secret("secret") },
      },
    ],
  ];

  it("the logger startOperator builds censors every secret field, in its own lines and the client's", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(chunk.toString("utf8"));
        done();
      },
    });
    const logger = createOperatorLogger("trace", destination);
    // startOperator hands the client this child; the runtime gets the logger itself.
    const client = logger.child({ component: "client" });
    for (const [what, record] of records) {
      logger.info(record, what);
      client.debug(record, what);
    }
    expect(lines).toHaveLength(2 * records.length);
    const all = lines.join("");
    for (const value of secrets) expect(all, value).not.toContain(value);
    expect(all).toContain("[REDACTED]");
    expect(all).toContain("AKIAVISIBLE"); // fields next to a secret survive
  });
});
