/**
 * A parser for Prometheus's text exposition format (version 0.0.4), written from its published description, strict
 * enough to refuse what a Prometheus server would: bad metric or label names, bad escapes, values that are not floats,
 * a TYPE given twice or after the family's samples, a family split in two, a sample given twice, histograms whose
 * buckets are not cumulative or lack `le="+Inf"` equal to `_count`. Tests read /metrics through it, never by regex.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name: `x_bucket`, `x_sum`, `x_count` for a histogram `x`. */
  name: string;
  labels: Record<string, string>;
  value: number;
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

export class ExpositionError extends Error {
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
  }
}

const metricName = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const labelName = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const types = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

export function parsePrometheusText(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  /** Families whose block has ended: a later line for one of them splits it. */
  const closed = new Set<string>();
  const seenSamples = new Set<string>();
  const typeSeen = new Set<string>();
  let current: MetricFamily | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new ExpositionError(lines.length, 'the exposition must end with a line feed');
  lines.pop();

  const enter = (name: string, lineNo: number): MetricFamily => {
    if (current?.name === name) return current;
    if (current) closed.add(current.name);
    if (closed.has(name)) throw new ExpositionError(lineNo, `the lines of ${name} are not one group`);
    let family = families.get(name);
    if (!family) {
      family = { name, type: 'untyped', samples: [] };
      families.set(name, family);
    }
    current = family;
    return family;
  };

  lines.forEach((raw, index) => {
    const lineNo = index + 1;
    const line = raw.replace(/^[ \t]+/, '');
    if (line === '') return;
    if (line.startsWith('#')) {
      const match = /^#[ \t]+(HELP|TYPE)[ \t]+(\S+)(?:[ \t]+(.*))?$/.exec(line);
      if (!match) return; // a comment
      const [, keyword, name = '', rest = ''] = match;
      if (!metricName.test(name)) throw new ExpositionError(lineNo, `bad metric name ${JSON.stringify(name)}`);
      const family = enter(name, lineNo);
      if (keyword === 'HELP') {
        if (family.help !== undefined) throw new ExpositionError(lineNo, `a second HELP for ${name}`);
        family.help = unescapeHelp(rest, lineNo);
      } else {
        const type = rest.trim() as MetricType;
        if (!types.has(type)) throw new ExpositionError(lineNo, `unknown type ${JSON.stringify(rest)}`);
        if (family.samples.length > 0) throw new ExpositionError(lineNo, `TYPE of ${name} after its samples`);
        if (typeSeen.has(name)) throw new ExpositionError(lineNo, `a second TYPE for ${name}`);
        typeSeen.add(name);
        family.type = type;
      }
      return;
    }
    const sample = parseSample(line, lineNo);
    const family = enter(familyOf(sample.name, current), lineNo);
    const key = `${sample.name}${JSON.stringify(Object.entries(sample.labels).sort())}`;
    if (seenSamples.has(key))
      throw new ExpositionError(lineNo, `sample ${sample.name} given twice with the same labels`);
    seenSamples.add(key);
    family.samples.push(sample);
  });
  for (const family of families.values()) checkFamily(family);
  return families;
}

/** A sample belongs to the family being read when it is that family's own name or one of its suffixed series. */
function familyOf(sampleName: string, current: MetricFamily | undefined): string {
  if (current) {
    const suffixes =
      current.type === 'histogram'
        ? ['_bucket', '_sum', '_count']
        : current.type === 'summary'
          ? ['', '_sum', '_count']
          : [''];
    if (suffixes.some((s) => sampleName === current.name + s)) return current.name;
  }
  return sampleName;
}

