import type { TapConfig } from '../config.js';
import { PulumiClient } from '../http/client.js';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../package-info.js';
import type { Runtime } from '../runtime.js';

export function createClient(rt: Runtime, config: TapConfig, overrides: { maxAttempts?: number } = {}): PulumiClient {
  const retryBase = Number(rt.env.TAP_PULUMI_CLOUD_RETRY_BASE_MS);
  return new PulumiClient({
    baseUrl: config.baseUrl,
    token: config.token,
    timeoutMs: config.requestTimeoutMs,
    maxAttempts: overrides.maxAttempts ?? config.maxAttempts,
    maxSockets: config.maxConcurrency + 2,
    userAgent: `${PACKAGE_NAME}/${PACKAGE_VERSION} (node ${process.versions.node})`,
    logger: rt.logger,
    // Tests shorten backoff through the environment; users have no reason to.
    ...(Number.isFinite(retryBase) && retryBase >= 0 ? { retryBaseMs: retryBase } : {}),
  });
}
