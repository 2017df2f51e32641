// LineSink against a stream that hands chunks over only when the test says so, like a pipe whose reader
// is slow: flush and backpressure must end whatever the stream does, and never wait for a 'drain' that
// Node will not emit.
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { OutputClosedError } from '../src/errors.js';
import { LineSink } from '../src/io/output.js';
import { Redactor } from '../src/io/redact.js';

/** Keeps each chunk "in the OS" until handOver(): writableLength stays above 0 meanwhile. */
class SlowWritable extends Writable {
  readonly chunks: string[] = [];
  private readonly held: (() => void)[] = [];

  constructor(highWaterMark: number) {
    super({ highWaterMark, decodeStrings: false });
  }

  override _write(chunk: unknown, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(String(chunk));
    this.held.push(() => callback());
  }

  get heldCount(): number {
    return this.held.length;
  }

  /** Completes the oldest write; Node then starts the next queued one. */
  handOverOne(): void {
    this.held.shift()?.();
  }

  handOverAll(): void {
    while (this.held.length > 0) this.handOverOne();
  }
}

const NOT_YET = Symbol('not settled');

/** The promise's outcome if it settles within a few turns of the event loop, NOT_YET otherwise. */
async function settledSoon(promise: Promise<unknown>): Promise<unknown> {
  return Promise.race([promise.then(() => 'resolved', (error: unknown) => error), sleep(50).then(() => NOT_YET)]);
}

function sinkOn(stream: Writable): LineSink {
  return new LineSink(stream, new Redactor(['secret-token-value']));
}

void describe('LineSink.flush', () => {
  void it('resolves when a last small chunk waits in the stream, though no write() returned false', async () => {
    const stream = new SlowWritable(16 * 1024);
    const sink = sinkOn(stream);
    assert.equal(sink.write('{"type":"STATE","value":{}}'), undefined);
    const flushed = sink.flush();
    // The case Node sends no 'drain' for: something queued, below the high-water mark.
    assert.ok(stream.writableLength > 0);
    assert.equal(stream.writableNeedDrain, false);
    assert.equal(await settledSoon(flushed), NOT_YET, 'not before the chunk is handed over');
    stream.handOverAll();
    assert.equal(await settledSoon(flushed), 'resolved');
    assert.deepEqual(stream.chunks, ['{"type":"STATE","value":{}}\n']);
  });

  void it('waits for every chunk in flight, not only the first', async () => {
    const stream = new SlowWritable(16 * 1024);
    const sink = sinkOn(stream);
    sink.writeNow('first');
    await nextTurn();
    sink.writeNow('second');
    const flushed = sink.flush();
    stream.handOverOne();
    assert.equal(await settledSoon(flushed), NOT_YET, 'the second chunk is still queued');
    stream.handOverOne();
    assert.equal(await settledSoon(flushed), 'resolved');
    assert.deepEqual(stream.chunks, ['first\n', 'second\n']);
  });

  void it('resolves at once when nothing is queued', async () => {
    const stream = new SlowWritable(16 * 1024);
    assert.equal(await settledSoon(sinkOn(stream).flush()), 'resolved');
    assert.deepEqual(stream.chunks, []);
  });

  for (const [how, breakStream] of [
    ['fails (EPIPE)', (stream: Writable) => stream.destroy(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }))],
    ['is closed', (stream: Writable) => stream.destroy()],
  ] as const) {
    void it(`resolves when the stream ${how} while a chunk is queued, and later writes throw OutputClosedError`, async () => {
      const stream = new SlowWritable(16 * 1024);
      const sink = sinkOn(stream);
      sink.writeNow('a line the reader never takes');
      const flushed = sink.flush();
      assert.equal(stream.heldCount, 1);
      breakStream(stream);
      assert.equal(await settledSoon(flushed), 'resolved');
      assert.equal(sink.isClosed, true);
      assert.throws(() => sink.write('one more'), OutputClosedError);
      assert.equal(await settledSoon(sink.flush()), 'resolved');
    });
  }
});

void describe('LineSink backpressure', () => {
  void it('write returns a promise only while the stream needs a drain, resolved once the reader catches up', async () => {
    const stream = new SlowWritable(64);
    const sink = sinkOn(stream);
    assert.equal(sink.write('x'.repeat(100)), undefined, 'the stream has room: nothing to wait for');
    await nextTurn();
    assert.equal(stream.writableNeedDrain, true);
    const waiting = sink.write('after the drain');
    assert.ok(waiting instanceof Promise);
    assert.equal(await settledSoon(waiting), NOT_YET);
    stream.handOverOne();
    assert.equal(await settledSoon(waiting), 'resolved');
    // The lines that waited go out once the stream has room again.
    assert.deepEqual(stream.chunks, [`${'x'.repeat(100)}\n`, 'after the drain\n']);
    const flushed = sink.flush();
    stream.handOverAll();
    assert.equal(await settledSoon(flushed), 'resolved');
  });

  void it('a full batch is written at once, and the write that fills the stream returns a promise', async () => {
    const stream = new SlowWritable(16 * 1024);
    const sink = sinkOn(stream);
    const line = 'y'.repeat(1023);
    let waiting: void | Promise<void>;
    let lines = 0;
    do {
      waiting = sink.write(line);
      lines += 1;
    } while (waiting === undefined && lines < 1000);
    assert.equal(lines, 64, '64 lines of 1 KiB make a 64 KiB batch');
    assert.equal(stream.chunks.length, 1);
    assert.ok(waiting instanceof Promise);
    stream.handOverAll();
    assert.equal(await settledSoon(waiting), 'resolved');
  });

  void it('a wait for a drain ends with OutputClosedError when the stream breaks instead', async () => {
    const stream = new SlowWritable(64);
    const sink = sinkOn(stream);
    assert.equal(sink.write('x'.repeat(100)), undefined);
    await nextTurn();
    const waiting = sink.write('never written');
    assert.ok(waiting instanceof Promise);
    stream.destroy(new Error('write EPIPE'));
    assert.ok((await settledSoon(waiting)) instanceof OutputClosedError);
  });

  void it('redacts the token in what it writes', async () => {
    const stream = new SlowWritable(16 * 1024);
    const sink = sinkOn(stream);
    sink.writeNow('token=secret-token-value');
    const flushed = sink.flush();
    stream.handOverAll();
    await flushed;
    assert.match(stream.chunks.join(''), /^token=\*+\n$/);
  });
});
