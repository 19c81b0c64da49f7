/**
 * A strict little parser for the Prometheus text exposition format (0.0.4), used by
 * the proxy tests to prove /metrics parses: every line is a comment, blank, or
 * `name{label="value",...} value [timestamp]`; every sample belongs to a family
 * declared by `# TYPE` (histograms/summaries own their _bucket/_sum/_count);
 * label values use only the \\ \" \n escapes; values are floats, +Inf, -Inf or NaN.
 * Throws with the line number on the first violation.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: string;
  help: string;
  samples: Sample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(s: string, line: number): number {
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  if (s === 'NaN') return NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`line ${line}: bad value "${s}"`);
  return Number(s);
}

function parseLabels(s: string, line: number): Record<string, string> {
  const out: Record<string, string> = {};
  let i = 0;
  while (i < s.length) {
    const eq = s.indexOf('=', i);
    if (eq === -1) throw new Error(`line ${line}: bad labels "${s}"`);
    const name = s.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name "${name}"`);
    if (s[eq + 1] !== '"') throw new Error(`line ${line}: label ${name} value not quoted`);
    let j = eq + 2;
    let v = '';
    for (; j < s.length && s[j] !== '"'; j++) {
      if (s[j] === '\\') {
        const n = s[++j];
        if (n === 'n') v += '\n';
        else if (n === '\\' || n === '"') v += n;
        else throw new Error(`line ${line}: bad escape \\${n}`);
      } else v += s[j];
    }
    if (s[j] !== '"') throw new Error(`line ${line}: unterminated label value`);
    if (name in out) throw new Error(`line ${line}: duplicate label ${name}`);
    out[name] = v;
    i = j + 1;
    if (s[i] === ',') i++;
    else if (i < s.length) throw new Error(`line ${line}: expected , between labels`);
  }
  return out;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const fams = new Map<string, Family>();
  const owner = (sample: string): Family | undefined => {
    const direct = fams.get(sample);
    if (direct) return direct;
    for (const suf of ['_bucket', '_sum', '_count']) {
      if (!sample.endsWith(suf)) continue;
      const f = fams.get(sample.slice(0, -suf.length));
      if (f && (f.type === 'histogram' || f.type === 'summary')) return f;
    }
    return undefined;
  };
  text.split('\n').forEach((raw, idx) => {
    const n = idx + 1;
    const line = raw.trim();
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string];
      if (!NAME.test(name)) throw new Error(`line ${n}: bad metric name "${name}"`);
      const f = fams.get(name) ?? { name, type: 'untyped', help: '', samples: [] };
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${n}: bad type "${rest}"`);
        f.type = rest;
      } else f.help = rest;
      fams.set(name, f);
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/.exec(line);
    if (!m) throw new Error(`line ${n}: not a sample: "${line}"`);
    const name = m[1]!;
    const f = owner(name);
    if (!f) throw new Error(`line ${n}: sample ${name} has no # TYPE`);
    const labels = m[3] ? parseLabels(m[3], n) : {};
    if (name.endsWith('_bucket') && f.type === 'histogram' && !('le' in labels)) throw new Error(`line ${n}: bucket without le`);
    f.samples.push({ name, labels, value: parseValue(m[4]!, n) });
  });
  return fams;
}
