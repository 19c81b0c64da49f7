import type { PromptClass } from './classes.js';

/**
 * Source labels -> the team's prompt classes. MT-Bench and Vicuna have categories; the
 * mapping is a plain table. Arena-Hard has only topic clusters (250 of them, 2 prompts
 * each, and the two often disagree), so its labels are derived in two checks:
 *   1. the cluster name matches a keyword list of a class (first match in table order);
 *   2. the prompt itself carries a cue of that class (and, for non-coding classes, no
 *      coding cue; for `general`, no creative-writing cue either).
 * A prompt failing either check is not confidently mapped and is left out of training.
 */

export const MT_BENCH_LABELS: Readonly<Record<string, PromptClass>> = {
  coding: 'coding',
  math: 'math',
  reasoning: 'reasoning',
  writing: 'writing',
  roleplay: 'writing',
  extraction: 'general',
  stem: 'general',
  humanities: 'general',
};

export const VICUNA_LABELS: Readonly<Record<string, PromptClass>> = {
  coding: 'coding',
  math: 'math',
  fermi: 'reasoning',
  counterfactual: 'reasoning',
  'common-sense': 'reasoning',
  writing: 'writing',
  roleplay: 'writing',
  generic: 'general',
  knowledge: 'general',
};

/** Step 1: keywords in Arena-Hard cluster names, checked in this order. */
export const ARENA_CLUSTER_KEYWORDS: ReadonlyArray<readonly [PromptClass, RegExp]> = [
  [
    'coding',
    /\b(python|javascript|typescript|kotlin|swift|rust|c\+\+|php|sql|css|react|node\.js|django|flask|laravel|symfony|docker|dockerizing|kubernetes|linux|nix\/nixos|code|coding|scripting|scripts|regex|pandas|matplotlib|pytorch|jax|cuda|hdl|hlsl|gradio|streamlit|tkinter|wpf|vba|vb6|assembly|algorithms|linked list|string reversal|scraping|shiny|tidyverse|android|browser extensions|development|api|apis|databricks|awk|ffmpeg|testing|monads|fibonacci|roblox|tailwind|sockets|cron|caldav|cors|json|deobfuscation|reverse engineering|implementation|array|yolo|odoo|sap)\b/i,
  ],
  [
    'math',
    /\b(math|mathematics|mathematical|algebra|number theory|probability|statistics|standard deviation|geometry|real analysis|irrationality|dice|calculations|train time|investment growth|sample size)\b/i,
  ],
  ['reasoning', /\b(puzzles?|riddles?|logic|pattern completion|comparative truths|walking and step count)\b/i],
  ['writing', /\b(debate|rpg|dialog|satire|expert panel|song|story|poem)\b/i],
  [
    'general',
    /\b(business|strategy|strategies|marketing|finance|banking|taxation|medical|healthy|hospital|meal|recipes|training|agile|trading|seo|advertising|market|climate|philosophy|theology|historical|library science|weather|cybersecurity|industry|accounting|housebuilding|kpis|specifications|enterprise|radiology|etymology|product reinvention|profitability)\b/i,
  ],
];

/** Step 2: the prompt text must show a cue of the class its cluster suggests. */
const CODING_CUE =
  /```|[{};]\s*$|&&|\|\||\b[a-z]+_[a-z0-9_]+\b|\b(code\w*|coding|program|script|function|class|python|javascript|js|typescript|java|c\+\+|c#|rust|sql|bash|regex|api|html|css|compile|error|bug|library|module|query|implement|php|swift|kotlin|docker|linux|shell|git|json|yaml|npm|pip|pandas|numpy|dataframe)\b/im;
const CLASS_CUES: Readonly<Record<PromptClass, RegExp>> = {
  coding: CODING_CUE,
  math: /\$|\d|\b(prove|proof|calculate|equation|probability|integral|solve|number|sum|theorem|interest|rate)\b/i,
  reasoning: /\b(puzzle|riddle|logic|how many|how long|coins|game master)\b/i,
  writing: /\b(write|song|story|poem|dialog|dialogue|debate|essay|character|role|game master|storyteller)\b/i,
  // General: anything that is neither code nor creative writing.
  general: /^(?![\s\S]*\b(rpg|story|poem|song|lyrics|game session)\b)/i,
};

/** The class of an Arena-Hard prompt, or undefined when it cannot be mapped confidently. */
export function arenaLabel(cluster: string, prompt: string): PromptClass | undefined {
  const hit = ARENA_CLUSTER_KEYWORDS.find(([, re]) => re.test(cluster));
  if (!hit) return undefined;
  const cls = hit[0];
  if (!CLASS_CUES[cls].test(prompt)) return undefined;
  if (cls !== 'coding' && CODING_CUE.test(prompt)) return undefined;
  return cls;
}
