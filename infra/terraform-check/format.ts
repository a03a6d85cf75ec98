/** The format check: every file must equal what `terraform fmt` would write (@cdktn/hcl-tools wraps hclwrite). */
import { format } from '@cdktn/hcl-tools';
import type { Finding, SourceFile } from './types.ts';

export async function checkFormat(files: readonly SourceFile[]): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const file of files) {
    if (!file.body) continue; // a file that does not parse is reported by the parse check
    const formatted = await format(file.text);
    if (formatted === file.text) continue;
    findings.push({
      check: 'format',
      file: file.path,
      message: `not formatted (${firstDifference(file.text, formatted)})`,
    });
  }
  return findings;
}

function firstDifference(actual: string, expected: string): string {
  const a = actual.split('\n');
  const b = expected.split('\n');
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return `line ${i + 1}: "${(a[i] ?? '').trim()}" should be "${(b[i] ?? '').trim()}"`;
  }
  return 'whitespace';
}
