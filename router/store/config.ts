import { z } from 'zod';
import { msSchema } from '../core/config.js';

/**
 * `store:` in the proxy config. `memory` (default): each process keeps its own state.
 * `redis`: rate limits and endpoint health shared by every replica using the same url and
 * key_prefix (see router/store/*.ts for what is shared and how stale it may be).
 */
export const storeSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('memory') }),
  z.strictObject({
    kind: z.literal('redis'),
    /** redis://[:password@]host:port[/db]; the password may also come from `passwordEnv`. */
    url: z
      .string()
      .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
      .refine((u) => URL.canParse(u), 'a parseable URL: redis://[:password@]host:port[/db]'),
    /** Environment variable holding the Redis password (kept out of the file). */
    passwordEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name').optional(),
    /** Replicas with the same prefix share state; different prefixes never see each other's keys. */
    keyPrefix: z.string().max(200).default('llm-router'),
    /** How often health holds published by other replicas are read (the staleness bound). */
    syncIntervalMs: msSchema.int().positive().default(100),
    /** Share of each endpoint limit this replica may use on its own while Redis is down (1/N for N replicas). */
    localShare: z.number().gt(0).max(1).default(1),
    /** true: refuse to start when Redis cannot be reached; false: warn and route on local state. */
    required: z.boolean().default(false),
    /** A Redis command slower than this counts as a failure (routing never waits on it). */
    commandTimeoutMs: msSchema.int().positive().default(250),
    /**
     * Rate-limit charges within this window are summed into one pipelined Redis call. Each flush
     * costs a write and a reply on the Redis socket, so a longer window costs less CPU: with 5 ms
     * the store added 12.1% to the proxy's CPU per request (interval of the median over 10 rounds
     * 11.1-16.7%), with 20 ms 9.2% (5.3-13.8%) and 10.3% (6.9-14.0%) (npm run bench -- --only
     * store, back to back: suggestive, the intervals overlap). The price is staleness: other replicas learn of this
     * replica's charges up to batch_ms + a round trip later, so with local_share 1 the overshoot
     * across replicas is what they admit within ~20 ms instead of ~5 ms (with local_share 1/N
     * it stays near zero whatever the window). Scenarios run the simulator's 5 ms
     * (simulator/replica-store.ts CHARGE_BATCH_MS), set explicitly in http mode.
     */
    batchMs: msSchema.int().min(0).max(1000).default(20),
    /** How long start-up waits for Redis before warning (or failing, if required). */
    connectWaitMs: msSchema.int().positive().default(2000),
  }),
]);

export type StoreConfig = z.output<typeof storeSchema>;
export type StoreConfigInput = z.input<typeof storeSchema>;
export type RedisStoreConfig = Extract<StoreConfig, { kind: 'redis' }>;
