// What a stream is, as data: where its partitions come from (each organization, or each record of a
// parent stream, at any depth), the request of one partition (from its context and its starting
// bookmark), how it pages, where its records are, its keys, how HTTP statuses are read for it, the
// context it gives its children, and its cursor policy. `defineStream` type-checks a definition
// against its record type and hands the engine a stream that knows no record type: every fact the
// engine needs about a record is taken while the record is built.
import type { TapConfig } from '../config/config.js';
import { RecordError } from '../errors.js';
import type { Query } from '../io/http/client.js';
import type { PagingStyle, RecordsAt } from './paging.js';
import type { CursorPolicy } from './cursor.js';

/** Identifies one partition of a stream: its organization, and the keys of the records it hangs off. */
export type Context = Readonly<Record<string, string>>;

export type AnyRecord = Record<string, unknown>;

/** A key property value that names a record exactly: a non-empty string or an exact integer. */
export type KeyValue = string | number;

/** One partition's request. */
export interface RequestSpec {
  /** The path with placeholders, for metrics and docs. */
  readonly endpoint: string;
  path(context: Context): string;
  /**
   * The query of the first page. `start` is where reading starts (the bookmark, less any look-back,
   * in the API's own form) for streams whose server can filter by time or sequence; `end`, where a
   * window of a windowed cursor ends (undefined: now).
   */
  query?(context: Context, config: TapConfig, start: string | number | undefined, end?: string | number): Query;
  paging(config: TapConfig): PagingStyle;
  /** Where the records are in a page: the key of their list (or of a map read as entries). */
  readonly records: RecordsAt;
}

/** How HTTP statuses of a partition's first request are read for this stream. */
export interface StatusPolicy {
  /** The partition no longer exists (its parent was deleted since it was listed): skipped with a warning. */
  readonly gone?: readonly number[];
  /** The organization's plan or the token's role lacks this feature: skipped with a warning, not a failure. */
  readonly unavailable?: readonly number[];
}

/** Everything the engine needs about one record, taken while it is built. */
export interface Converted {
  readonly record: AnyRecord;
  /** The primary key as text (JSON of the key values). */
  readonly key: string;
  /** Key values outside the partition's context: names the record within its partition. */
  readonly ownKey: readonly KeyValue[];
  /** The cursor field's value as the record holds it (the cursor policy reads it). */
  readonly cursorValue: unknown;
  /** False while the record can still change (a running update): the bookmark must not pass it. */
  readonly settled: boolean;
  /** The context this record gives its child streams' partitions. */
  readonly childContext: Context | undefined;
}

export interface StreamSpec<N extends string, R extends AnyRecord> {
  readonly name: N;
  readonly keyProperties: readonly (keyof R & string)[];
  /** Selected when a Singer run has no catalog, and marked so by discovery. */
  readonly selectedByDefault?: boolean;
  /** Read once per record of this stream; without it, once per organization. */
  readonly parent?: Stream;
  /** A root stream's partition context for an organization (a root stream must have one). */
  readonly rootContext?: (organization: string) => Context;
  readonly request: RequestSpec;
  toRecord(item: unknown, context: Context): R;
  /** The context this stream gives each of its records' child partitions; none: the record has no children to read. */
  childContext?(record: R): Context | undefined;
  readonly cursor?: CursorSpec<R>;
  readonly statuses?: StatusPolicy;
  /**
   * A flag of the organization's features without which the API refuses this stream: where the
   * organization says it is false, the stream is skipped there with one warning, without a request.
   */
  readonly requires?: string;
}

/** A cursor policy whose look-back may depend on the config (a setting). */
export interface StreamCursor extends Omit<CursorPolicy, 'lookbackSeconds'> {
  readonly lookbackSeconds?: number | ((config: TapConfig) => number);
}

/** A stream's cursor policy, as its definition states it (typed by its record). */
export interface CursorSpec<R extends AnyRecord> extends Omit<StreamCursor, 'field'> {
  readonly field: keyof R & string;
  /** False while a record can still change later; the bookmark stops before the oldest such record. */
  isSettled?(record: R): boolean;
}

/**
 * A stream as the engine sees it: facts about records, no record type it must trust. (`toRecord`
 * keeps the record type for whoever knows the stream, such as its tests; it only ever returns one.)
 */
export interface Stream<N extends string = string, R extends AnyRecord = AnyRecord> {
  readonly name: N;
  readonly keyProperties: readonly string[];
  readonly selectedByDefault: boolean;
  readonly parent: Stream | undefined;
  readonly request: RequestSpec;
  readonly cursor: StreamCursor | undefined;
  readonly statuses: StatusPolicy;
  readonly requires: string | undefined;
  rootContext(organization: string): Context;
  convert(item: unknown, context: Context): Converted;
  toRecord(item: unknown, context: Context): R;
}

/** A key value, or why it is not one. */
function keyValue(property: string, value: unknown): KeyValue {
  if ((typeof value === 'string' && value !== '') || (typeof value === 'number' && Number.isSafeInteger(value))) return value;
  const text = value === undefined ? 'missing' : (JSON.stringify(value) ?? typeof value);
  throw new RecordError(`key property '${property}' is ${text.length > 40 ? `${text.slice(0, 39)}…` : text}; a record is never emitted with an invented key`);
}

export function defineStream<const N extends string, R extends AnyRecord>(spec: StreamSpec<N, R>): Stream<N, R> {
  const cursorSpec = spec.cursor;
  const rootContext = spec.rootContext;
  if (!spec.parent && !rootContext) throw new Error(`stream ${spec.name}: a root stream needs rootContext`);
  return {
    name: spec.name,
    keyProperties: spec.keyProperties,
    selectedByDefault: spec.selectedByDefault ?? true,
    parent: spec.parent,
    request: spec.request,
    cursor: cursorSpec && {
      field: cursorSpec.field,
      type: cursorSpec.type,
      order: cursorSpec.order,
      ...(cursorSpec.lookbackSeconds !== undefined ? { lookbackSeconds: cursorSpec.lookbackSeconds } : {}),
      ...(cursorSpec.unchangedWhenParent !== undefined ? { unchangedWhenParent: cursorSpec.unchangedWhenParent } : {}),
      ...(cursorSpec.windowSeconds !== undefined ? { windowSeconds: cursorSpec.windowSeconds } : {}),
    },
    statuses: spec.statuses ?? {},
    requires: spec.requires,
    rootContext: (organization) => {
      if (!rootContext) throw new Error(`stream ${spec.name} is read per parent record, not per organization`);
      return rootContext(organization);
    },
    toRecord: (item, context) => spec.toRecord(item, context),
    convert(item, context) {
      const record = spec.toRecord(item, context);
      const values = spec.keyProperties.map((property) => keyValue(property, record[property]));
      return {
        record,
        key: JSON.stringify(values),
        ownKey: values.filter((_, i) => !((spec.keyProperties[i] ?? '') in context)),
        cursorValue: cursorSpec ? record[cursorSpec.field] : undefined,
        settled: cursorSpec?.isSettled?.(record) ?? true,
        childContext: spec.childContext?.(record),
      };
    },
  };
}

/** A partition belongs to a parent partition when its context holds every entry of the parent's. */
export function withinContext(context: Context, parent: Context): boolean {
  return Object.entries(parent).every(([key, value]) => context[key] === value);
}
