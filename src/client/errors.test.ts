import { describe, expect, it } from "vitest";
import { errorFromNetwork, errorFromResponse, kindFor, parseRetryAfter } from "./errors.ts";

describe("parseRetryAfter", () => {
  const now = Date.parse("2026-03-01T12:00:00Z");
  it("reads delta-seconds and HTTP dates", () => {
    expect(parseRetryAfter("7", now)).toBe(7000);
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("Sun, 01 Mar 2026 12:00:09 GMT", now)).toBe(9000);
    expect(parseRetryAfter("Sun, 01 Mar 2026 11:00:00 GMT", now)).toBe(0);
  });
  it("ignores absent or garbage values", () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter("", now)).toBeUndefined();
    expect(parseRetryAfter("soon", now)).toBeUndefined();
  });
});

describe("error mapping", () => {
  it("prefers the envelope code, falls back on the status", () => {
    expect(kindFor(403, "quota_exceeded")).toBe("quota");
    expect(kindFor(422, "budget_exceeded")).toBe("quota");
    expect(kindFor(409, "in_use")).toBe("conflict");
    expect(kindFor(409, "invalid_state")).toBe("conflict");
    expect(kindFor(409, "conflict")).toBe("collision");
    expect(kindFor(409, undefined)).toBe("conflict");
    expect(kindFor(503, undefined)).toBe("transient");
    expect(kindFor(502, undefined)).toBe("transient");
    expect(kindFor(501, undefined)).toBe("not_implemented");
    expect(kindFor(418, undefined)).toBe("invalid");
  });

  it("builds a message with the operation, code, request id and what to do", () => {
    const e = errorFromResponse({
      status: 403,
      body: { error: { code: "budget_exceeded", message: "budget hard-stop", request_id: "r-9" } },
      retryAfter: null,
      operation: "compute.createServer",
      now: 0,
    });
    expect(e.message).toBe(
      "compute.createServer: budget hard-stop (HTTP 403, budget_exceeded, request r-9); raise the project's quota or budget, or remove resources; the call is retried when inputs change",
    );
    expect(e.terminal).toBe(true);
  });

  it("treats resets and timeouts as transient", () => {
    const e = errorFromNetwork(
      Object.assign(new Error("other side closed"), { code: "UND_ERR_SOCKET" }),
      "network.createVpc",
    );
    expect(e).toMatchObject({ kind: "transient", code: "UND_ERR_SOCKET", terminal: false });
  });
});
