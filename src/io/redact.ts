// Central redaction by value: every line the tap writes passes through one Redactor, so a secret
// cannot leak through a message someone forgot to sanitise. A server can echo the token back in
// another shape (upper case, escaped, encoded, cut short), so each secret is searched in every form
// it can take on its way to the output; two regular-expression scans find where any of them may start.

const MASK = '****';

/** Shorter secrets would mask ordinary text and protect nothing. */
const MIN_SECRET_LENGTH = 4;

/**
 * A run of a secret's first characters this long is masked wherever it appears: a message cut short
 * (by the server, or by whoever shortened it before redacting) ends with one. A shorter run reveals
 * little (for a `pul-` token, at most 3 of its 40 hex digits) and could match ordinary text; half the
 * token would be too lenient, as a cut after 15 characters of a 44-character token showed.
 */
const MIN_PREFIX_LENGTH = 8;

// Anything shaped like a Pulumi access token (`pul-` and 40 hex digits) is masked too, whoever's it
// is: from 16 hex digits on anywhere, and from 8 on where the digits end a word, as a cut token does.
const TOKEN_HEAD = 'pul-';
const TOKEN_MIN_HEX = 16;
const CUT_TOKEN_MIN_HEX = 8;
const TOKEN_HEAD_FORM: SecretForm = { text: TOKEN_HEAD, ignoreCase: true };

/** One shape of a secret in the output; base64 is case-sensitive, the textual forms are not. */
interface SecretForm {
  text: string;
  ignoreCase: boolean;
}

export class Redactor {
  private forms: SecretForm[] = [];
  private finders = candidateFinders([]);
  private formsByFirstChar = formsByFirstChar([]);

  constructor(secrets: Iterable<string | undefined> = []) {
    for (const secret of secrets) this.add(secret);
  }

  /** Secrets become known at different times (environment first, config file later). */
  add(secret: string | undefined): void {
    // Whitespace around a value read from a file or the environment is not part of the secret.
    const trimmed = secret?.trim() ?? '';
    if (trimmed.length < MIN_SECRET_LENGTH) return;
    this.forms = uniqueForms([...this.forms, ...secretForms(trimmed)]);
    this.finders = candidateFinders(this.forms);
    this.formsByFirstChar = formsByFirstChar(this.forms);
  }

  /**
   * The text with every known secret (whole, or a cut-off start of it) and token-shaped word masked.
   * Two regular-expression scans, about as cheap as a String.includes per secret, so an error body
   * can be redacted whole before it is shortened: the cut then falls in a mask, never in a secret.
   */
  redact(text: string): string {
    return applyMasks(text, this.maskedSpans(text));
  }

  /** Where to mask, as sorted non-overlapping [start, end) spans; none for most texts. */
  private maskedSpans(text: string): Array<[number, number]> {
    const spans: Array<[number, number]> = [];
    for (const start of candidateStarts(text, this.finders)) {
      const forms = this.formsByFirstChar.get(caseFold(text.charCodeAt(start))) ?? [];
      const end = start + secretLengthAt(text, start, forms);
      if (end === start) continue;
      const last = spans[spans.length - 1];
      if (last && start < last[1]) last[1] = Math.max(last[1], end);
      else spans.push([start, end]);
    }
    return spans;
  }
}

/** Every form the secret can take in the output, once escaped for JSON, URLs or base64. */
function secretForms(secret: string): SecretForm[] {
  const escapedOnce = jsonEscaped(secret);
  // A LOG or TRACE line that quotes a JSON error body escapes the secret a second time.
  const textual = [secret, escapedOnce, jsonEscaped(escapedOnce), ...urlEncoded(secret)];
  const encoded = [secret, escapedOnce].flatMap(base64Cores);
  return [
    ...textual.map((text) => ({ text, ignoreCase: true })),
    ...encoded.filter((text) => text.length >= MIN_SECRET_LENGTH).map((text) => ({ text, ignoreCase: false })),
  ];
}

