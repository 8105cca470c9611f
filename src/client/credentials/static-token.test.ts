import { describe, expect, it } from "vitest";
import { StaticTokenCredential } from "./static-token.ts";

describe("StaticTokenCredential", () => {
  it("sends X-Cd-Token and picks up a rotated value; the identity follows the token, not its text", async () => {
    const c = new StaticTokenCredential("cd_first");
    expect(await c.authHeaders()).toEqual({ "X-Cd-Token": "cd_first" });
    const before = c.identity();
    expect(before).toMatch(/^api-token:[0-9a-f]{12}$/);
    expect(before).not.toContain("cd_first");
    c.update("cd_second");
    expect(await c.authHeaders()).toEqual({ "X-Cd-Token": "cd_second" });
    expect(c.identity()).not.toBe(before);
  });

  it("a 401 is final without a reload source, and re-reads once with one", async () => {
    expect(new StaticTokenCredential("cd_a").invalidate()).toBe(false);
    let reads = 0;
    const c = new StaticTokenCredential("cd_a", { reload: async () => `cd_reloaded_${++reads}` });
    expect(c.invalidate()).toBe(true);
    expect(await c.authHeaders()).toEqual({ "X-Cd-Token": "cd_reloaded_1" });
    expect(await c.authHeaders()).toEqual({ "X-Cd-Token": "cd_reloaded_1" });
  });

  it("rejects empty or multi-line tokens with a message that does not echo them", () => {
    expect(() => new StaticTokenCredential("  ")).toThrow(/empty/);
    expect(() => new StaticTokenCredential("cd_x\ncd_y")).toThrow(/line break/);
  });
});
