// Singer metrics: `METRIC: {...}` log lines on stderr, in the format Singer tools (and the Meltano
// SDK's own taps) write and parse: a timer per HTTP request, a record counter per stream.
import type { AttemptNotice } from './http/client.js';
import type { Logger } from './logger.js';

interface Metric {
  type: 'timer' | 'counter';
  metric: string;
  value: number;
  tags: Record<string, string | number>;
}

export class SingerMetrics {
  constructor(private readonly logger: Logger) {}

  request(endpoint: string, notice: AttemptNotice): void {
    this.emit({
      type: 'timer',
      metric: 'http_request_duration',
      value: Math.round(notice.durationMs) / 1000,
      tags: { endpoint, http_status_code: notice.status ?? 0, status: notice.ok ? 'succeeded' : 'failed' },
    });
  }

  recordCount(stream: string, count: number): void {
    this.emit({ type: 'counter', metric: 'record_count', value: count, tags: { stream } });
  }

  private emit(metric: Metric): void {
    this.logger.info(`METRIC: ${JSON.stringify(metric)}`);
  }
}
