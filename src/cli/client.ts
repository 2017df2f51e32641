import type { TapConfig } from '../config/config.js';
import { PulumiClient } from '../io/http/client.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../package-info.js';
import type { Runtime } from './runtime.js';

export function createClient(rt: Runtime, config: TapConfig): PulumiClient {
  return new PulumiClient({
    baseUrl: config.baseUrl,
    token: config.token,
    timeoutMs: config.requestTimeoutMs,
    maxAttempts: config.maxAttempts,
    maxSockets: config.maxConcurrency + 2,
    maxResponseBytes: config.maxResponseBytes,
    userAgent: `${PACKAGE_NAME}/${PACKAGE_VERSION} (node ${process.versions.node})`,
    logger: rt.logger,
    redact: (text) => rt.redactor.redact(text),
    retryBaseMs: config.retryBaseMs,
  });
}