function parseSample(line: string, lineNo: number): Sample {
  let i = 0;
  const nameMatch = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
  if (!nameMatch) throw new ExpositionError(lineNo, `not a sample: ${JSON.stringify(line.slice(0, 40))}`);
  const name = nameMatch[0];
  i = name.length;
  const labels: Record<string, string> = {};
  if (line[i] === '{') {
    i++;
    for (;;) {
      i = skipBlanks(line, i);
      if (line[i] === '}') {
        i++;
        break;
      }
      const ln = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(line.slice(i));
      if (!ln) throw new ExpositionError(lineNo, `bad label name at column ${i + 1}`);
      const label = ln[0];
      if (!labelName.test(label) || label.startsWith('__'))
        throw new ExpositionError(lineNo, `reserved or bad label name ${label}`);
      if (label in labels) throw new ExpositionError(lineNo, `label ${label} given twice`);
      i = skipBlanks(line, i + label.length);
      if (line[i] !== '=') throw new ExpositionError(lineNo, `expected = after ${label}`);
      i = skipBlanks(line, i + 1);
      if (line[i] !== '"') throw new ExpositionError(lineNo, `expected a quoted value for ${label}`);
      i++;
      let value = '';
      for (;;) {
        const c = line[i];
        if (c === undefined) throw new ExpositionError(lineNo, `unterminated value of ${label}`);
        if (c === '"') break;
        if (c === '\\') {
          const next = line[i + 1];
          if (next === '\\') value += '\\';
          else if (next === '"') value += '"';
          else if (next === 'n') value += '\n';
          else throw new ExpositionError(lineNo, `bad escape \\${next ?? ''} in the value of ${label}`);
          i += 2;
          continue;
        }
        value += c;
        i++;
      }
      labels[label] = value;
      i = skipBlanks(line, i + 1);
      if (line[i] === ',') {
        i++;
        continue;
      }
      if (line[i] !== '}') throw new ExpositionError(lineNo, `expected , or } after the value of ${label}`);
    }
  }
  if (line[i] !== ' ' && line[i] !== '\t') throw new ExpositionError(lineNo, `expected a blank before the value`);
  const rest = line
    .slice(i)
    .trim()
    .split(/[ \t]+/);
  if (rest.length < 1 || rest.length > 2) throw new ExpositionError(lineNo, 'expected a value and at most a timestamp');
  const value = parseFloatToken(rest[0] ?? '', lineNo);
  const sample: Sample = { name, labels, value };
  if (rest[1] !== undefined) {
    if (!/^-?\d+$/.test(rest[1])) throw new ExpositionError(lineNo, `bad timestamp ${rest[1]}`);
    sample.timestampMs = Number(rest[1]);
  }
  return sample;
}

function skipBlanks(line: string, i: number): number {
  let j = i;
  while (line[j] === ' ' || line[j] === '\t') j++;
  return j;
}

/** Go's ParseFloat as the format uses it: decimal or exponent notation, NaN, +Inf, -Inf. */
function parseFloatToken(token: string, lineNo: number): number {
  if (token === 'NaN') return Number.NaN;
  if (token === '+Inf' || token === 'Inf') return Number.POSITIVE_INFINITY;
  if (token === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(token))
    throw new ExpositionError(lineNo, `bad value ${JSON.stringify(token)}`);
  return Number(token);
}

function unescapeHelp(text: string, lineNo: number): string {
  return text.replace(/\\(.?)/g, (_, c: string) => {
    if (c === '\\') return '\\';
    if (c === 'n') return '\n';
    throw new ExpositionError(lineNo, `bad escape \\${c} in HELP`);
  });
}

function checkFamily(family: MetricFamily): void {
  const where = (message: string) => new ExpositionError(0, `${family.name}: ${message}`);
  if (family.type === 'counter') for (const s of family.samples) if (s.value < 0) throw where('a counter is negative');
  if (family.type !== 'histogram') return;
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number; sum?: number }>();
  for (const s of family.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${family.name}_bucket`) {
      if (le === undefined) throw where('a bucket without le');
      entry.buckets.push([parseFloatToken(le, 0), s.value]);
    } else if (s.name === `${family.name}_count`) entry.count = s.value;
    else if (s.name === `${family.name}_sum`) entry.sum = s.value;
    else throw where(`unexpected sample ${s.name}`);
  }
  for (const [key, entry] of series) {
    const sorted = [...entry.buckets].sort((a, b) => a[0] - b[0]);
    sorted.forEach(([, v], i) => {
      if (i > 0 && v < (sorted[i - 1]?.[1] ?? 0)) throw where(`buckets of ${key} are not cumulative`);
    });
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Number.POSITIVE_INFINITY) throw where(`${key} has no le="+Inf" bucket`);
    if (entry.count === undefined || entry.sum === undefined) throw where(`${key} lacks _count or _sum`);
    if (inf[1] !== entry.count) throw where(`${key}: the +Inf bucket is not _count`);
  }
}

/** The value of one sample, by its name and exactly these labels (undefined when there is none). */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const family of families.values())
    for (const s of family.samples) {
      if (s.name !== name) continue;
      const keys = Object.keys(s.labels);
      if (keys.length === Object.keys(labels).length && keys.every((k) => s.labels[k] === labels[k])) return s.value;
    }
  return undefined;
}
