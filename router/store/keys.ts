/**
 * Redis key names. The prefix is length-encoded (`<length>:<prefix>|`), so two different
 * key_prefix values can never produce the same key, whatever characters they hold
 * (plain concatenation would make "a:" + "b" and "a" + ":b" collide). Endpoint ids come
 * last, so they cannot collide with the fixed parts either.
 */
export function keySpace(prefix: string): { limit(endpointId: string, kind: 'rpm' | 'tpm'): string; client(name: string): string; health: string; cache(key: string): string } {
  const p = `${prefix.length}:${prefix}|`;
  return {
    limit: (id, kind) => `${p}limit|${kind}|${id}`,
    client: (name) => `${p}client|${name}`,
    cache: (key) => `${p}cache|${key}`,
    health: `${p}holds`, // was `health` (one field per endpoint) before recoveries were shared
  };
}
