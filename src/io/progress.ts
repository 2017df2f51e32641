// A live progress line on stderr when a person watches (stderr is a terminal): stacks read of those
// listed, records, rate. Redrawn in place at most four times a second; never on a pipe or a file.
import type { Writable } from 'node:stream';

export interface ProgressCounts {
  parentsListed: number;
  parentsDone: number;
  records: number;
}

export function formatProgress(counts: ProgressCounts, elapsedMs: number): string {
  const seconds = Math.max(elapsedMs / 1000, 0.001);
  const number = (n: number) => Math.round(n).toLocaleString('en-US');
  // Only a run with child streams (stacks' histories, environments' revisions) has parents to count.
  const parents = counts.parentsListed > 0 ? `parents ${number(counts.parentsDone)}/${number(counts.parentsListed)} read · ` : '';
  return `${parents}${number(counts.records)} records · ${number(counts.records / seconds)} records/s · ${seconds.toFixed(0)} s`;
}

export class ProgressLine {
  private lastDraw = 0;
  private shown = false;
  private readonly started: number;

  constructor(
    private readonly stream: Writable,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
  }

  static forTerminal(stream: Writable): ProgressLine | undefined {
    return (stream as Writable & { isTTY?: boolean }).isTTY ? new ProgressLine(stream) : undefined;
  }

  update(counts: ProgressCounts): void {
    const now = this.now();
    if (now - this.lastDraw < 250) return;
    this.lastDraw = now;
    this.shown = true;
    this.stream.write(`\r\x1b[K${formatProgress(counts, now - this.started)}`);
  }

  clear(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
  }
}
