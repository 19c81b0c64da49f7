/**
 * Counter-based randomness keyed by (seed, provider id, request id).
 *
 * Why not a shared stream: the oracle asks every provider for the counterfactual
 * outcome of the same request, and adding a provider must not shift another
 * provider's draws. With a key per (seed, provider, request) and a draw index, the
 * i-th number for a request is a pure function: u_i = fmix32(key + (i+1)·φ) / 2^32
 * (murmur3's finaliser over a Weyl sequence, φ = 0x9E3779B9). No state, no allocation.
 */

/** FNV-1a over a string (a stable 32-bit hash for seeds and ids) and murmur3's fmix32: the router's (core/hash.ts). */
import { fmix32, fnv1a32 as hashString } from '../router/core/hash.js';

export { fmix32, hashString };

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
