/**
 * Counter-based randomness keyed by (seed, provider id, request id).
 *
 * Why not a shared stream: the oracle asks every provider for the counterfactual
 * outcome of the same request, and adding a provider must not shift another
 * provider's draws. With a key per (seed, provider, request) and a draw index, the
 * i-th number for a request is a pure function: u_i = fmix32(key + (i+1)·φ) / 2^32
 * (murmur3's finaliser over a Weyl sequence, φ = 0x9E3779B9). No state, no allocation.
 */

/** FNV-1a over a string: a stable 32-bit hash for seeds and ids. */
export function hashString(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** murmur3 fmix32: avalanches every input bit. */
export function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Key of the (seed, provider) pair; computed once per model. */
export function baseKey(seed: string | number, providerId: string): number {
  return fmix32(hashString(providerId, hashString(String(seed))) ^ 0x5bd1e995);
}

/** Key of one request under a base key (ids up to 2^53 are distinct). */
export function requestKey(base: number, requestId: number): number {
  const lo = requestId >>> 0;
  const hi = (requestId / 4294967296) >>> 0;
  return fmix32(fmix32(base ^ lo) + Math.imul(hi ^ 0x27d4eb2f, 0x165667b1));
}

/** The i-th uniform draw in [0, 1) for a request key. */
export function draw(key: number, i: number): number {
  return fmix32((key + Math.imul(i + 1, 0x9e3779b9)) | 0) / 4294967296;
}
