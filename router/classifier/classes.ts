/**
 * The team's fixed prompt classes. Endpoints declare which of them they are fit for
 * (`Endpoint.classes`); the classifier strategy routes each prompt to a fit endpoint.
 */
export const PROMPT_CLASSES = ['coding', 'math', 'reasoning', 'writing', 'general'] as const;

export type PromptClass = (typeof PROMPT_CLASSES)[number];

export function isPromptClass(s: string): s is PromptClass {
  return (PROMPT_CLASSES as readonly string[]).includes(s);
}
