/** lib/service keeps no module-level mutable state: what an instance remembers travels in its deps. */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const dir = join(import.meta.dirname, '../../lib/service');

describe('lib/service', () => {
  it('declares no mutable binding or collection at module level', async () => {
    const offenders: string[] = [];
    for (const file of await readdir(dir)) {
      const lines = (await readFile(join(dir, file), 'utf8')).split('\n');
      lines.forEach((line, i) => {
        // Top level only: declarations at column 0.
        if (
          /^(export )?(let|var) /.test(line) ||
          /^(export )?const \w+(: [^=]+)? = new (Map|Set|WeakMap|Array)\b/.test(line)
        )
          offenders.push(`${file}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(offenders).toEqual([]);
  });
});
