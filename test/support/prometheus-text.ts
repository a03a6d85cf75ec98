/**
 * A strict reader of the Prometheus text exposition format (0.0.4), for tests: every line is a HELP, a TYPE or a
 * sample of a declared family (or empty, which the format ignores: prom-client separates families so), or the
 * text is refused; other comments are refused too. Samples are looked up by their exact label set.
 */

export type FamilyType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  help: string | undefined;
  type: FamilyType | undefined;
  readonly samples: Sample[];
}

export class Exposition {
  constructor(readonly families: ReadonlyMap<string, Family>) {}

  family(name: string): Family {
    const family = this.families.get(name);
    if (!family) throw new Error(`no metric family ${name} in the exposition`);
    return family;
  }

  /** The value of the sample `name` with exactly `labels`; undefined when there is none. */
  value(name: string, labels: Record<string, string> = {}): number | undefined {
    const family = this.families.get(familyOf(name, this.families)) ?? undefined;
    const wanted = JSON.stringify(sorted(labels));
    return family?.samples.find((s) => s.name === name && JSON.stringify(sorted(s.labels)) === wanted)?.value;
  }

  /** Like `value`, 0 when the sample is absent (a counter or histogram series not created yet). */
  valueOr0(name: string, labels: Record<string, string> = {}): number {
    return this.value(name, labels) ?? 0;
  }
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES: readonly FamilyType[] = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES: Record<FamilyType, readonly string[]> = {
  counter: [''],
  gauge: [''],
  untyped: [''],
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

export function parseExposition(text: string): Exposition {
  const families = new Map<string, Family>();
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop(); // the text ends with a newline
  lines.forEach((line, index) => {
    const fail = (why: string): never => {
      throw new Error(`line ${index + 1} ${why}: ${JSON.stringify(line)}`);
    };
    const declare = (name: string) => {
      if (!METRIC_NAME.test(name)) fail('names no valid metric');
      let family = families.get(name);
      if (!family) {
        family = { name, help: undefined, type: undefined, samples: [] };
        families.set(name, family);
      }
      return family;
    };
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      const [, name = '', help = ''] = /^# HELP (\S+) ?(.*)$/.exec(line) ?? fail('is a malformed HELP');
      const family = declare(name);
      if (family.help !== undefined) fail('repeats a HELP');
      family.help = help;
    } else if (line.startsWith('# TYPE ')) {
      const [, name = '', type = ''] = /^# TYPE (\S+) (\S+)$/.exec(line) ?? fail('is a malformed TYPE');
      const family = declare(name);
      if (family.type !== undefined || family.samples.length > 0) fail('types a family twice or late');
      if (!TYPES.includes(type as FamilyType)) fail(`has an unknown type ${type}`);
      family.type = type as FamilyType;
    } else {
      const sample = parseSample(line, fail);
      const family = families.get(familyOf(sample.name, families));
      if (!family?.type) fail('is a sample of no declared family');
      family?.samples.push(sample);
    }
  });
  for (const family of families.values()) {
    if (family.type === 'histogram') checkHistogram(family);
  }
  return new Exposition(families);
}

/** The family a sample name belongs to: itself, or its name without a histogram/summary suffix. */
function familyOf(name: string, families: ReadonlyMap<string, Family>): string {
  for (const [family, { type }] of families) {
    if (type && SUFFIXES[type].some((suffix) => `${family}${suffix}` === name)) return family;
  }
  return name;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)( -?\d+)?$/.exec(line) ?? fail('is not a sample');
  const [, name = '', labelText, valueText = ''] = match;
  const value = parseValue(valueText) ?? fail('has no valid value');
  return { name, labels: labelText ? parseLabels(labelText.slice(1, -1), fail) : {}, value };
}

function parseValue(text: string): number | undefined {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) ? Number(text) : undefined;
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest.length > 0) {
    const head = /^([^=]+)="/.exec(rest) ?? fail('has a malformed label');
    const name = head[1] ?? '';
    if (!LABEL_NAME.test(name) || name in labels) fail(`has a bad or repeated label ${name}`);
    let i = head[0].length;
    let value = '';
    for (; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] !== '\\') {
        value += rest[i];
        continue;
      }
      const escaped = rest[++i];
      if (escaped === 'n') value += '\n';
      else if (escaped === '\\' || escaped === '"') value += escaped;
      else fail('has a bad escape in a label value');
    }
    if (rest[i] !== '"') fail('has an unterminated label value');
    labels[name] = value;
    rest = rest.slice(i + 1);
    if (rest.startsWith(',')) rest = rest.slice(1);
    else if (rest.length > 0) fail('has labels not separated by commas');
  }
  return labels;
}

/** Buckets per series are cumulative, end at +Inf, and +Inf equals _count. */
function checkHistogram(family: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of family.samples.filter((x) => x.name === `${family.name}_bucket`)) {
    const { le, ...rest } = s.labels;
    if (le === undefined) throw new Error(`${family.name}: a bucket without le`);
    const key = JSON.stringify(sorted(rest));
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, buckets] of series) {
    const counts = buckets.map((b) => b.value);
    if (counts.some((c, i) => i > 0 && c < (counts[i - 1] ?? 0)))
      throw new Error(`${family.name}${key}: buckets are not cumulative`);
    if (buckets.at(-1)?.labels.le !== '+Inf') throw new Error(`${family.name}${key}: no +Inf bucket last`);
    const count = family.samples.find(
      (s) => s.name === `${family.name}_count` && JSON.stringify(sorted(s.labels)) === key,
    );
    if (count?.value !== counts.at(-1))
      throw new Error(`${family.name}${key}: _count is not the +Inf bucket`);
  }
}

const sorted = (labels: Readonly<Record<string, string>>) =>
  Object.fromEntries(Object.entries(labels).sort(([a], [b]) => a.localeCompare(b)));
