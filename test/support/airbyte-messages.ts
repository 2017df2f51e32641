// The shape of every Airbyte message this tap writes, checked field by field: required fields, types
// and enums as the Airbyte protocol defines them, and stricter where the tap promises more (each message
// carries its payload; STATE is per stream, with its state and record count). Message types the tap
// never writes (CONTROL, DESTINATION_CATALOG, ANALYTICS traces, GLOBAL or LEGACY states) are rejected.
// The official JSON Schema can be checked as well, on request: see official-airbyte-schema.ts.

/** Problems with one JSON value, each starting with the value's JSON pointer ("/record/emitted_at"). */
type Check = (value: unknown, at: string) => string[];

interface Field {
  check: Check;
  required: boolean;
}

type Fields = Record<string, Field>;

const required = (check: Check): Field => ({ check, required: true });
const optional = (check: Check): Field => ({ check, required: false });

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function shown(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 60)}…` : text;
}

function valueThat(test: (value: unknown) => boolean, what: string): Check {
  return (value, at) => (test(value) ? [] : [`${at} must be ${what}, got ${shown(value)}`]);
}

const string = valueThat((v) => typeof v === 'string', 'a string');
const number = valueThat((v) => typeof v === 'number', 'a number');
const integer = valueThat(Number.isInteger, 'an integer');
const boolean = valueThat((v) => typeof v === 'boolean', 'a boolean');
const anyObject = valueThat(isObject, 'an object');
const absoluteUri = valueThat((v) => typeof v === 'string' && URL.canParse(v), 'an absolute URI');

function oneOf(values: readonly string[]): Check {
  const what = values.length === 1 ? JSON.stringify(values[0]) : `one of ${values.join('/')}`;
  return valueThat((v) => typeof v === 'string' && values.includes(v), what);
}

function arrayOf(item: Check, { nonEmpty = false } = {}): Check {
  return (value, at) => {
    if (!Array.isArray(value)) return [`${at} must be an array, got ${shown(value)}`];
    if (nonEmpty && value.length === 0) return [`${at} must not be empty`];
    return value.flatMap((element, i) => item(element, `${at}/${i}`));
  };
}

/** Fields not named here are allowed, as the protocol allows them. */
function object(fields: Fields): Check {
  return (value, at) => {
    if (!isObject(value)) return [`${at} must be an object, got ${shown(value)}`];
    return Object.entries(fields).flatMap(([key, field]) => {
      const here = `${at}/${key}`;
      if (value[key] === undefined) return field.required ? [`${here} is missing`] : [];
      return field.check(value[key], here);
    });
  };
}

/** An object whose `tag` field names its kind; each kind has its own fields besides the common ones. */
function tagged(tag: string, common: Fields, kinds: Record<string, Fields>): Check {
  const tagField = { [tag]: required(oneOf(Object.keys(kinds))) };
  const checks = new Map(Object.entries(kinds).map(([name, fields]) => [name, object({ ...tagField, ...common, ...fields })]));
  // An unknown kind is reported by the tag's check; its common fields are still checked.
  const unknownKind = object({ ...tagField, ...common });
  return (value, at) => {
    const kind = isObject(value) ? value[tag] : undefined;
    return ((typeof kind === 'string' ? checks.get(kind) : undefined) ?? unknownKind)(value, at);
  };
}

export const FAILURE_TYPES = ['system_error', 'config_error', 'transient_error'] as const;
export const STREAM_STATUSES = ['STARTED', 'RUNNING', 'COMPLETE', 'INCOMPLETE'] as const;
export const TERMINAL_STATUSES = ['COMPLETE', 'INCOMPLETE'] as const;

const streamDescriptor = object({ name: required(string), namespace: optional(string) });

const spec = object({
  connectionSpecification: required(anyObject),
  documentationUrl: optional(absoluteUri),
  changelogUrl: optional(absoluteUri),
  supportsIncremental: optional(boolean),
  supportsNormalization: optional(boolean),
  supportsDBT: optional(boolean),
  protocol_version: optional(string),
});

const connectionStatus = object({ status: required(oneOf(['SUCCEEDED', 'FAILED'])), message: optional(string) });

const catalogStream = object({
  name: required(string),
  namespace: optional(string),
  json_schema: required(anyObject),
  supported_sync_modes: required(arrayOf(oneOf(['full_refresh', 'incremental']), { nonEmpty: true })),
  source_defined_cursor: optional(boolean),
  default_cursor_field: optional(arrayOf(string)),
  source_defined_primary_key: optional(arrayOf(arrayOf(string))),
  is_resumable: optional(boolean),
  is_file_based: optional(boolean),
});

const catalog = object({ streams: required(arrayOf(catalogStream)) });

// emitted_at is epoch milliseconds, hence an integer; the checker of a read also tests its range.
const record = object({
  stream: required(string),
  namespace: optional(string),
  data: required(anyObject),
  emitted_at: required(integer),
});

const state = tagged(
  'type',
  { sourceStats: required(object({ recordCount: required(number) })) },
  { STREAM: { stream: required(object({ stream_descriptor: required(streamDescriptor), stream_state: required(anyObject) })) } },
);

const log = object({
  level: required(oneOf(['FATAL', 'ERROR', 'WARN', 'INFO', 'DEBUG', 'TRACE'])),
  message: required(string),
  stack_trace: optional(string),
});

const errorTrace = object({
  message: required(string),
  internal_message: optional(string),
  stack_trace: optional(string),
  failure_type: optional(oneOf(FAILURE_TYPES)),
  stream_descriptor: optional(streamDescriptor),
});

const estimateTrace = object({
  name: required(string),
  namespace: optional(string),
  type: required(oneOf(['STREAM', 'SYNC'])),
  row_estimate: optional(integer),
  byte_estimate: optional(integer),
});

const statusReason = tagged('type', {}, { RATE_LIMITED: { rate_limited: optional(object({ quota_reset: optional(integer) })) } });

const streamStatusTrace = object({
  stream_descriptor: required(streamDescriptor),
  status: required(oneOf(STREAM_STATUSES)),
  reasons: optional(arrayOf(statusReason)),
});

const trace = tagged(
  'type',
  { emitted_at: required(number) },
  {
    ERROR: { error: required(errorTrace) },
    ESTIMATE: { estimate: required(estimateTrace) },
    STREAM_STATUS: { stream_status: required(streamStatusTrace) },
  },
);

const airbyteMessage = tagged(
  'type',
  {},
  {
    SPEC: { spec: required(spec) },
    CONNECTION_STATUS: { connectionStatus: required(connectionStatus) },
    CATALOG: { catalog: required(catalog) },
    RECORD: { record: required(record) },
    STATE: { state: required(state) },
    LOG: { log: required(log) },
    TRACE: { trace: required(trace) },
  },
);

/** What is wrong with one Airbyte message, field by field; [] when it is well formed. */
export function airbyteMessageProblems(message: unknown): string[] {
  return airbyteMessage(message, '');
}
