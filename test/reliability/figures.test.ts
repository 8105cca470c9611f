// The measuring instruments of this tier, checked on known inputs: a wrong budget replay or a
// blind secret scan would make every other figure meaningless.
import { describe, expect, it } from "vitest";
import { seededRandom } from "./profile.ts";
import { callsOverBudget, ed25519PublicKey, findSecrets, maxInWindow } from "./support.ts";

describe("budget replay", () => {
  it("admits a full burst and then the refill rate, and counts what exceeds them", () => {
    const burst = Array.from({ length: 60 }, () => 0);
    expect(callsOverBudget(burst)).toBe(0);
    expect(callsOverBudget([...burst, 0])).toBe(1);
    // One second later 30 more tokens are back, not 31.
    const refill = Array.from({ length: 30 }, () => 1_000);
    expect(callsOverBudget([...burst, ...refill])).toBe(0);
    expect(callsOverBudget([...burst, ...refill, 1_000])).toBe(1);
    // A steady 30/s for a minute is within budget; 31/s is not, once the burst is spent.
    const steady = (perSecond: number) =>
      Array.from({ length: perSecond * 60 }, (_, i) => Math.floor((i * 1_000) / perSecond));
    expect(callsOverBudget(steady(30))).toBe(0);
    expect(callsOverBudget(steady(32))).toBeGreaterThan(0);
  });

  it("finds the busiest window", () => {
    expect(maxInWindow([0, 100, 200, 1_100, 1_150], 1_000)).toBe(3);
    expect(maxInWindow([], 1_000)).toBe(0);
  });
});

describe("secret scan", () => {
  it("finds a secret in plain text and in base64, nowhere else", () => {
    const secret = "cd_rel_0123456789abcdef";
    const b64 = Buffer.from(secret).toString("base64").replace(/=+$/, "");
    const hits = findSecrets(
      [
        { source: "log", text: `{"msg":"token ${secret}"}` },
        { source: "event", text: `data: ${b64}` },
        { source: "status", text: "token-2b8f0c1d9e7a (a label, not the token)" },
      ],
      [secret],
    );
    expect(hits.map((h) => h.split(":")[0])).toEqual(["log", "event"]);
  });
});

describe("seeded inputs", () => {
  it("the same seed gives the same SSH keys", () => {
    expect(ed25519PublicKey(seededRandom(5))).toBe(ed25519PublicKey(seededRandom(5)));
    expect(ed25519PublicKey(seededRandom(5))).not.toBe(ed25519PublicKey(seededRandom(6)));
  });
});
