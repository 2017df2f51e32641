// The config schema (Airbyte's connectionSpecification). spec.json at the repository root is exactly
// the ConnectorSpecification printed by `spec`; test/spec.test.ts keeps the two equal.

export const DEFAULT_BASE_URL = 'https://api.pulumi.com';
export const DOCUMENTATION_URL = 'https://www.npmjs.com/package/tap-pulumi-cloud';

export const connectionSpecification = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Pulumi Cloud Spec',
  type: 'object',
  // The token is required; Singer and Meltano users may give it as PULUMI_ACCESS_TOKEN instead.
  required: ['token', 'organizations'],
  additionalProperties: true,
  properties: {
    token: {
      type: 'string',
      title: 'Access token',
      description:
        'A Pulumi Cloud access token (pul-...). When absent, the environment variable PULUMI_ACCESS_TOKEN is used.',
      airbyte_secret: true,
      writeOnly: true,
      secret: true,
      minLength: 1,
      order: 0,
    },
    organizations: {
      type: 'array',
      title: 'Organizations',
      description: 'Pulumi Cloud organization names; every stream is read once per organization.',
      items: { type: 'string', minLength: 1 },
      minItems: 1,
      uniqueItems: true,
      order: 1,
    },
    start_date: {
      type: 'string',
      title: 'Start date',
      description:
        'RFC 3339 date-time, or a date (midnight UTC). On a first sync, stacks last updated and updates started before it are not emitted.',
      pattern: '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2}))?$',
      pattern_descriptor: 'YYYY-MM-DD or YYYY-MM-DDTHH:mm:ssZ',
      examples: ['2024-01-01T00:00:00Z', '2024-01-01'],
      order: 2,
    },
    base_url: {
      type: 'string',
      title: 'API base URL',
      description: 'The Pulumi Cloud API endpoint; change it only for a self-hosted Pulumi Cloud.',
      default: DEFAULT_BASE_URL,
      format: 'uri',
      // Schemes are case-insensitive (RFC 3986).
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      order: 3,
    },
    page_size: {
      type: 'integer',
      title: 'Page size',
      description: 'Items requested per page of stacks and of update history.',
      default: 100,
      minimum: 1,
      maximum: 500,
      order: 4,
    },
    max_concurrency: {
      type: 'integer',
      title: 'Concurrent requests',
      description: 'Most requests in flight at once, across every organization and stream (and so the most stacks whose histories are read at the same time).',
      default: 8,
      minimum: 1,
      maximum: 64,
      order: 5,
    },
    request_timeout_seconds: {
      type: 'integer',
      title: 'Request timeout (seconds)',
      description: 'How long one HTTP request may take before it is abandoned (and retried).',
      default: 60,
      minimum: 1,
      maximum: 600,
      order: 6,
    },
    checkpoint_interval_seconds: {
      type: 'number',
      title: 'Checkpoint interval (seconds)',
      description:
        "Least time between two STATE messages while stacks' histories complete; 0 writes one after every stack. Every state holds a bookmark per stack, so with thousands of stacks a few seconds keeps the output small.",
      default: 5,
      minimum: 0,
      maximum: 3600,
      order: 8,
    },
    max_response_mb: {
      type: 'integer',
      title: 'Largest response (MB)',
      description:
        'Largest API response accepted, in megabytes once decompressed; a bigger one fails its request instead of exhausting memory. Real pages are far smaller.',
      default: 64,
      minimum: 1,
      maximum: 1024,
      order: 9,
    },
    retry_base_seconds: {
      type: 'number',
      title: 'First retry wait (seconds)',
      description:
        'How long the first retry of a failed request waits; each further attempt waits twice as long (with jitter), at most 30 s. A Retry-After from the server takes precedence.',
      default: 1,
      minimum: 0,
      maximum: 30,
      order: 10,
    },
    deployments_lookback_days: {
      type: 'number',
      title: 'Deployments look-back (days)',
      description:
        'Deployments created this many days before the bookmark are read again on each incremental run, so that their later status changes arrive.',
      default: 3,
      minimum: 0,
      maximum: 90,
      order: 11,
    },
    usage_lookback_days: {
      type: 'integer',
      title: 'Usage look-back (days)',
      description:
        'Days of resources-under-management usage read again on each incremental run, before the newest day read: recent days change until they are over. The first run reads the last 365 days.',
      default: 7,
      minimum: 0,
      maximum: 365,
      order: 12,
    },
    max_attempts: {
      type: 'integer',
      title: 'Attempts per request',
      description: 'How many times a request is tried on 429, 5xx and network errors before the stream fails.',
      default: 5,
      minimum: 1,
      maximum: 20,
      order: 7,
    },
  },
} as const;

export const connectorSpecification = {
  documentationUrl: DOCUMENTATION_URL,
  connectionSpecification,
};
