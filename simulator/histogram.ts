import * as hdr from 'hdr-histogram-js';

/**
 * HDR histograms (hdr-histogram-js) for values in µs, lowest 1, auto-resizing.
 *
 * `fast` ones take a value per simulated request (a million in a long run), so they use
 * the library's WebAssembly build, which records a value ~6x faster than its JS build
 * (~25 vs ~150 ns; same bucket layout, same quantiles). WebAssembly memory is not
 * garbage collected: a fast histogram lives until destroy(). `HistogramSet` owns a few
 * and destroys them on dispose(), or through a FinalizationRegistry if it is dropped
 * without one. Where WebAssembly is unavailable the JS build is used (same numbers).
 */

export function histogram(digits: 2 | 3, fast = false): hdr.Histogram {
  return hdr.build({
    bitBucketSize: 32,
    autoResize: true,
    lowestDiscernibleValue: 1,
    highestTrackableValue: 2,
    numberOfSignificantValueDigits: digits,
    useWebAssembly: fast && wasmReady(),
  });
}

let wasm: boolean | undefined;
/** Whether `fast` histograms really are the WebAssembly build here (else the JS build). */
export function wasmReady(): boolean {
  if (wasm === undefined) {
    try {
      hdr.initWebAssemblySync();
      wasm = true;
    } catch {
      wasm = false;
    }
    // destroy() writes a field of the library's histogram that V8 otherwise takes for a
    // constant until the first destroy, at the end of a run: that threw away the optimised
    // code recording into fast histograms (the metrics' record()), to be recompiled in the
    // next run. One histogram destroyed here makes the field a changing one from the start.
    if (wasm) histogram(3, true).destroy();
  }
  return wasm;
}

const destroyOnCollect = new FinalizationRegistry<hdr.Histogram[]>((hs) => {
  for (const h of hs) h.destroy();
});

/** Fast 3-digit histograms owned together; `what` names the owner in errors after dispose(). */
export class HistogramSet {
  private readonly all: hdr.Histogram[] = [];
  /**
   * Set by dispose(). Written twice here, with different values, so V8 takes it for a field
   * that changes: a field it sees written once is a constant to it, and dispose() at the end
   * of a run then threw away the optimised code that checks it (the metrics' record(), which
   * the next run had to recompile).
   */
  private disposed = true;

  constructor(private readonly what: string) {
    this.disposed = false;
    destroyOnCollect.register(this, this.all, this);
  }

  add(): hdr.Histogram {
    const h = histogram(3, true);
    this.all.push(h);
    return h;
  }

  /** Throw if disposed (call before using the histograms). */
  check(op: string): void {
    if (this.disposed) throw new Error(`${this.what}: ${op}() after dispose()`);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    destroyOnCollect.unregister(this);
    for (const h of this.all) h.destroy();
  }
}
