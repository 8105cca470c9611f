import { describe, expect, it } from "vitest";
import { formatDuration, parseDuration } from "./duration.ts";

describe("durations", () => {
  it("parses Go-style durations and refuses malformed ones", () => {
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("10")).toBeUndefined();
    expect(parseDuration("")).toBeUndefined();
  });

  it("formats milliseconds in the largest exact units, and parses back to the same value", () => {
    expect(formatDuration(6 * 3_600_000)).toBe("6h");
    expect(formatDuration(5_400_000)).toBe("1h30m");
    expect(formatDuration(3_000)).toBe("3s");
    expect(formatDuration(1_250)).toBe("1s250ms");
    expect(formatDuration(0)).toBe("0s");
    for (const ms of [1, 999, 61_001, 86_400_000]) expect(parseDuration(formatDuration(ms))).toBe(ms);
  });
});
