// One GET over node:http(s), with what the API client needs and nothing more: the path sent exactly
// as given (no dot-segment normalisation, so a stack named '..' stays that stack), one deadline for
// the whole exchange, gzip decoded as it streams in, and a cap on the decoded size so a hostile
// body cannot take the memory.
import http from 'node:http';
import https from 'node:https';
import { createGunzip, createInflate, type Gunzip, type Inflate } from 'node:zlib';

export interface TransportRequest {
  /** An http: or https: origin, e.g. 'https://api.pulumi.com'. */
  origin: URL;
  /** Path and query, already encoded, sent as is. */
  path: string;
  headers: Record<string, string>;
  agent: http.Agent;
  timeoutMs: number;
  /** Largest body accepted, counted after decompression. */
  maxBytes: number;
  signal?: AbortSignal;
}

export interface TransportResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export type TransportFailure =
  /** No answer in time. */
  | 'timeout'
  /** The body, decoded, passed the size cap. */
  | 'too-large'
  /** A content encoding this client did not ask for, or a body that does not decode. */
  | 'bad-encoding'
  /** The connection failed or broke before the body was complete (code in `code`). */
  | 'network'
  | 'aborted';

export class TransportError extends Error {
  constructor(
    readonly failure: TransportFailure,
    message: string,
    /** The system error code for network failures (ECONNRESET, ENOTFOUND...). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/** Larger output chunks than zlib's 16 KiB: a page decodes in a few steps instead of dozens, each a round trip through the event loop. */
const DECODER_OPTIONS = { chunkSize: 128 * 1024 };

function decoderFor(encoding: string | undefined): Gunzip | Inflate | undefined | 'unsupported' {
  const coding = (encoding ?? '').trim().toLowerCase();
  if (coding === '' || coding === 'identity') return undefined;
  if (coding === 'gzip' || coding === 'x-gzip') return createGunzip(DECODER_OPTIONS);
  if (coding === 'deflate') return createInflate(DECODER_OPTIONS);
  return 'unsupported';
}

function systemCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

export function transportGet(request: TransportRequest): Promise<TransportResponse> {
  const client = request.origin.protocol === 'https:' ? https : http;
  // A stopping sync starts no request at all.
  if (request.signal?.aborted) return Promise.reject(new TransportError('aborted', 'the request was abandoned because the sync is stopping'));
  return new Promise<TransportResponse>((resolve, reject) => {
    let settled = false;
    const finish = (outcome: { ok: TransportResponse } | { error: TransportError }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if ('ok' in outcome) resolve(outcome.ok);
      else {
        req.destroy();
        reject(outcome.error);
      }
    };
    const fail = (failure: TransportFailure, message: string, code?: string) => finish({ error: new TransportError(failure, message, code) });
    const onAbort = () => fail('aborted', 'the request was abandoned because the sync is stopping');

    const req = client.request({
      protocol: request.origin.protocol,
      hostname: request.origin.hostname.replace(/^\[|\]$/g, ''),
      port: request.origin.port || undefined,
      path: request.path,
      method: 'GET',
      headers: request.headers,
      agent: request.agent,
    });
    // Listen for errors first: a request destroyed without a listener would throw out of the process.
    req.on('error', (error) => fail('network', `${systemCode(error) ?? 'request failed'}: ${error.message}`, systemCode(error)));
    const timer = setTimeout(() => fail('timeout', `timed out after ${request.timeoutMs / 1000} s`), request.timeoutMs);
    request.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res) => {
      const decoder = decoderFor(res.headers['content-encoding']);
      if (decoder === 'unsupported') {
        res.resume();
        return fail('bad-encoding', `the response uses content encoding '${String(res.headers['content-encoding'])}', which was not asked for`);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      const body = decoder ? res.pipe(decoder) : res;
      body.on('data', (chunk: Buffer) => {
        size += chunk.length;
        // Stop reading at once: a small compressed body can inflate to gigabytes.
        if (size > request.maxBytes) {
          // Settle first: destroying the response reports it as aborted, synchronously.
          fail('too-large', `the response is larger than ${formatBytes(request.maxBytes)} once decompressed`);
          decoder?.destroy();
          res.destroy();
          return;
        }
        chunks.push(chunk);
      });
      body.on('end', () => {
        if (!res.complete) return fail('network', 'the connection closed before the whole response arrived', 'ECONNRESET');
        // One chunk (most pages, with the decoder's large chunks) is read as it is, without a copy.
        const whole = chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks, size);
        finish({ ok: { status: res.statusCode ?? 0, headers: res.headers, body: whole.toString('utf8') } });
      });
      decoder?.on('error', (error) => {
        // A gzip stream cut short is a broken connection; anything else is a body that does not decode.
        if (!res.complete) fail('network', 'the connection closed before the whole response arrived', 'ECONNRESET');
        else fail('bad-encoding', `the ${String(res.headers['content-encoding'])} body does not decode: ${error.message}`);
      });
      res.on('error', (error) => fail('network', `${systemCode(error) ?? 'response failed'}: ${error.message}`, systemCode(error)));
      res.on('aborted', () => fail('network', 'the connection closed before the whole response arrived', 'ECONNRESET'));
    });
    req.end();
  });
}

export function formatBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${Math.round(bytes / 2 ** 20)} MB` : `${bytes} bytes`;
}
