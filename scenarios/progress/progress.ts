import cliProgress from 'cli-progress';

/**
 * One progress bar for a whole scenario run, on stderr (stdout stays clean for the
 * summary table). Units are "steps" chosen by the caller: scenario seconds in http
 * mode, simulated requests in sim mode. When stderr is not a TTY (CI, tests) the bar
 * prints nothing, and `quiet` turns it off entirely.
 */
export interface Progress {
  /** Start (or restart) the bar for one strategy. */
  start(strategy: string, total: number, label?: string): void;
  update(value: number, info?: string): void;
  /** Finish the current strategy's bar (leaves one line behind on a TTY). */
  stop(): void;
}

const noop: Progress = { start() {}, update() {}, stop() {} };

export function createProgress(opts: { quiet?: boolean; stream?: NodeJS.WritableStream } = {}): Progress {
  if (opts.quiet) return noop;
  const bar = new cliProgress.SingleBar(
    {
      stream: opts.stream ?? process.stderr,
      format: ' {strategy} |{bar}| {percentage}% {label} {info}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      stopOnComplete: false,
      etaBuffer: 20,
      fps: 5,
    },
    cliProgress.Presets.shades_classic,
  );
  let active = false;
  return {
    start(strategy, total, label = '') {
      if (active) bar.stop();
      bar.start(Math.max(1, total), 0, { strategy: strategy.padEnd(28), label, info: '' });
      active = true;
    },
    update(value, info = '') {
      if (active) bar.update(value, { info });
    },
    stop() {
      if (!active) return;
      bar.stop();
      active = false;
    },
  };
}
