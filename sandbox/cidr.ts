/** IPv4 CIDR arithmetic for VPC/subnet validation and address allocation. */
export interface Cidr {
  /** Network address as an unsigned 32-bit integer. */
  base: number;
  prefix: number;
  /** Number of addresses in the block. */
  size: number;
}

const OCTET = "(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
const CIDR_RE = new RegExp(`^${OCTET}\\.${OCTET}\\.${OCTET}\\.${OCTET}/(\\d|[12]\\d|3[0-2])$`);

/** Parses `a.b.c.d/n`; undefined when malformed or when host bits are set. */
export function parseCidr(text: string): Cidr | undefined {
  const m = CIDR_RE.exec(text);
  if (!m) return undefined;
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  const prefix = Number(m[5]);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return undefined;
  return { base, prefix, size };
}

export function hasHostBits(text: string): boolean {
  const m = CIDR_RE.exec(text);
  if (!m) return false;
  const base = ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
  return base % 2 ** (32 - Number(m[5])) !== 0;
}

export function contains(outer: Cidr, inner: Cidr): boolean {
  return inner.base >= outer.base && inner.base + inner.size <= outer.base + outer.size;
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  return a.base < b.base + b.size && b.base < a.base + a.size;
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c) as Cidr);

export function isPrivate(c: Cidr): boolean {
  return PRIVATE_RANGES.some((r) => contains(r, c));
}

export function formatIp(value: number): string {
  return [value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255].join(".");
}

export function parseIp(text: string): number {
  const parts = text.split(".").map(Number);
  return (((parts[0] ?? 0) << 24) | ((parts[1] ?? 0) << 16) | ((parts[2] ?? 0) << 8) | (parts[3] ?? 0)) >>> 0;
}

/**
 * The lowest free host address of a subnet. Like most clouds, the network address, the first
 * three hosts (gateway, DNS, reserved) and the broadcast address are not handed out.
 */
export function allocateAddress(subnet: Cidr, used: ReadonlySet<string>): string | undefined {
  for (let offset = 4; offset < subnet.size - 1; offset++) {
    const ip = formatIp(subnet.base + offset);
    if (!used.has(ip)) return ip;
  }
  return undefined;
}
