/**
 * What the proxy may repeat of a provider's error message. A provider's 4xx body is the
 * provider's words to the router, not to the client, and some quote the credential they
 * refused (`Incorrect API key provided: sk-proj-...`). The client gets a message the proxy
 * writes, with the provider's text only after this: anything that looks like a credential
 * becomes `[redacted]`, control characters go, and the text is capped.
 */

/** The longest provider text repeated to a client. */
export const MAX_PROVIDER_TEXT = 300;

const CREDENTIAL_PATTERNS: readonly RegExp[] = [
  // Authorization values: "Bearer <token>", "Basic <token>"
  /\b(?:bearer|basic)\s+[^\s"',;]+/gi,
  // Well-known key prefixes: OpenAI sk-/sk-proj-, Anthropic sk-ant-, Groq gsk_, Google AIza, xAI xai-, GitHub, Slack, AWS
  /\b(?:sk|gsk|xai|pk|rk)[-_][A-Za-z0-9_*.\-]{6,}/g,
  /\bAIza[0-9A-Za-z_\-]{10,}/g,
  /\b(?:ghp|gho|ghs|github_pat|xox[abpr])_[A-Za-z0-9_]{10,}/g,
  /\bAKIA[0-9A-Z]{12,}/g,
  // Any long run of key-like characters (a key the patterns above do not know)
  /[A-Za-z0-9_\-]{32,}/g,
];

/** key=value and "api_key": "value" forms: the name stays, the value goes. */
const KEY_VALUE = /\b(api[-_ ]?key|token|secret|password)(["']?\s*[:=]\s*["']?)[^\s"',;]+/gi;

/** `text` with credential-looking substrings replaced, control characters removed, at most MAX_PROVIDER_TEXT characters. */
export function scrubCredentials(text: string): string {
  let out = text.length > 4 * MAX_PROVIDER_TEXT ? text.slice(0, 4 * MAX_PROVIDER_TEXT) : text;
  out = out.replace(KEY_VALUE, '$1$2[redacted]');
  for (const re of CREDENTIAL_PATTERNS) out = out.replace(re, '[redacted]');
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > MAX_PROVIDER_TEXT ? `${out.slice(0, MAX_PROVIDER_TEXT - 1)}…` : out;
}
