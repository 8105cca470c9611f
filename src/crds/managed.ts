// What the managed kinds (one cloud resource per object, reconciled by the generic reconciler:
// VPC, Subnet, SSHKey, VM, Volume, Bucket) share beyond the fields of common.ts: the REST kinds'
// spec and observed fields, and the registry entry, so a kind's file declares only its own names,
// fields and columns.
import { z } from "zod";
import {
  GROUP,
  VERSION,
  ageColumn,
  doc,
  idColumn,
  importID,
  managedSpec,
  managedStatus,
  readyColumn,
  resourceSchema,
  stateColumn,
  syncedColumn,
  tags,
  type CelRule,
  type KindDefinition,
  type PrinterColumn,
} from "./common.ts";

/**
 * The spec of a kind served by the REST API: managedSpec of `fields` and then the REST API's tags.
 * importID is the resource's ID (`<idPrefix>_<ULID>`), which ObserveOnly needs: nothing else finds
 * the resource. `noun` is the resource in prose ("SSH key").
 */
export function restSpec<Shape extends z.ZodRawShape>(
  fields: Shape,
  opts: { noun: string; idPrefix: string; kind: string; description: string; rules?: CelRule[] },
) {
  return managedSpec(
    { ...fields, tags: tags({ rest: true }).optional() },
    {
      kind: opts.kind,
      noun: opts.noun,
      description: opts.description,
      importID: importID(opts.idPrefix, opts.noun),
      observeOnlyNeedsImportID: true,
      rules: opts.rules,
    },
  );
}

/**
 * status.atProvider of a REST kind: the resource's name in the cloud, then `fields`. `noun` is the
 * resource in prose ("SSH key").
 */
export function observedFields<Shape extends z.ZodRawShape>(noun: string, fields: Shape) {
  return doc(
    z.object({ name: doc(z.string().max(255).optional(), `Name of the ${noun} in the cloud.`), ...fields }),
    `Fields of the ${noun} as last observed in the cloud.`,
  );
}

export interface ManagedKindParts<K extends string, Spec extends z.ZodType, AtProvider extends z.ZodType> {
  /** Also names the resource: plural and singular are the kind in lower case, plus "s" for plural. */
  kind: K;
  shortNames: string[];
  description: string;
  /** The cloud resource in prose ("SSH key"), as the status field descriptions name it. */
  noun: string;
  spec: Spec;
  atProvider: AtProvider;
  /** The kind's own columns, before State. */
  columns: PrinterColumn[];
  /** The kind's own columns of observed fields, between ID and Ready. */
  observedColumns?: PrinterColumn[];
  /** Whether to show the cloud ID (default true; a Bucket is known by its name, not an ID). */
  idColumn?: boolean;
  /** Rules on the whole object (they may read metadata.name). */
  rootRules?: CelRule[];
}

/**
 * The registry entry of a managed kind: a namespaced clouddigit.ai/v1alpha1 kind whose status is
 * managedStatus(atProvider), with the columns every managed kind shows around its own.
 */
export function managedKind<K extends string, Spec extends z.ZodType, AtProvider extends z.ZodType>(
  parts: ManagedKindParts<K, Spec, AtProvider>,
) {
  const status = managedStatus(parts.noun, parts.atProvider);
  const schema = resourceSchema(parts.kind, parts.spec, status);
  return {
    group: GROUP,
    version: VERSION,
    kind: parts.kind,
    plural: `${parts.kind.toLowerCase()}s`,
    singular: parts.kind.toLowerCase(),
    shortNames: parts.shortNames,
    namespaced: true,
    description: parts.description,
    schema,
    spec: parts.spec,
    status,
    printerColumns: [
      ...parts.columns,
      stateColumn,
      ...(parts.idColumn === false ? [] : [idColumn]),
      ...(parts.observedColumns ?? []),
      readyColumn,
      syncedColumn,
      ageColumn,
    ],
    ...(parts.rootRules ? { rootRules: parts.rootRules } : {}),
  } satisfies KindDefinition<typeof schema>;
}
