// The shared core of the emulator's deterministic data: seeded randomness, the organizations, the
// clock, and the model that every resource (emulator/resources/) hangs its generated data on.
import type { ResolvedEmulatorOptions } from './options.js';

// ---------------------------------------------------------------------------------------------
// Seeded randomness

function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stable 32-bit hash of a list of keys (FNV-1a over their text, then a finaliser). */
export function hashKeys(...parts: Array<string | number>): number {
  let h = 0x811c9dc5;
  for (const part of parts) {
    const text = String(part);
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193);
    }
    h ^= 0x1f; // separator, so ('ab','c') and ('a','bc') differ
    h = Math.imul(h, 0x01000193);
  }
  return fmix32(h);
}

/** mulberry32: tiny, fast and good enough for test data. */
export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  static of(...parts: Array<string | number>): Rng {
    return new Rng(hashKeys(...parts));
  }

  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.next() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty list');
    return item;
  }

  /** Picks by weight: `[[value, weight], ...]`. */
  weighted<T>(choices: ReadonlyArray<readonly [T, number]>): T {
    let total = 0;
    for (const [, w] of choices) total += w;
    let r = this.next() * total;
    for (const [value, w] of choices) {
      r -= w;
      if (r < 0) return value;
    }
    const last = choices[choices.length - 1];
    if (last === undefined) throw new RangeError('weighted pick from an empty list');
    return last[0];
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += Math.floor(this.next() * 0x100000000).toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  uuid(): string {
    const h = this.hex(32);
    const variant = ((parseInt(h[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  }

  base64(bytes: number): string {
    const buf = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) buf[i] = Math.floor(this.next() * 256);
    return buf.toString('base64');
  }
}

// ---------------------------------------------------------------------------------------------
// Words and formats more than one resource uses

export const STACK_NAMES = ['dev', 'prod', 'staging', 'qa', 'test'];
export const TEAM_NAMES = ['platform', 'developers', 'sre', 'data-eng', 'security', 'qa', 'frontend', 'backend'];

export function rfc3339(unixSeconds: number): string {
  return new Date(unixSeconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** 'YYYY-MM-DD HH:MM:SS' in UTC without a zone, or with '.fff' milliseconds: the service's format for ESC and deployment times. */
export function spacedUtc(unixMs: number, precision: 'seconds' | 'millis'): string {
  const iso = new Date(unixMs).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, precision === 'seconds' ? 19 : 23)}`;
}

// ---------------------------------------------------------------------------------------------
// Model

/**
 * What one resource generates for each organization, and the key to read it back with `org.get`.
 * `generate` draws from its own stream (`Rng.of(org.seed, name)`), and reads other resources'
 * data through `org.get`, so the order in which resources are generated changes nothing.
 */
export interface OrgData<T> {
  readonly name: string;
  generate(org: Org, model: EmulatorModel): T;
}

/** An organization: its name, its seed, and the data each resource generated for it. */
export class Org {
  private readonly data = new Map<OrgData<unknown>, unknown>();

  constructor(
    readonly name: string,
    readonly seed: number,
    private readonly model: EmulatorModel,
  ) {}

  /** The org's data for `key`, generated on first use. */
  get<T>(key: OrgData<T>): T {
    if (!this.data.has(key)) this.data.set(key, key.generate(this, this.model));
    // Only this method stores under `key`, and it stores what key.generate returned: a T.
    return this.data.get(key) as T;
  }
}

/** Later than every generated time, so mutations always move forward in time; generated data ends before it. */
export const CLOCK_START = 1_750_000_000;

export class EmulatorModel {
  readonly options: Readonly<ResolvedEmulatorOptions>;
  private readonly orgs = new Map<string, Org>();
  private clock = CLOCK_START;
  private readonly serials = new Map<string, number>();

  /** Generates every `orgData` of every org up front, so later mutations cannot change it. */
  constructor(options: Readonly<ResolvedEmulatorOptions>, orgData: ReadonlyArray<OrgData<unknown>>) {
    this.options = options;
    for (const name of options.orgs) {
      const org = new Org(name, hashKeys(options.seed, 'org', name), this);
      for (const key of orgData) org.get(key);
      this.orgs.set(name, org);
    }
  }

  orgNames(): string[] {
    return [...this.orgs.keys()];
  }

  org(name: string): Org | undefined {
    return this.orgs.get(name);
  }

  /** For the inspection and mutation methods, whose callers are tests: an unknown org is their mistake. */
  requireOrg(name: string): Org {
    const org = this.orgs.get(name);
    if (!org) throw new RangeError(`unknown organization '${name}'`);
    return org;
  }

  /** The model's clock in unix seconds, without moving it. */
  now(): number {
    return this.clock;
  }

  /** Changes made during a test happen now, as on the real service; the clock never goes back. */
  tick(): number {
    this.clock = Math.max(this.clock + 60, Math.floor(Date.now() / 1000));
    return this.clock;
  }

  /** Something happened at `unixSeconds`: the clock is at least there. */
  advanceClockTo(unixSeconds: number): void {
    this.clock = Math.max(this.clock, unixSeconds);
  }

  /** 1, 2, 3... per `kind` across the model: seeds for things added at run time. */
  nextSerial(kind: string): number {
    const serial = (this.serials.get(kind) ?? 0) + 1;
    this.serials.set(kind, serial);
    return serial;
  }
}
