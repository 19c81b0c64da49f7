/**
 * Fast deterministic 32-bit hashing for sticky routing. No crypto needed: keys only have
 * to spread evenly and hash the same on every router instance and every run.
 */

/**
 * FNV-1a 32-bit over UTF-16 code units: h = (h XOR c) * 16777619, from offset basis
 * 2166136261, or from `h` (chaining: the hash of a string continued over `s`).
 */
export function fnv1a32(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * murmur3's 32-bit finaliser (fmix32): a bijection with full avalanche, so hashes that
 * differ in one bit come out unrelated.
 */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * A uniform value in (0, 1) for the pair (key, node), from their two 32-bit hashes:
 *   u = (fmix32(keyHash XOR fmix32(nodeHash)) + 0.5) / 2^32
 * Never 0 or 1, so -ln(u) is finite and positive (weighted rendezvous hashing needs that).
 */
export function pairUnit(keyHash: number, nodeHash: number): number {
  return (fmix32((keyHash ^ fmix32(nodeHash)) >>> 0) + 0.5) / 4294967296;
}
