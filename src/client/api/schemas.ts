import { z } from "zod";

/**
 * Response shapes of REST v1 (see docs/cloud-digit-api.md and sandbox/openapi.yaml). Every object
 * is `.loose()`: fields the API adds later pass through instead of breaking the operator, and only
 * the fields the operator relies on are required.
 */
const tags = z.record(z.string(), z.string());

const common = {
  id: z.string(),
  name: z.string(),
  state: z.string(),
  state_reason: z.string().nullish(),
  description: z.string().nullish(),
  created_at: z.string(),
  updated_at: z.string().optional(),
  tags: tags.default({}),
};

export const vpcSchema = z.object({ ...common, cidr: z.string(), region: z.string().optional() }).loose();

export const subnetSchema = z
  .object({
    ...common,
    vpc_id: z.string(),
    cidr: z.string(),
    zone: z.string(),
    gateway_ip: z.string().nullish(),
  })
  .loose();

export const sshKeySchema = z
  .object({ ...common, public_key: z.string(), fingerprint: z.string(), key_type: z.string().optional() })
  .loose();

export const serverSchema = z
  .object({
    ...common,
    flavor: z.string(),
    image: z.string(),
    subnet_id: z.string(),
    vpc_id: z.string().optional(),
    zone: z.string().optional(),
    ssh_key_ids: z.array(z.string()).default([]),
    boot_volume_size_gib: z.number().optional(),
    addresses: z
      .object({ private_ip: z.string().nullish(), public_ip: z.string().nullish() })
      .loose()
      .default({ private_ip: null, public_ip: null }),
    volume_ids: z.array(z.string()).default([]),
  })
  .loose();

export const volumeSchema = z
  .object({
    ...common,
    size_gib: z.number(),
    type: z.string(),
    iops: z.number().nullish(),
    zone: z.string(),
    server_id: z.string().nullish(),
  })
  .loose();

export const flavorSchema = z
  .object({ name: z.string(), family: z.string().optional(), vcpus: z.number(), ram_gib: z.number() })
  .loose();

export const imageSchema = z
  .object({
    name: z.string(),
    os: z.string().optional(),
    state: z.string().optional(),
    min_disk_gib: z.number().optional(),
  })
  .loose();

export const regionSchema = z
  .object({ name: z.string(), display_name: z.string().optional(), zones: z.array(z.string()) })
  .loose();

export function pageSchema<T extends z.ZodType>(item: T) {
  return z.object({ items: z.array(item), next_cursor: z.string().nullish() }).loose();
}

export type Vpc = z.infer<typeof vpcSchema>;
export type Subnet = z.infer<typeof subnetSchema>;
export type SshKey = z.infer<typeof sshKeySchema>;
export type Server = z.infer<typeof serverSchema>;
export type Volume = z.infer<typeof volumeSchema>;
export type Flavor = z.infer<typeof flavorSchema>;
export type Image = z.infer<typeof imageSchema>;
export type Region = z.infer<typeof regionSchema>;

/** Fields every create accepts. */
interface CreateCommon {
  name: string;
  description?: string;
  tags?: Record<string, string>;
}

export interface VpcCreate extends CreateCommon {
  cidr: string;
}
export interface SubnetCreate extends CreateCommon {
  vpc_id: string;
  cidr: string;
  zone: string;
}
export interface SshKeyCreate extends CreateCommon {
  public_key: string;
}
export interface ServerCreate extends CreateCommon {
  flavor: string;
  image: string;
  subnet_id: string;
  ssh_key_ids?: string[];
  boot_volume_size_gib?: number;
  user_data?: string;
  public_ip?: boolean;
}
export interface VolumeCreate extends CreateCommon {
  size_gib: number;
  zone: string;
  type?: "nvme" | "piops";
  iops?: number;
}

/** Mutable fields every kind accepts in PATCH. */
export interface CommonPatch {
  name?: string;
  description?: string;
  tags?: Record<string, string>;
}
export interface VolumePatch extends CommonPatch {
  size_gib?: number;
  iops?: number;
}

export type ServerAction =
  { type: "start" } | { type: "stop" } | { type: "reboot" } | { type: "resize"; flavor: string };
