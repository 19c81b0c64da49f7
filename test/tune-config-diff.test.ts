/** The tuned config as a diff: snake_case, only non-default fields, and it loads to the same router config. */
import { describe, expect, it } from 'vitest';
import { parseRouterConfig } from '../router/core/config.js';
import { parseProxyConfig } from '../router/http/config.js';
import { snake } from '../router/http/config.js';
import { configDiff } from '../scenarios/tune/config-diff.js';

const full = {
  server: { host: '127.0.0.1', port: 8080, drainTimeoutMs: 5000 },
  endpoints: [
    { id: 'a', provider: 'p', model: 'chat', baseUrl: 'http://127.0.0.1:4101/v1', weight: 1, tier: 1, priority: 0, price: { input: 0.1, output: 0.4 }, limits: {} },
    { id: 'b', provider: 'p', model: 'chat', baseUrl: 'http://127.0.0.1:4102/v1', weight: 2, contextWindow: 8000, quality: { coding: 0.5 } },
  ],
  strategy: { name: 'weighted', params: { weights: { fastHost: 3 } } },
  health: { consecutiveFailures: 5, baseEjectionMs: 5000, errorRate: { threshold: 0.3, minRequests: 20 } },
  retry: { maxAttempts: 2, budgetRatio: 0.2 },
  hedging: { enabled: true, delayMs: 1000 },
  timeouts: { ttftMs: 30_000 },
};

describe('configDiff', () => {
  it('keeps only what differs from the defaults, in snake_case; user-named keys untouched', () => {
    const d = configDiff(structuredClone(full));
    expect(d).toEqual({
      server: { drain_timeout_ms: 5000 },
      endpoints: [
        { id: 'a', provider: 'p', model: 'chat', base_url: 'http://127.0.0.1:4101/v1', price: { input: 0.1, output: 0.4 } },
        { id: 'b', provider: 'p', model: 'chat', base_url: 'http://127.0.0.1:4102/v1', weight: 2, context_window: 8000, quality: { coding: 0.5 } },
      ],
      strategy: { name: 'weighted', params: { weights: { fastHost: 3 } } },
      health: { error_rate: { threshold: 0.3 } },
      retry: { max_attempts: 2 },
      hedging: { enabled: true },
    });
    expect(snake('maxEjectionMs')).toBe('max_ejection_ms');
  });

  it('loads to the same router config as the full one', () => {
    const d = parseProxyConfig(configDiff(structuredClone(full)));
    const f = parseProxyConfig(structuredClone(full));
    expect(parseRouterConfig(d.router)).toEqual(parseRouterConfig(f.router));
    expect(d.server).toEqual(f.server);
  });
});
