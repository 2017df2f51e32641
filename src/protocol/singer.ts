// The Singer messages this tap writes (https://hub.meltano.com/singer/spec).

export type SingerMessage =
  | { type: 'SCHEMA'; stream: string; schema: Record<string, unknown>; key_properties: string[]; bookmark_properties?: string[] }
  | { type: 'RECORD'; stream: string; record: Record<string, unknown>; time_extracted: string }
  | { type: 'STATE'; value: Record<string, unknown> };
