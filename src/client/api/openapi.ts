// Generated from sandbox/openapi.yaml by `npm run generate` (scripts/generate-openapi-types.ts,
// openapi-typescript); do not edit. `npm run generate:check` fails when this file is stale.
export interface paths {
  "/regions": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List regions and their zones */
    get: operations["listRegions"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/regions/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get one of the regions and their zones */
    get: operations["getRegion"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/compute/flavors": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List VM flavors */
    get: operations["listFlavors"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/compute/flavors/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get one of the VM flavors */
    get: operations["getFlavor"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/compute/images": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List public images */
    get: operations["listImages"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/compute/images/{name}": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** Get one of the public images */
    get: operations["getImage"];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/network/vpcs": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List Vpcs */
    get: operations["listVpcs"];
    put?: never;
    /**
     * Create a Vpc
     * @description Quota: 5 VPCs per project by default (documented), 403 `quota_exceeded`.
     */
    post: operations["createVpc"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/network/vpcs/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The VPC's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VpcIdPath"];
      };
      cookie?: never;
    };
    /** Get a Vpc */
    get: operations["getVpc"];
    put?: never;
    post?: never;
    /**
     * Delete a Vpc
     * @description 409 `in_use` while the VPC has subnets.
     */
    delete: operations["deleteVpc"];
    options?: never;
    head?: never;
    /**
     * Update a Vpc
     * @description Change name, description, tags. 409 `invalid_state` while deleting.
     */
    patch: operations["updateVpc"];
    trace?: never;
  };
  "/network/subnets": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List Subnets */
    get: operations["listSubnets"];
    put?: never;
    /**
     * Create a Subnet
     * @description 409 `invalid_state` when the VPC is not active, 409 `conflict` on CIDR overlap.
     */
    post: operations["createSubnet"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/network/subnets/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The subnet's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SubnetIdPath"];
      };
      cookie?: never;
    };
    /** Get a Subnet */
    get: operations["getSubnet"];
    put?: never;
    post?: never;
    /**
     * Delete a Subnet
     * @description 409 `in_use` while servers use the subnet.
     */
    delete: operations["deleteSubnet"];
    options?: never;
    head?: never;
    /**
     * Update a Subnet
     * @description Change name, description, tags. 409 `invalid_state` while deleting.
     */
    patch: operations["updateSubnet"];
    trace?: never;
  };
  "/compute/ssh-keys": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List SshKeys */
    get: operations["listSshKeys"];
    put?: never;
    /**
     * Create a SshKey
     * @description 409 `conflict` when the name is taken in the project.
     */
    post: operations["createSshKey"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/compute/ssh-keys/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The SSH key's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SshKeyIdPath"];
      };
      cookie?: never;
    };
    /** Get a SshKey */
    get: operations["getSshKey"];
    put?: never;
    post?: never;
    /**
     * Delete a SshKey
     * @description Deleted at once; servers keep the keys they booted with.
     */
    delete: operations["deleteSshKey"];
    options?: never;
    head?: never;
    /**
     * Update a SshKey
     * @description Change name, description, tags. 409 `conflict` when the new name is taken.
     */
    patch: operations["updateSshKey"];
    trace?: never;
  };
  "/compute/servers": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List Servers */
    get: operations["listServers"];
    put?: never;
    /**
     * Create a Server
     * @description 409 `invalid_state` when the subnet is not active, 409 `conflict` when it has no free address or `public_ip` is asked and the region has no public IP address left.
     */
    post: operations["createServer"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/compute/servers/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The server's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["ServerIdPath"];
      };
      cookie?: never;
    };
    /** Get a Server */
    get: operations["getServer"];
    put?: never;
    post?: never;
    /**
     * Delete a Server
     * @description Allowed in every state; attached data volumes are detached by the cloud.
     */
    delete: operations["deleteServer"];
    options?: never;
    head?: never;
    /**
     * Update a Server
     * @description Change name, description, tags. 409 `invalid_state` while deleting.
     */
    patch: operations["updateServer"];
    trace?: never;
  };
  "/storage/volumes": {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List Volumes */
    get: operations["listVolumes"];
    put?: never;
    /**
     * Create a Volume
     * @description At most 16 TiB (documented).
     */
    post: operations["createVolume"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/storage/volumes/{id}": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    /** Get a Volume */
    get: operations["getVolume"];
    put?: never;
    post?: never;
    /**
     * Delete a Volume
     * @description 409 `in_use` while attached.
     */
    delete: operations["deleteVolume"];
    options?: never;
    head?: never;
    /**
     * Update a Volume
     * @description Change name, description, tags, iops (piops); grow `size_gib` (no shrink, documented), which answers 202 and goes through `resizing`.
     */
    patch: operations["updateVolume"];
    trace?: never;
  };
  "/compute/servers/{id}/actions": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The server's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["ServerIdPath"];
      };
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Start, stop, reboot or resize a server
     * @description 409 `invalid_state` when the server's state does not allow the action; 422 for an unknown or unchanged flavor.
     */
    post: operations["serverAction"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/storage/volumes/{id}/attach": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Attach a volume to a server
     * @description 409 `invalid_state` (volume not available or already attached / server not active or stopped), 409 `conflict` (the server has 16 volumes), 422 (zone mismatch, unknown server).
     */
    post: operations["attachVolume"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  "/storage/volumes/{id}/detach": {
    parameters: {
      query?: never;
      header?: never;
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Detach a volume from a server
     * @description 409 `invalid_state` (volume not in_use, or attached to another server), 422 (unknown server).
     */
    post: operations["detachVolume"];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export type webhooks = Record<string, never>;
export interface components {
  schemas: {
    /**
     * @description Stable machine-readable error code. Clients branch on this, never on the message.
     * @enum {string}
     */
    ErrorCode:
      | "invalid_request"
      | "unauthenticated"
      | "forbidden"
      | "mfa_required"
      | "not_found"
      | "conflict"
      | "in_use"
      | "invalid_state"
      | "idempotency_mismatch"
      | "quota_exceeded"
      | "budget_exceeded"
      | "rate_limited"
      | "internal"
      | "unavailable";
    /** @description The error envelope every non-2xx answer carries. */
    Error: {
      error: {
        code: components["schemas"]["ErrorCode"];
        /** @description Human-readable; may change. */
        message: string;
        /** @description Same as the X-Request-Id response header. */
        request_id: string;
        /** @description Machine-readable context, e.g. the offending field, a quota limit, the allowed states. */
        details?: Record<string, never>;
      };
    };
    /** @description Type prefix `vpc_` + 26-character ULID; stable for the resource's life. */
    VpcId: string;
    /** @description Type prefix `subnet_` + 26-character ULID; stable for the resource's life. */
    SubnetId: string;
    /** @description Type prefix `sshkey_` + 26-character ULID; stable for the resource's life. */
    SshKeyId: string;
    /** @description Type prefix `vm_` + 26-character ULID; stable for the resource's life. */
    ServerId: string;
    /** @description Type prefix `vol_` + 26-character ULID; stable for the resource's life. */
    VolumeId: string;
    /**
     * Format: date-time
     * @description RFC 3339, UTC.
     */
    Timestamp: string;
    /** @description 1-128 characters: letters, digits, `.`, `_`, `-`; starts with a letter or digit. Not unique, except for SSH keys (unique per project). */
    Name: string;
    Description: string;
    /** @description String map, at most 50 entries. Keys 1-128 of letters, digits, `.`, `_`, `/`, `-` (no `:`, which separates key and value in tag filters); values up to 256 characters. A PATCH replaces the whole map. */
    Tags: {
      [key: string]: string;
    };
    /** @description `<region>a`, `<region>b` or `<region>c` (assumed names). An endpoint serves one region: a zone of another region is 422. */
    Zone: string;
    Cidr: string;
    /** @description A VPC's range, /16 to /24 inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, in network form (no host bits, octets without leading zeros). The pattern spells out exactly these. */
    VpcCidr: string;
    /** @description A subnet's range, /16 to /28 in a private range, in network form. It must also lie inside its VPC's range (422 otherwise). */
    SubnetCidr: string;
    Ipv4: string;
    Project: string;
    /** @description Why the resource is in `error`; null otherwise. */
    StateReason: string | null;
    /** @description States: `creating` -> `active` -> `deleting` -> gone (404); `error` on failure. */
    Vpc: {
      id: components["schemas"]["VpcId"];
      project: components["schemas"]["Project"];
      name: components["schemas"]["Name"];
      description: components["schemas"]["Description"];
      /** @enum {string} */
      state: "creating" | "active" | "deleting" | "error";
      state_reason: components["schemas"]["StateReason"];
      created_at: components["schemas"]["Timestamp"];
      updated_at: components["schemas"]["Timestamp"];
      tags: components["schemas"]["Tags"];
      region: string;
      cidr: components["schemas"]["Cidr"];
    };
    /** @description A subnet lives in one zone. States as for VPCs. */
    Subnet: {
      id: components["schemas"]["SubnetId"];
      project: components["schemas"]["Project"];
      name: components["schemas"]["Name"];
      description: components["schemas"]["Description"];
      /** @enum {string} */
      state: "creating" | "active" | "deleting" | "error";
      state_reason: components["schemas"]["StateReason"];
      created_at: components["schemas"]["Timestamp"];
      updated_at: components["schemas"]["Timestamp"];
      tags: components["schemas"]["Tags"];
      vpc_id: components["schemas"]["VpcId"];
      cidr: components["schemas"]["Cidr"];
      zone: components["schemas"]["Zone"];
      gateway_ip: components["schemas"]["Ipv4"];
    };
    /** @description Synchronous: created `active` (201), deleted at once (204). */
    SshKey: {
      id: components["schemas"]["SshKeyId"];
      project: components["schemas"]["Project"];
      name: components["schemas"]["Name"];
      description: components["schemas"]["Description"];
      /** @enum {string} */
      state: "active";
      state_reason: components["schemas"]["StateReason"];
      created_at: components["schemas"]["Timestamp"];
      updated_at: components["schemas"]["Timestamp"];
      tags: components["schemas"]["Tags"];
      public_key: string;
      fingerprint: string;
      /** @enum {string} */
      key_type:
        "ssh-ed25519" | "ssh-rsa" | "ecdsa-sha2-nistp256" | "ecdsa-sha2-nistp384" | "ecdsa-sha2-nistp521";
    };
    /** @description States: `building` -> `active`; `active` -stop-> `stopping` -> `stopped` -start-> `starting` -> `active`; `active` -reboot-> `rebooting` -> `active`; resize: `resizing` -> back to `active` or `stopped`; any -> `deleting` -> gone; `error` on failure. The transitional states `starting`, `stopping`, `rebooting` are assumed (the design names only building/active/stopped/resizing/deleting/error); treat any unknown state as transitional. */
    Server: {
      id: components["schemas"]["ServerId"];
      project: components["schemas"]["Project"];
      name: components["schemas"]["Name"];
      description: components["schemas"]["Description"];
      /** @enum {string} */
      state:
        | "building"
        | "active"
        | "starting"
        | "stopping"
        | "stopped"
        | "rebooting"
        | "resizing"
        | "deleting"
        | "error";
      state_reason: components["schemas"]["StateReason"];
      created_at: components["schemas"]["Timestamp"];
      updated_at: components["schemas"]["Timestamp"];
      tags: components["schemas"]["Tags"];
      flavor: string;
      image: string;
      subnet_id: components["schemas"]["SubnetId"];
      vpc_id: components["schemas"]["VpcId"];
      zone: components["schemas"]["Zone"];
      ssh_key_ids: components["schemas"]["SshKeyId"][];
      boot_volume_size_gib: number;
      /** @description SHA-256 (hex) of the user_data sent at creation; user_data itself is never returned. */
      user_data_sha256: string | null;
      addresses: {
        private_ip: components["schemas"]["Ipv4"];
        public_ip: string | null;
      };
      /** @description Attached data volumes (including ones `attaching`). */
      volume_ids: components["schemas"]["VolumeId"][];
    };
    /** @description States: `creating` -> `available`; attach: `attaching` -> `in_use`; detach: `detaching` -> `available`; grow: `resizing` -> previous state; `deleting` -> gone; `error` on failure. `attaching`/`detaching` are assumed. */
    Volume: {
      id: components["schemas"]["VolumeId"];
      project: components["schemas"]["Project"];
      name: components["schemas"]["Name"];
      description: components["schemas"]["Description"];
      /** @enum {string} */
      state:
        "creating" | "available" | "attaching" | "in_use" | "detaching" | "resizing" | "deleting" | "error";
      state_reason: components["schemas"]["StateReason"];
      created_at: components["schemas"]["Timestamp"];
      updated_at: components["schemas"]["Timestamp"];
      tags: components["schemas"]["Tags"];
      size_gib: number;
      /** @enum {string} */
      type: "nvme" | "piops";
      iops: number;
      zone: components["schemas"]["Zone"];
      server_id: string | null;
    };
    /** @description `<family>-<vcpu>x<ram GiB>`: `std-` 1:4, `mem-` 1:8, `cpu-` 1:2 (documented); the exact size list is assumed. */
    Flavor: {
      name: string;
      /** @enum {string} */
      family: "std" | "mem" | "cpu";
      vcpus: number;
      ram_gib: number;
    };
    /** @description Public images (documented list; names and fields assumed). */
    Image: {
      name: string;
      /** @enum {string} */
      os: "linux" | "windows";
      distribution: string;
      version: string;
      /** @enum {string} */
      state: "active" | "queued" | "saving" | "error";
      min_disk_gib: number;
    };
    /** @description Regions are documented; zone names are assumed. */
    Region: {
      /** @enum {string} */
      name: "bd-dha-1" | "bd-ctg-1" | "bd-syl-1";
      display_name: string;
      zones: components["schemas"]["Zone"][];
    };
    VpcList: {
      items: components["schemas"]["Vpc"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    SubnetList: {
      items: components["schemas"]["Subnet"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    SshKeyList: {
      items: components["schemas"]["SshKey"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    ServerList: {
      items: components["schemas"]["Server"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    VolumeList: {
      items: components["schemas"]["Volume"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    FlavorList: {
      items: components["schemas"]["Flavor"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    ImageList: {
      items: components["schemas"]["Image"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    RegionList: {
      items: components["schemas"]["Region"][];
      /** @description Opaque; pass as `cursor` for the next page. null on the last page. */
      next_cursor: string | null;
    };
    VpcCreate: {
      name: components["schemas"]["Name"];
      description?: components["schemas"]["Description"];
      tags?: components["schemas"]["Tags"];
      /** @description VPCs of a project may overlap. */
      cidr: components["schemas"]["VpcCidr"];
    };
    /** @description The VPC must be `active` (409 invalid_state otherwise). */
    SubnetCreate: {
      name: components["schemas"]["Name"];
      description?: components["schemas"]["Description"];
      tags?: components["schemas"]["Tags"];
      vpc_id: components["schemas"]["VpcId"];
      /** @description Inside the VPC's CIDR (422), not overlapping another subnet of the VPC (409 conflict). */
      cidr: components["schemas"]["SubnetCidr"];
      zone: components["schemas"]["Zone"];
    };
    SshKeyCreate: {
      name: components["schemas"]["Name"];
      description?: components["schemas"]["Description"];
      tags?: components["schemas"]["Tags"];
      /** @description OpenSSH public key line: ssh-ed25519, ssh-rsa or ecdsa-sha2-nistp256/384/521. */
      public_key: string;
    };
    /** @description The subnet must be `active` (409 invalid_state otherwise). */
    ServerCreate: {
      name: components["schemas"]["Name"];
      description?: components["schemas"]["Description"];
      tags?: components["schemas"]["Tags"];
      /** @description A name from GET /compute/flavors (422 otherwise). */
      flavor: string;
      /** @description A name from GET /compute/images (422 otherwise). */
      image: string;
      subnet_id: components["schemas"]["SubnetId"];
      ssh_key_ids?: components["schemas"]["SshKeyId"][];
      /** @description Default 20 (40 for Windows images); at least the image's min_disk_gib. */
      boot_volume_size_gib?: number;
      user_data?: string;
      /** @description Allocate a public IPv4 address (default false). */
      public_ip?: boolean;
    };
    VolumeCreate: {
      name: components["schemas"]["Name"];
      description?: components["schemas"]["Description"];
      tags?: components["schemas"]["Tags"];
      size_gib: number;
      zone: components["schemas"]["Zone"];
      /**
       * @description Default nvme.
       * @enum {string}
       */
      type?: "nvme" | "piops";
      /** @description piops only (default 3000, at most 500 per GiB). nvme volumes get a size-based baseline. */
      iops?: number;
    };
    /** @description Mutable fields; absent fields are left as they are. `tags` replaces the whole map. */
    ResourcePatch: {
      name?: components["schemas"]["Name"];
      description?: components["schemas"]["Description"];
      tags?: components["schemas"]["Tags"];
    };
    VolumePatch: {
      name?: components["schemas"]["Name"];
      description?: components["schemas"]["Description"];
      tags?: components["schemas"]["Tags"];
      /** @description Grow only (422 on shrink); starts `resizing` (202). */
      size_gib?: number;
      /** @description piops volumes only. */
      iops?: number;
    };
    /** @description start: stopped -> starting -> active. stop: active -> stopping -> stopped. reboot: active -> rebooting -> active. resize within a family: from active or stopped, through `resizing` (includes the reboot) back to the same power state; across families: only from stopped (409 invalid_state otherwise), then `resizing` -> stopped. Documented: within a family needs a reboot, across families needs stop, resize, start. */
    ServerAction:
      | {
          /** @enum {string} */
          type: "start" | "stop" | "reboot";
        }
      | {
          /** @constant */
          type: "resize";
          /** @description A name from GET /compute/flavors other than the server's (422 otherwise). */
          flavor: string;
        };
    /** @description attach: volume `available`, server `active` or `stopped`, same zone (422), at most 16 volumes per server (409 conflict). detach: volume `in_use` on that server. */
    VolumeAttachment: {
      server_id: components["schemas"]["ServerId"];
    };
  };
  responses: {
    /** @description Malformed request: unparseable JSON, wrong types, unknown fields, malformed ids or query parameters, missing X-Cd-Project. Codes: `invalid_request`. */
    BadRequest: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Missing, unknown, expired or invalid credentials. Codes: `unauthenticated`. */
    Unauthenticated: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Valid credentials that may not create this: project outside the credentials' scope, read-only token, MFA step-up required, quota reached, budget hard-stop. Codes: `forbidden`, `mfa_required`, `quota_exceeded`, `budget_exceeded`. */
    Forbidden: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Valid credentials that may not do this: project outside the credentials' scope, read-only token, MFA step-up required. Codes: `forbidden`, `mfa_required`. */
    ForbiddenWrite: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description The project is outside the credentials' scope. Codes: `forbidden`. */
    ForbiddenRead: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description No such resource in this project (also after deletion completed). Codes: `not_found`. */
    NotFound: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description The request conflicts with the current state. Codes: `in_use` and `invalid_state` (this resource's state does not allow it now: retry once it changes), `conflict` (it collides with another resource or an exhausted shared pool: a name taken, an overlapping CIDR, no free address; retrying the same request cannot succeed until that changes). */
    Conflict: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Request body larger than 1 MiB. Codes: `invalid_request`. */
    PayloadTooLarge: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Request line and headers larger than 128 KiB together (room for the largest query this document allows: 1000 ids). Codes: `invalid_request`. */
    HeadersTooLarge: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Request body sent with a Content-Type other than JSON. Codes: `invalid_request`. */
    UnsupportedMediaType: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Well-formed but semantically invalid (bad CIDR, unknown flavor/image, wrong zone, missing referenced resource, shrink), or an Idempotency-Key reused with a different body. Codes: `invalid_request`, `idempotency_mismatch`. */
    Unprocessable: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Per-token rate limit (documented: 60 req/s burst, 30 req/s sustained). Codes: `rate_limited`. */
    RateLimited: {
      headers: {
        /** @description Whole seconds to wait before retrying. */
        "Retry-After": number;
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Server error; safe to retry idempotent requests. Codes: `internal`. */
    Internal: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
    /** @description Temporarily unavailable; may carry Retry-After. Codes: `unavailable`. */
    Unavailable: {
      headers: {
        /** @description Whole seconds to wait before retrying. */
        "Retry-After"?: number;
        [name: string]: unknown;
      };
      content: {
        "application/json": components["schemas"]["Error"];
      };
    };
  };
  parameters: {
    /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
    Project: components["schemas"]["Project"];
    /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
    IdempotencyKey: string;
    Limit: number;
    /** @description `key:value` (or `key` for any value); repeated filters AND together. */
    Tag: string[];
    /** @description The VPC's id; a malformed id is 400, an unknown one 404. */
    VpcIdPath: components["schemas"]["VpcId"];
    /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
    VpcCursor: components["schemas"]["VpcId"];
    /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
    VpcIdFilter: components["schemas"]["VpcId"][];
    /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
    VpcIdsFilter: string;
    /** @description The subnet's id; a malformed id is 400, an unknown one 404. */
    SubnetIdPath: components["schemas"]["SubnetId"];
    /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
    SubnetCursor: components["schemas"]["SubnetId"];
    /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
    SubnetIdFilter: components["schemas"]["SubnetId"][];
    /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
    SubnetIdsFilter: string;
    /** @description The SSH key's id; a malformed id is 400, an unknown one 404. */
    SshKeyIdPath: components["schemas"]["SshKeyId"];
    /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
    SshKeyCursor: components["schemas"]["SshKeyId"];
    /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
    SshKeyIdFilter: components["schemas"]["SshKeyId"][];
    /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
    SshKeyIdsFilter: string;
    /** @description The server's id; a malformed id is 400, an unknown one 404. */
    ServerIdPath: components["schemas"]["ServerId"];
    /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
    ServerCursor: components["schemas"]["ServerId"];
    /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
    ServerIdFilter: components["schemas"]["ServerId"][];
    /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
    ServerIdsFilter: string;
    /** @description The volume's id; a malformed id is 400, an unknown one 404. */
    VolumeIdPath: components["schemas"]["VolumeId"];
    /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
    VolumeCursor: components["schemas"]["VolumeId"];
    /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
    VolumeIdFilter: components["schemas"]["VolumeId"][];
    /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
    VolumeIdsFilter: string;
    NameFilter: string;
    StateFilter: string;
    CatalogName: string;
  };
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  listRegions: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description All entries (one page). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["RegionList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getRegion: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: components["parameters"]["CatalogName"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The entry. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Region"];
        };
      };
      401: components["responses"]["Unauthenticated"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  listFlavors: {
    parameters: {
      query?: {
        family?: "std" | "mem" | "cpu";
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description All entries (one page). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["FlavorList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getFlavor: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: components["parameters"]["CatalogName"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The entry. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Flavor"];
        };
      };
      401: components["responses"]["Unauthenticated"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  listImages: {
    parameters: {
      query?: {
        os?: "linux" | "windows";
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description All entries (one page). */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ImageList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getImage: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        name: components["parameters"]["CatalogName"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The entry. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Image"];
        };
      };
      401: components["responses"]["Unauthenticated"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  listVpcs: {
    parameters: {
      query?: {
        limit?: components["parameters"]["Limit"];
        /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
        cursor?: components["parameters"]["VpcCursor"];
        /** @description `key:value` (or `key` for any value); repeated filters AND together. */
        tag?: components["parameters"]["Tag"];
        /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
        id?: components["parameters"]["VpcIdFilter"];
        /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
        ids?: components["parameters"]["VpcIdsFilter"];
        name?: components["parameters"]["NameFilter"];
        state?: components["parameters"]["StateFilter"];
        cidr?: string;
      };
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page, in creation order. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["VpcList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      429: components["responses"]["RateLimited"];
      431: components["responses"]["HeadersTooLarge"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  createVpc: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["VpcCreate"];
      };
    };
    responses: {
      /** @description Accepted; the resource is returned in its transitional state. */
      202: {
        headers: {
          /** @description Path of the new resource. */
          Location: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Vpc"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getVpc: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The VPC's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VpcIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The resource. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Vpc"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  deleteVpc: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The VPC's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VpcIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deletion accepted (or already in progress); GET returns 404 once gone. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Vpc"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  updateVpc: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The VPC's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VpcIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["ResourcePatch"];
      };
    };
    responses: {
      /** @description Updated. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Vpc"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  listSubnets: {
    parameters: {
      query?: {
        limit?: components["parameters"]["Limit"];
        /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
        cursor?: components["parameters"]["SubnetCursor"];
        /** @description `key:value` (or `key` for any value); repeated filters AND together. */
        tag?: components["parameters"]["Tag"];
        /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
        id?: components["parameters"]["SubnetIdFilter"];
        /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
        ids?: components["parameters"]["SubnetIdsFilter"];
        name?: components["parameters"]["NameFilter"];
        state?: components["parameters"]["StateFilter"];
        vpc_id?: string;
        zone?: string;
        cidr?: string;
      };
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page, in creation order. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SubnetList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      429: components["responses"]["RateLimited"];
      431: components["responses"]["HeadersTooLarge"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  createSubnet: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["SubnetCreate"];
      };
    };
    responses: {
      /** @description Accepted; the resource is returned in its transitional state. */
      202: {
        headers: {
          /** @description Path of the new resource. */
          Location: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Subnet"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["Forbidden"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getSubnet: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The subnet's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SubnetIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The resource. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Subnet"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  deleteSubnet: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The subnet's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SubnetIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deletion accepted (or already in progress); GET returns 404 once gone. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Subnet"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  updateSubnet: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The subnet's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SubnetIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["ResourcePatch"];
      };
    };
    responses: {
      /** @description Updated. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Subnet"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  listSshKeys: {
    parameters: {
      query?: {
        limit?: components["parameters"]["Limit"];
        /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
        cursor?: components["parameters"]["SshKeyCursor"];
        /** @description `key:value` (or `key` for any value); repeated filters AND together. */
        tag?: components["parameters"]["Tag"];
        /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
        id?: components["parameters"]["SshKeyIdFilter"];
        /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
        ids?: components["parameters"]["SshKeyIdsFilter"];
        name?: components["parameters"]["NameFilter"];
        state?: components["parameters"]["StateFilter"];
        fingerprint?: string;
      };
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page, in creation order. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SshKeyList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      429: components["responses"]["RateLimited"];
      431: components["responses"]["HeadersTooLarge"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  createSshKey: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["SshKeyCreate"];
      };
    };
    responses: {
      /** @description Created (synchronous). */
      201: {
        headers: {
          /** @description Path of the new resource. */
          Location: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SshKey"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["Forbidden"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getSshKey: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The SSH key's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SshKeyIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The resource. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SshKey"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  deleteSshKey: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The SSH key's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SshKeyIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deleted. */
      204: {
        headers: {
          [name: string]: unknown;
        };
        content?: never;
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  updateSshKey: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The SSH key's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["SshKeyIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["ResourcePatch"];
      };
    };
    responses: {
      /** @description Updated. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["SshKey"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  listServers: {
    parameters: {
      query?: {
        limit?: components["parameters"]["Limit"];
        /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
        cursor?: components["parameters"]["ServerCursor"];
        /** @description `key:value` (or `key` for any value); repeated filters AND together. */
        tag?: components["parameters"]["Tag"];
        /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
        id?: components["parameters"]["ServerIdFilter"];
        /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
        ids?: components["parameters"]["ServerIdsFilter"];
        name?: components["parameters"]["NameFilter"];
        state?: components["parameters"]["StateFilter"];
        subnet_id?: string;
        vpc_id?: string;
        zone?: string;
        flavor?: string;
      };
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page, in creation order. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["ServerList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      429: components["responses"]["RateLimited"];
      431: components["responses"]["HeadersTooLarge"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  createServer: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["ServerCreate"];
      };
    };
    responses: {
      /** @description Accepted; the resource is returned in its transitional state. */
      202: {
        headers: {
          /** @description Path of the new resource. */
          Location: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Server"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["Forbidden"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getServer: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The server's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["ServerIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The resource. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Server"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  deleteServer: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The server's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["ServerIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deletion accepted (or already in progress); GET returns 404 once gone. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Server"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  updateServer: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The server's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["ServerIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["ResourcePatch"];
      };
    };
    responses: {
      /** @description Updated. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Server"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  listVolumes: {
    parameters: {
      query?: {
        limit?: components["parameters"]["Limit"];
        /** @description `next_cursor` of the previous page: the id of that page's last item (the next page starts after it). Any other value is 400. */
        cursor?: components["parameters"]["VolumeCursor"];
        /** @description `key:value` (or `key` for any value); repeated filters AND together. */
        tag?: components["parameters"]["Tag"];
        /** @description Only these ids (repeatable). Assumed: lets a controller observe many resources in one call. */
        id?: components["parameters"]["VolumeIdFilter"];
        /** @description Comma-separated ids, at most 1000 (and at most 1000 more through `id`). Assumed. */
        ids?: components["parameters"]["VolumeIdsFilter"];
        name?: components["parameters"]["NameFilter"];
        state?: components["parameters"]["StateFilter"];
        server_id?: string;
        zone?: string;
        type?: string;
      };
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page, in creation order. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["VolumeList"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      429: components["responses"]["RateLimited"];
      431: components["responses"]["HeadersTooLarge"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  createVolume: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["VolumeCreate"];
      };
    };
    responses: {
      /** @description Accepted; the resource is returned in its transitional state. */
      202: {
        headers: {
          /** @description Path of the new resource. */
          Location: string;
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Volume"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["Forbidden"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  getVolume: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The resource. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Volume"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenRead"];
      404: components["responses"]["NotFound"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  deleteVolume: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Deletion accepted (or already in progress); GET returns 404 once gone. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Volume"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  updateVolume: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
      };
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["VolumePatch"];
      };
    };
    responses: {
      /** @description Updated. */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Volume"];
        };
      };
      /** @description Accepted; an asynchronous change (volume grow) started. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Volume"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  serverAction: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path: {
        /** @description The server's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["ServerIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["ServerAction"];
      };
    };
    responses: {
      /** @description Accepted; the resource in its transitional state. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Server"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  attachVolume: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["VolumeAttachment"];
      };
    };
    responses: {
      /** @description Accepted; the resource in its transitional state. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Volume"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
  detachVolume: {
    parameters: {
      query?: never;
      header?: {
        /** @description The project to act in (assumed header). May be omitted when the credentials are scoped to exactly one project. */
        "X-Cd-Project"?: components["parameters"]["Project"];
        /** @description 1-255 visible ASCII characters (400 otherwise). Repeat-safe POST: a repeat with the same key (per credentials + project + path, kept 24 h) returns the first successful result (same status and body, header `Idempotent-Replayed: true`) without acting again; the same key with a different body is 422 `idempotency_mismatch`. Failed requests do not consume the key. */
        "Idempotency-Key"?: components["parameters"]["IdempotencyKey"];
      };
      path: {
        /** @description The volume's id; a malformed id is 400, an unknown one 404. */
        id: components["parameters"]["VolumeIdPath"];
      };
      cookie?: never;
    };
    requestBody: {
      content: {
        "application/json": components["schemas"]["VolumeAttachment"];
      };
    };
    responses: {
      /** @description Accepted; the resource in its transitional state. */
      202: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          "application/json": components["schemas"]["Volume"];
        };
      };
      400: components["responses"]["BadRequest"];
      401: components["responses"]["Unauthenticated"];
      403: components["responses"]["ForbiddenWrite"];
      404: components["responses"]["NotFound"];
      409: components["responses"]["Conflict"];
      413: components["responses"]["PayloadTooLarge"];
      415: components["responses"]["UnsupportedMediaType"];
      422: components["responses"]["Unprocessable"];
      429: components["responses"]["RateLimited"];
      500: components["responses"]["Internal"];
      503: components["responses"]["Unavailable"];
    };
  };
}
