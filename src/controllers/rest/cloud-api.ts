// The slice of the Cloud Digit client the actuators use, as interfaces: the real client
// (`CloudDigitApi` in src/client/api) satisfies them, and unit tests can supply an in-memory cloud.
import type { CreateOptions, DeleteOutcome, ListFilter } from "../../client/api/collection.ts";
import type {
  CommonPatch,
  Flavor,
  Image,
  Region,
  Server,
  ServerAction,
  ServerCreate,
  SshKey,
  SshKeyCreate,
  Subnet,
  SubnetCreate,
  Volume,
  VolumeCreate,
  VolumePatch,
  Vpc,
  VpcCreate,
} from "../../client/api/schemas.ts";
import type { CallOptions } from "../../client/rest-client.ts";

export type { Server, SshKey, Subnet, Volume, Vpc };

export interface CollectionApi<R, Create, Patch> {
  create(body: Create, opts: CreateOptions): Promise<R>;
  find(id: string, opts?: CallOptions): Promise<R | undefined>;
  listAll(filter?: Omit<ListFilter, "cursor">, opts?: CallOptions & { maxPages?: number }): Promise<R[]>;
  update(id: string, patch: Patch, opts?: CallOptions): Promise<R>;
  delete(id: string, opts?: CallOptions): Promise<DeleteOutcome>;
}

export interface ServersApi extends CollectionApi<Server, ServerCreate, CommonPatch> {
  action(id: string, action: ServerAction, opts?: CallOptions): Promise<Server>;
}

export interface VolumesApi extends CollectionApi<Volume, VolumeCreate, VolumePatch> {
  attach(id: string, serverId: string, opts?: CallOptions): Promise<Volume>;
  detach(id: string, serverId: string, opts?: CallOptions): Promise<Volume>;
}

export interface CloudApi {
  network: {
    vpcs: CollectionApi<Vpc, VpcCreate, CommonPatch>;
    subnets: CollectionApi<Subnet, SubnetCreate, CommonPatch>;
  };
  compute: {
    sshKeys: CollectionApi<SshKey, SshKeyCreate, CommonPatch>;
    servers: ServersApi;
    /** Catalogs; without them (in-memory test clouds) the create-time checks leave names to the cloud. */
    flavors?(opts?: CallOptions): Promise<Flavor[]>;
    images?(opts?: CallOptions): Promise<Image[]>;
  };
  storage: { volumes: VolumesApi };
  /** The catalog of regions: a cheap authenticated call that proves credentials work. */
  regions(opts?: CallOptions): Promise<Region[]>;
  /** The region this client's endpoint serves (zones are checked against it). */
  readonly region?: string | undefined;
}
