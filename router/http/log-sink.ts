import { createRequire } from 'node:module';
import type { SonicBoom as SonicBoomClass, SonicBoomOpts } from 'sonic-boom';

/**
 * Where access-log lines go: a file (appended, reopened on demand for log rotation) or
 * stdout. Writes never block the request path: sonic-boom (pino's writer) queues lines in
 * memory and writes them with asynchronous fs.write calls, one at a time. When the queue
 * would grow past `maxBufferBytes` (the disk stalls, a pipe is not read), the line is
 * dropped and `onDrop` is told, so memory stays bounded and the loss is counted.
 */

export interface LogSink {
  /** Queue one line (with its newline). Never blocks; a line that does not fit is dropped. */
  write(line: string): void;
  /** Close and open the file again (after a rotation moved it away); resolves once the new file is open. No-op for stdout. */
  reopen(): Promise<void>;
  /** Resolves once every line queued so far is written (or failed). */
  flush(): Promise<void>;
  /** Flush what is queued, then close (stdout is flushed, not closed). */
  close(): Promise<void>;
}

export interface LogSinkOptions {
  /** Largest queue of unwritten lines, in characters; past it lines are dropped. */
  maxBufferBytes: number;
  /** A line was dropped (queue full). */
  onDrop(): void;
  /** A write or open error (the file's directory vanished, a full disk): reported, never thrown. */
  onError(e: Error): void;
}

/**
 * Lines are written in batches of at least this many bytes (one fs.write per ~30 lines
 * instead of one per line: measured in bench/access-log.ts), and at least every FLUSH_MS,
 * so a quiet proxy's lines reach the file within a second.
 */
const BATCH_BYTES = 8 * 1024;
const FLUSH_MS = 1000;

type SonicBoomCtor = new (opts: SonicBoomOpts) => SonicBoomClass;
/** Loaded only when an access log is configured. */
const SonicBoom = (): SonicBoomCtor => createRequire(import.meta.url)('sonic-boom') as SonicBoomCtor;

/** `dest` is a file path, or `stdout`. */
export function openLogSink(dest: string, opts: LogSinkOptions): LogSink {
  const Ctor = SonicBoom();
  const toStdout = dest === 'stdout';
  const boom = toStdout
    ? new Ctor({ fd: 1, sync: false, maxLength: opts.maxBufferBytes, minLength: BATCH_BYTES, periodicFlush: FLUSH_MS })
    : new Ctor({ dest, sync: false, append: true, mkdir: true, maxLength: opts.maxBufferBytes, minLength: BATCH_BYTES, periodicFlush: FLUSH_MS });
  boom.on('drop', () => opts.onDrop());
  boom.on('error', (e: Error) => opts.onError(e));
  let closed = false;
  return {
    write(line) {
      if (closed) return opts.onDrop();
      try {
        boom.write(line);
      } catch (e) {
        opts.onDrop();
        opts.onError(e as Error);
      }
    },
    reopen() {
      if (toStdout || closed) return Promise.resolve();
      // Lines queued before the signal go to the old (rotated) file, the rest to the new one.
      return new Promise<void>((resolve) => {
        boom.flush(() => {
          if (closed) return resolve();
          const done = (): void => {
            boom.off('ready', done);
            boom.off('error', done);
            resolve();
          };
          boom.once('ready', done);
          boom.once('error', done);
          try {
            boom.reopen();
          } catch (e) {
            opts.onError(e as Error);
            done();
          }
        });
      });
    },
    flush() {
      if (closed) return Promise.resolve();
      // While the file is (re)opening, sonic-boom counts as writing: the callback waits for it.
      return new Promise<void>((resolve) => boom.flush(() => resolve()));
    },
    close() {
      if (closed) return Promise.resolve();
      closed = true;
      return new Promise<void>((resolve) => {
        if (toStdout) {
          boom.flush(() => resolve());
          return;
        }
        boom.once('close', () => resolve());
        boom.once('error', () => resolve());
        boom.end();
      });
    },
  };
}
