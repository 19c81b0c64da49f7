import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { Admission } from '../core/rate-limit.js';
import { RouterError } from '../core/errors.js';
import type { ClientKeyConfig } from './config.js';
import { HttpError, tooManyRequests, unauthorized } from './errors.js';

/**
 * Client authentication and per-key request rate, for when `server.clientKeys` is set.
 *
 * Keys are compared by their sha256 digest (a Map lookup on the digest), so the
 * server holds no plaintext key beyond start-up and lookup time does not depend on
 * how many leading characters of a guess are right.
 *
 * Rate: a token bucket per key, capacity = rpm, refill = rpm / 60 000 per ms:
 *   tokens = min(rpm, tokens + (now - last) * rpm / 60000); admit iff tokens >= 1.
 * Refused requests get Retry-After = ceil((1 - tokens) / (rpm / 60000) / 1000) s.
 */

export interface ClientKey {
  readonly name: string;
  /** The region its requests prefer (server.client_keys[].region). */
  readonly region?: string;
}

export interface Auth {
  /** True when no keys are configured (every request admitted). */
  readonly open: boolean;
  /** Check `Authorization` and charge one request; returns the key, or an HttpError (401/429). */
  admit(authorization: string | undefined): ClientKey | HttpError;
  /** Check `Authorization` only (no rate charge): for /health and /metrics. */
  verify(authorization: string | undefined): ClientKey | HttpError;
}

interface KeyState {
  key: ClientKey;
  rpm: number | undefined;
  tokens: number;
  last: number;
  /** Set when the limit is shared with other replicas (store: redis); replaces tokens/last. */
  shared: Admission | null;
}

export const sha256Hex = (s: string): string => createHash('sha256').update(s).digest('hex');

export function createAuth(
  keys: readonly ClientKeyConfig[],
  clock: Clock,
  env: Readonly<Record<string, string | undefined>> = process.env,
  /** A shared limiter per key (router/store); absent: the local bucket below. */
  sharedLimit?: (name: string, rpm: number) => Admission,
): Auth {
  const byDigest = new Map<string, KeyState>();
  keys.forEach((k, i) => {
    let digest: string;
    if (k.keyEnv !== undefined) {
      const v = env[k.keyEnv];
      if (!v) throw new RouterError('invalid_config', `config.server.clientKeys[${i}].keyEnv: environment variable ${k.keyEnv} is not set`);
      digest = sha256Hex(v);
    } else {
      digest = k.keySha256!.toLowerCase();
    }
    const name = k.name ?? `key${i}`;
    const shared = sharedLimit && k.rpm !== undefined ? sharedLimit(name, k.rpm) : null;
    byDigest.set(digest, { key: k.region === undefined ? { name } : { name, region: k.region }, rpm: k.rpm, tokens: k.rpm ?? 0, last: clock.now(), shared });
  });
  const open = byDigest.size === 0;
  const anonymous: ClientKey = { name: 'anonymous' };

  function lookup(authorization: string | undefined): KeyState | HttpError {
    // The scheme is case-insensitive (RFC 9110 11.1).
    if (!authorization || !/^bearer /i.test(authorization))
      return unauthorized('missing bearer token: send "Authorization: Bearer <key>"');
    return byDigest.get(sha256Hex(authorization.slice(7).trim())) ?? unauthorized('invalid API key');
  }

  return {
    open,
    verify(authorization) {
      if (open) return anonymous;
      const st = lookup(authorization);
      return st instanceof HttpError ? st : st.key;
    },
    admit(authorization) {
      if (open) return anonymous;
      const st = lookup(authorization);
      if (st instanceof HttpError) return st;
      if (st.shared !== null) {
        const now = clock.now();
        const wait = st.shared.waitMs(1, now);
        if (wait > 0) return tooManyRequests(Math.max(1, Math.ceil(wait / 1000)));
        st.shared.take(1, now);
      } else if (st.rpm !== undefined) {
        const now = clock.now();
        const perMs = st.rpm / 60_000;
        st.tokens = Math.min(st.rpm, st.tokens + (now - st.last) * perMs);
        st.last = now;
        if (st.tokens < 1) return tooManyRequests(Math.max(1, Math.ceil((1 - st.tokens) / perMs / 1000)));
        st.tokens -= 1;
      }
      return st.key;
    },
  };
}

