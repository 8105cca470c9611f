import { z } from "zod";
import type { CallOptions, RestClient } from "../rest-client.ts";
import { Collection } from "./collection.ts";
import {
  flavorSchema,
  imageSchema,
  pageSchema,
  regionSchema,
  serverSchema,
  sshKeySchema,
  subnetSchema,
  volumeSchema,
  vpcSchema,
  type CommonPatch,
  type Flavor,
  type Image,
  type Region,
  type Server,
  type ServerAction,
  type ServerCreate,
  type SshKey,
  type SshKeyCreate,
  type Subnet,
  type SubnetCreate,
  type Volume,
  type VolumeCreate,
  type VolumePatch,
  type Vpc,
  type VpcCreate,
} from "./schemas.ts";

/** Typed calls of REST v1, grouped by service as the API groups them. */
export class CloudDigitApi {
  readonly network: {
    vpcs: Collection<Vpc, VpcCreate, CommonPatch>;
    subnets: Collection<Subnet, SubnetCreate, CommonPatch>;
  };
  readonly compute: {
    sshKeys: Collection<SshKey, SshKeyCreate, CommonPatch>;
    servers: ServerCollection;
    flavors(opts?: CallOptions): Promise<Flavor[]>;
    images(opts?: CallOptions): Promise<Image[]>;
  };
  readonly storage: { volumes: VolumeCollection };

  /** `region`: the region the endpoint serves (the ProviderConfig's), for checks of zones. */
  constructor(
    readonly rest: RestClient,
    readonly region?: string,
  ) {
    this.network = {
      vpcs: new Collection(rest, "network", "/network/vpcs", { one: "Vpc", many: "Vpcs" }, vpcSchema),
      subnets: new Collection(
        rest,
        "network",
        "/network/subnets",
        { one: "Subnet", many: "Subnets" },
        subnetSchema,
      ),
    };
    this.compute = {
      sshKeys: new Collection(
        rest,
        "compute",
        "/compute/ssh-keys",
        { one: "SshKey", many: "SshKeys" },
        sshKeySchema,
      ),
      servers: new ServerCollection(rest),
      flavors: (opts) => this.catalog("compute", "listFlavors", "/compute/flavors", flavorSchema, opts),
      images: (opts) => this.catalog("compute", "listImages", "/compute/images", imageSchema, opts),
    };
    this.storage = { volumes: new VolumeCollection(rest) };
  }

  regions(opts?: CallOptions): Promise<Region[]> {
    return this.catalog("regions", "listRegions", "/regions", regionSchema, opts);
  }

  private async catalog<T>(
    service: string,
    operation: string,
    path: string,
    item: z.ZodType<T>,
    opts: CallOptions = {},
  ): Promise<T[]> {
    const page = await this.rest.request(
      { service, operation, method: "GET", path, schema: pageSchema(item) },
      opts,
    );
    return page.items;
  }
}

export class ServerCollection extends Collection<Server, ServerCreate, CommonPatch> {
  constructor(rest: RestClient) {
    super(rest, "compute", "/compute/servers", { one: "Server", many: "Servers" }, serverSchema);
  }

  /**
   * start / stop / reboot / resize. Actions are POSTs: pass an idempotency key (e.g. object UID +
   * generation + action) so a retried action is not applied twice.
   */
  action(id: string, action: ServerAction, opts: CallOptions = {}): Promise<Server> {
    return this.postTo(id, "actions", `${action.type}Server`, action, serverSchema, opts);
  }
}

export class VolumeCollection extends Collection<Volume, VolumeCreate, VolumePatch> {
  constructor(rest: RestClient) {
    super(rest, "storage", "/storage/volumes", { one: "Volume", many: "Volumes" }, volumeSchema);
  }

  attach(id: string, serverId: string, opts: CallOptions = {}): Promise<Volume> {
    return this.postTo(id, "attach", "attachVolume", { server_id: serverId }, volumeSchema, opts);
  }

  detach(id: string, serverId: string, opts: CallOptions = {}): Promise<Volume> {
    return this.postTo(id, "detach", "detachVolume", { server_id: serverId }, volumeSchema, opts);
  }
}
