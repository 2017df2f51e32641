// Micro-benchmark of Redactor.redact on the hot path: `npx tsx scripts/bench-redact.ts`.
// Prints µs per 64 KiB batch of RECORD lines (the LineSink batch size) with one and two secrets,
// for batches without any secret (the usual case) and with one echoed token.
import { Redactor } from '../src/io/redact.js';

const BATCH_CHARS = 64 * 1024;
const TOKEN = 'pul-0123456789abcdef0123456789abcdef01234567';
const SECOND_SECRET = 'p@ss"word\\with/odd+chars';

function recordLine(index: number): string {
  const data = {
    orgName: 'acme-corp',
    projectName: `payments-${index % 37}`,
    stackName: index % 2 ? 'production' : 'staging',
    url: `https://app.pulumi.com/acme-corp/payments-${index % 37}/stack-${index}`,
    updateID: `${(index * 2654435761).toString(16).padStart(8, '0')}-4a5b-8c9d-${index.toString(16).padStart(12, '0')}`,
    resourceType: 'pulumi:pulumi:Stack',
    message: `Updated ${index % 500} resources; Pulumi CLI v3.${index % 120}.0`,
    startTime: 1_700_000_000 + index,
  };
  return JSON.stringify({ type: 'RECORD', record: { stream: 'stack_updates', data, emitted_at: 1_700_000_000_000 + index } });
}

function batch(seed: number): string {
  const lines: string[] = [];
  let chars = 0;
  for (let i = seed; chars < BATCH_CHARS; i++) {
    const line = recordLine(i);
    lines.push(line);
    chars += line.length + 1;
  }
  return lines.join('\n') + '\n';
}

/** CPU time (not wall time) of the fastest of several runs: other processes only ever add to a run. */
function microsPerBatch(redactor: Redactor, batches: string[]): number {
  const rounds = 1000;
  let sink = 0;
  const runs: number[] = [];
  for (let run = 0; run < 9; run++) {
    const start = process.cpuUsage();
    for (let i = 0; i < rounds; i++) sink += redactor.redact(batches[i % batches.length] ?? '').length;
    const used = process.cpuUsage(start);
    runs.push((used.user + used.system) / rounds);
  }
  if (sink === 0) throw new Error('nothing redacted');
  return Math.min(...runs);
}

const clean = Array.from({ length: 16 }, (_, i) => batch(i * 1000));
const withToken = clean.map((text) => text.replace('Updated', `Updated with ${TOKEN}`));
for (const [label, secrets] of [
  ['one secret ', [TOKEN]],
  ['two secrets', [TOKEN, SECOND_SECRET]],
] as const) {
  const redactor = new Redactor(secrets);
  const cleanMicros = microsPerBatch(redactor, clean);
  const tokenMicros = microsPerBatch(redactor, withToken);
  console.log(`${label}: ${cleanMicros.toFixed(1)} µs per 64 KiB batch without secret, ${tokenMicros.toFixed(1)} µs with one token`);
}
