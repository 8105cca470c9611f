import { randomBytes } from "node:crypto";
import { ID_PATTERNS, ID_PREFIXES, type ResourceKind } from "../src/shared/patterns.ts";
import type { Random } from "./random.ts";

// Crockford base32, as the ULID spec uses it (no I, L, O, U).
const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

export { ID_PREFIXES };
export type IdKind = ResourceKind;

export function isIdOf(kind: IdKind, id: string): boolean {
  return ID_PATTERNS[kind].test(id);
}

/**
 * Monotonic ULID generator: 48-bit millisecond time + 80 random bits, where ids made within the
 * same millisecond increment the random part, so ids sort in creation order (the sandbox's list
 * order and cursors rely on that).
 */
export class UlidGenerator {
  private lastTime = -1;
  private lastRandom: number[] = [];

  constructor(
    private readonly now: () => number,
    private readonly random?: Random,
  ) {}

  next(): string {
    const time = Math.max(this.now(), this.lastTime);
    if (time === this.lastTime) {
      this.increment();
    } else {
      this.lastTime = time;
      this.lastRandom = this.freshRandom();
    }
    return encodeTime(time) + this.lastRandom.map((d) => ALPHABET[d]).join("");
  }

  id(kind: IdKind): string {
    return `${ID_PREFIXES[kind]}_${this.next()}`;
  }

  private freshRandom(): number[] {
    if (this.random) {
      const rnd = this.random;
      return Array.from({ length: 16 }, () => Math.floor(rnd() * 32));
    }
    return Array.from(randomBytes(16), (b) => b & 31);
  }

  private increment(): void {
    for (let i = this.lastRandom.length - 1; i >= 0; i--) {
      const digit = this.lastRandom[i] ?? 0;
      if (digit < 31) {
        this.lastRandom[i] = digit + 1;
        return;
      }
      this.lastRandom[i] = 0;
    }
    // 80 bits exhausted within one millisecond: move to the next millisecond instead.
    this.lastTime += 1;
    this.lastRandom = this.freshRandom();
  }
}

function encodeTime(time: number): string {
  let out = "";
  let t = time;
  for (let i = 0; i < 10; i++) {
    out = ALPHABET[t % 32] + out;
    t = Math.floor(t / 32);
  }
  return out;
}
