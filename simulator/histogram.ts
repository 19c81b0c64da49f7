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
  }
  return wasm;
}

const destroyOnCollect = new FinalizationRegistry<hdr.Histogram[]>((hs) => {
  for (const h of hs) h.destroy();
});

/** Fast 3-digit histograms owned together; `what` names the owner in errors after dispose(). */
export class HistogramSet {
  private readonly all: hdr.Histogram[] = [];
  private disposed = false;

  constructor(private readonly what: string) {
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
