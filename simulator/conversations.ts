import { z } from 'zod';
import { describeValue, expected } from './input-check.js';

/**
 * Multi-turn conversations with shared system prompts: the prefix structure of chat
 * traffic. A request's session key names a conversation slot (the workload's Zipf
 * session pool); the slot holds its current conversation:
 *
 *   start:   turns T = 1 + floor(u · (2·meanTurns − 1))  (uniform, mean meanTurns; u = the
 *            request's spare workload draw), context = system prompt (slot mod systemPrompts)
 *   turn k:  input = context + user message (the mix's input tokens);
 *            prefix = the full blocks of that input (the system prompt's blocks are shared
 *            by every conversation using it; the rest are the conversation's own)
 *   after:   context += user message + answer (the mix's output tokens), as turn k+1
 *            re-sends turns 1..k; the conversation ends after T turns or when the next
 *            input could exceed maxContextTokens, and the slot starts a new one.
 *
 * Block ids are integers handed out in request order, so the same spec and seed give
 * the same ids. A block is given an id once it is full (contexts only grow, so a full
 * block never changes). Memory: one list of block ids per active slot.
 */

export interface ConversationSpec {
  /** Mean turns per conversation (1 = single-turn requests that share only a system prompt). */
  meanTurns?: number;
  /** Distinct system prompts shared across conversations. */
  systemPrompts?: number;
  /** Tokens of each system prompt. */
  systemTokens?: number;
  /** Tokens per prefix block (the providers' cache block). */
  blockTokens?: number;
  /** A conversation ends before its input would pass this many tokens. */
  maxContextTokens?: number;
}

interface Conversation {
  turnsLeft: number;
  context: number;
  blocks: number[];
}

export interface ConversationTurn {
  readonly inputTokens: number;
  readonly prefix: readonly number[];
}

const KNOWN = ['meanTurns', 'systemPrompts', 'systemTokens', 'blockTokens', 'maxContextTokens'] as const;
const count = (min: number) => z.number().int(expected(`an integer >= ${min}`)).min(min, expected(`an integer >= ${min}`));

/** The spec's schema; errors name the field (`workload.conversations.meanTurns: ...`). */
export const conversationSpecSchema = z.strictObject(
  {
    meanTurns: z.number(expected('a number >= 1')).min(1, expected('a number >= 1')).optional(),
    systemPrompts: count(1).max(100_000, expected('an integer >= 1, at most 100000')).optional(),
    systemTokens: count(0).optional(),
    blockTokens: count(1).optional(),
    maxContextTokens: count(1).optional(),
  },
  {
    error: (iss) =>
      iss.code === 'unrecognized_keys'
        ? `unknown field; expected one of ${KNOWN.join(', ')}`
        : `expected {meanTurns?, systemPrompts?, systemTokens?, blockTokens?, maxContextTokens?}, got ${describeValue(iss.input)}`,
  },
);

export class Conversations {
  private readonly meanTurns: number;
  private readonly blockTokens: number;
  private readonly maxContext: number;
  private readonly systemTokens: number;
  private readonly system: number[][];
  private readonly slots = new Map<number, Conversation>();
  private nextId = 0;

  constructor(spec: ConversationSpec) {
    this.meanTurns = spec.meanTurns ?? 6;
    this.blockTokens = spec.blockTokens ?? 512;
    this.maxContext = spec.maxContextTokens ?? 100_000;
    this.systemTokens = spec.systemTokens ?? 2048;
    const perPrompt = Math.floor(this.systemTokens / this.blockTokens);
    this.system = Array.from({ length: spec.systemPrompts ?? 4 }, () => Array.from({ length: perPrompt }, () => this.nextId++));
  }

  /** The turn of slot `slot` with a new user message of `user` tokens and an answer of `answer` tokens. */
  turn(slot: number, user: number, answer: number, u: number): ConversationTurn {
    let c = this.slots.get(slot);
    if (c === undefined || c.turnsLeft <= 0 || c.context + user > this.maxContext) {
      const sys = this.system[slot % this.system.length]!;
      c = { turnsLeft: 1 + Math.floor(u * (2 * this.meanTurns - 1)), context: this.systemTokens, blocks: sys.slice() };
      this.slots.set(slot, c);
    }
    const input = c.context + user;
    const full = Math.floor(input / this.blockTokens);
    while (c.blocks.length < full) c.blocks.push(this.nextId++);
    const prefix = c.blocks.slice(0, full);
    c.context = input + answer;
    c.turnsLeft--;
    return { inputTokens: input, prefix };
  }
}