function jsonEscaped(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/** As encodeURIComponent writes it and as a query string (URLSearchParams, got) does. */
function urlEncoded(secret: string): string[] {
  const query = new URLSearchParams({ s: secret }).toString().slice('s='.length);
  try {
    return [encodeURIComponent(secret), query];
  } catch {
    // A lone surrogate has no encodeURIComponent form.
    return [query];
  }
}

/**
 * The base64 and base64url characters that encode the secret alone, for each of the three byte
 * alignments it can have inside a longer encoded text (`token pul-…`, a JSON document). Character i
 * holds bits 6i to 6i+5: it belongs to the secret when those bits all come from its bytes, not from
 * the filler before it nor from whatever follows it.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  return [0, 1, 2].flatMap((filler) => {
    const encoded = Buffer.concat([Buffer.alloc(filler), bytes]).toString('base64');
    const core = encoded.slice(Math.ceil((8 * filler) / 6), Math.floor((8 * (filler + bytes.length)) / 6));
    return [core, core.replace(/\+/g, '-').replace(/\//g, '_')];
  });
}

function uniqueForms(forms: SecretForm[]): SecretForm[] {
  const byKey = new Map(forms.map((form) => [`${form.ignoreCase ? 'i' : 's'}:${form.text}`, form]));
  return [...byKey.values()];
}

/**
 * Regular expressions for the places worth a closer look: the start of any form (its first
 * MIN_PREFIX_LENGTH characters) and token-shaped words. Case-insensitive and case-sensitive forms get
 * one expression each: mixing them in one (as [aA] classes) makes the scan slower than two scans.
 */
function candidateFinders(forms: readonly SecretForm[]): RegExp[] {
  const startsOf = (ignoreCase: boolean) => [
    ...new Set(forms.filter((form) => form.ignoreCase === ignoreCase).map((form) => patternOf(form.text.slice(0, MIN_PREFIX_LENGTH)))),
  ];
  const tokenShape = `${patternOf(TOKEN_HEAD)}[0-9a-f]{${CUT_TOKEN_MIN_HEX}}`;
  const exactStarts = startsOf(false);
  return [
    new RegExp([tokenShape, ...startsOf(true)].join('|'), 'gi'),
    ...(exactStarts.length > 0 ? [new RegExp(exactStarts.join('|'), 'g')] : []),
  ];
}

/** Every position where a finder matches, in order; a match may start inside another one. */
function candidateStarts(text: string, finders: readonly RegExp[]): number[] {
  const starts: number[] = [];
  for (const finder of finders) {
    finder.lastIndex = 0;
    for (let found = finder.exec(text); found; found = finder.exec(text)) {
      starts.push(found.index);
      finder.lastIndex = found.index + 1;
    }
  }
  return finders.length > 1 ? starts.sort((a, b) => a - b) : starts;
}

/** \uXXXX escapes every character, regex syntax included (code units, as no finder has the u flag). */
function patternOf(text: string): string {
  return Array.from({ length: text.length }, (_, i) => `\\u${text.charCodeAt(i).toString(16).padStart(4, '0')}`).join('');
}

/**
 * The forms grouped by their first character, case folded: a text with many candidates (say, many
 * `pul-` words) then compares each with the few forms that can start there, not with all of them.
 */
function formsByFirstChar(forms: readonly SecretForm[]): Map<number, SecretForm[]> {
  const groups = new Map<number, SecretForm[]>();
  for (const form of forms) {
    const key = caseFold(form.text.charCodeAt(0));
    groups.set(key, [...(groups.get(key) ?? []), form]);
  }
  return groups;
}

/** How many characters from `start` to mask: the longest form or token shape found there, or 0. */
function secretLengthAt(text: string, start: number, forms: readonly SecretForm[]): number {
  let longest = tokenShapeLength(text, start);
  for (const form of forms) {
    const length = commonPrefixLength(text, start, form);
    // A whole form, or a start of it long enough to be a cut-off secret.
    if (length === form.text.length || length >= MIN_PREFIX_LENGTH) longest = Math.max(longest, length);
  }
  return longest;
}

function commonPrefixLength(text: string, start: number, form: SecretForm): number {
  const limit = Math.min(form.text.length, text.length - start);
  const same = form.ignoreCase ? sameIgnoringCase : sameExactly;
  let length = 0;
  while (length < limit && same(text.charCodeAt(start + length), form.text.charCodeAt(length))) length++;
  return length;
}

function sameExactly(a: number, b: number): boolean {
  return a === b;
}

/** Equal under the i flag of the finders, so that whatever they find is measured the same way. */
function sameIgnoringCase(a: number, b: number): boolean {
  return a === b || caseFold(a) === caseFold(b);
}

/** A regular expression's case folding without the u flag (ECMAScript Canonicalize). */
function caseFold(code: number): number {
  // ASCII letters differ in case by bit 0x20 alone: no need to build strings for them.
  if (code < 0x80) return isAsciiLetter(code) ? code & ~0x20 : code;
  const upper = String.fromCharCode(code).toUpperCase();
  if (upper.length !== 1) return code;
  const folded = upper.charCodeAt(0);
  // A non-ASCII character never folds into ASCII (the long s ſ is no s).
  return folded < 0x80 ? code : folded;
}

/** `pul-` and its hex digits when they look like a token or a token cut short; 0 otherwise. */
function tokenShapeLength(text: string, start: number): number {
  const head = TOKEN_HEAD.length;
  if (commonPrefixLength(text, start, TOKEN_HEAD_FORM) < head) return 0;
  let end = start + head;
  while (end < text.length && isHexDigit(text.charCodeAt(end))) end++;
  const digits = end - start - head;
  if (digits >= TOKEN_MIN_HEX) return end - start;
  const endsWord = end === text.length || !isAsciiAlphanumeric(text.charCodeAt(end));
  return digits >= CUT_TOKEN_MIN_HEX && endsWord ? end - start : 0;
}

function isHexDigit(code: number): boolean {
  const lower = code | 0x20;
  return isDigit(code) || (lower >= 0x61 && lower <= 0x66);
}

function isAsciiAlphanumeric(code: number): boolean {
  return isDigit(code) || isAsciiLetter(code);
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function isAsciiLetter(code: number): boolean {
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

function applyMasks(text: string, spans: ReadonlyArray<readonly [number, number]>): string {
  if (spans.length === 0) return text;
  let out = '';
  let copied = 0;
  for (const [start, end] of spans) {
    out += text.slice(copied, start) + MASK;
    copied = end;
  }
  return out + text.slice(copied);
}
