// A minimal actuator over an in-memory store of "widgets", so the generic reconciler's lifecycle
// rules can be tested on their own, without any real kind's rules mixed in. The store records
// every call and can be told to misbehave: refuse a write, ignore a setting, fail a call, block
// or step through a deletion, reject the credentials.
import { CloudDigitError, type ErrorKind } from "../../client/errors.ts";
import {
  NotConnected,
  type Actuator,
  type Change,
  type ManagedKind,
  type ManagedObject,
  type RemoveResult,
} from "../generic/actuator.ts";
import type { ProviderResolution, ProviderResolver } from "../generic/ports.ts";
import { desiredTags } from "../generic/ownership.ts";

/** The installation ID the unit-test reconcilers run as. */
export const TEST_INSTALLATION = "test-installation";

export interface Widget {
  id: string;
  tags: Record<string, string>;
  size: number;
  state: "ready" | "working" | "deleting" | "failed";
  /** Set at creation only (an immutable field, as a VPC's CIDR). */
  colour?: string;
}

export interface WidgetSpec {
  size: number;
  colour?: string;
  tags?: Record<string, string>;
}

export type WidgetObject = ManagedObject & { spec: ManagedObject["spec"] & WidgetSpec };

export class WidgetStore {
  readonly widgets = new Map<string, Widget>();
  readonly calls: string[] = [];
  /** The next call of this name fails with this error (or an error of this kind). */
  readonly failNext = new Map<string, ErrorKind | CloudDigitError>();
  /** The cloud accepts size writes but keeps the old size (a setting it silently drops). */
  ignoresSize = false;
  /** What the next `remove` calls return, in order; empty: deletes at once. */
  readonly removeResults: RemoveResult[] = [];
  /** When set, `connect` refuses: the config cannot serve this kind. */
  notConnected: string | undefined;
  private next = 0;

  add(widget: Partial<Widget> & { id: string }): Widget {
    const full: Widget = { tags: {}, size: 1, state: "ready", ...widget };
    this.widgets.set(full.id, full);
    return full;
  }

  count(call: string): number {
    return this.calls.filter((c) => c === call).length;
  }

  newId(): string {
    return `w${++this.next}`;
  }

  call(name: string): void {
    this.calls.push(name);
    const failure = this.failNext.get(name);
    if (failure) {
      this.failNext.delete(name);
      if (failure instanceof CloudDigitError) throw failure;
      throw new CloudDigitError({ kind: failure, message: `${name} failed (${failure})`, operation: name });
    }
  }
}

/** A provider resolver handing out the one store; `broken` makes the config unusable. */
export class WidgetProviders implements ProviderResolver<WidgetStore> {
  broken: string | undefined;
  /** Where the widgets live; a change is a scope change (another project or region). */
  scope = "widget-project@bd-dha";

  constructor(private readonly store: WidgetStore) {}

  resolve(): Promise<ProviderResolution<WidgetStore>> {
    if (this.broken)
      return Promise.resolve({ ok: false, reason: "ProviderConfigNotReady", message: this.broken });
    return Promise.resolve({
      ok: true,
      provider: this.store,
      fingerprint: `widgets@${this.scope}`,
      scope: this.scope,
    });
  }

  peekFingerprint(): string {
    return this.broken ?? `widgets@${this.scope}`;
  }
}

/**
 * The widget actuator under a managed kind's name (the kind only names the object; the rules come
 * from here). `naming`: "cloud" gives IDs at create time; "us" names the widget after the object.
 */
export function widgetActuator(
  kind: ManagedKind,
  naming: "cloud" | "us",
): Actuator<WidgetObject, Widget, WidgetStore, WidgetStore> {
  const read = (store: WidgetStore, id: string): Promise<Widget | undefined> => {
    store.call("read");
    const w = store.widgets.get(id);
    return Promise.resolve(w && structuredClone(w));
  };
  return {
    kind,
    describe: (id) => (id ? `widget ${id}` : "widget"),
    connect: (store) => {
      if (store.notConnected) return Promise.reject(new NotConnected(store.notConnected));
      return Promise.resolve(store);
    },
    dependencies: () => [],
    naming:
      naming === "cloud"
        ? {
            by: "cloud",
            findByTags: (store, tags) => {
              store.call("find");
              const found = [...store.widgets.values()].filter((w) =>
                Object.entries(tags).every(([k, v]) => w.tags[k] === v),
              );
              return Promise.resolve(found.map((w) => structuredClone(w)));
            },
            findByTagKey: (store, key) => {
              store.call("list");
              const found = [...store.widgets.values()].filter((w) => w.tags[key] !== undefined);
              return Promise.resolve(found.map((w) => structuredClone(w)));
            },
          }
        : { by: "us", name: (o) => `widget-${o.metadata.name ?? ""}`, nameField: "metadata.name" },
    read: (store, id) => read(store, id),
    create: (op) => {
      const store = op.client;
      store.call("create");
      const id = naming === "cloud" ? store.newId() : `widget-${op.object.metadata.name ?? ""}`;
      if (naming === "us" && store.widgets.has(id)) return Promise.resolve(undefined);
      const w = store.add({
        id,
        size: op.object.spec.size,
        tags: op.desiredTags,
        state: "working",
        ...(op.object.spec.colour ? { colour: op.object.spec.colour } : {}),
      });
      return Promise.resolve(structuredClone(w));
    },
    // Tags as every real kind compares them (the ownership tags are how an adoption or a take-over
    // lands in the cloud).
    diff: (object, cloud, _deps, ownership) => {
      const tags = desiredTags(object, ownership);
      const sameTags =
        JSON.stringify(Object.entries(tags).sort()) === JSON.stringify(Object.entries(cloud.tags).sort());
      return [
        object.spec.size === cloud.size
          ? { field: "size", state: "InSync" }
          : { field: "size", from: cloud.size, to: object.spec.size },
        ...(sameTags ? [] : [{ field: "tags", from: cloud.tags, to: tags }]),
      ];
    },
    immutableMismatches: (object, cloud) =>
      object.spec.colour !== undefined && object.spec.colour !== cloud.colour
        ? [{ field: "colour", spec: object.spec.colour, cloud: cloud.colour }]
        : [],
    update: (op, _cloud, changes: Change[]) => {
      const store = op.client;
      store.call("update");
      const w = store.widgets.get(_cloud.id);
      for (const change of changes) {
        if (w && change.field === "size" && !store.ignoresSize) w.size = change.to as number;
        if (w && change.field === "tags") w.tags = { ...(change.to as Record<string, string>) };
      }
      return Promise.resolve("done");
    },
    remove: (op, cloud) => {
      const store = op.client;
      store.call("remove");
      const result = store.removeResults.shift();
      if (result === undefined || result === "deleted") {
        store.widgets.delete(cloud.id);
        return Promise.resolve("deleted");
      }
      if (result === "requested") {
        const w = store.widgets.get(cloud.id);
        if (w) w.state = "deleting";
      }
      return Promise.resolve(result);
    },
    observe: (cloud) => ({
      state: cloud.state,
      ready: cloud.state === "ready",
      transitional: cloud.state === "working",
      deleting: cloud.state === "deleting",
      failed: cloud.state === "failed" ? "the widget broke" : undefined,
      atProvider: { size: cloud.size },
    }),
  };
}
