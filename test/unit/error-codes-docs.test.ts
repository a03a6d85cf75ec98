/** The catalogue of error codes, the README's error table and the OpenAPI document agree, code for code. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from '../../functions/state-api/openapi.ts';
import { ERROR_CODES } from '../../lib/http/error-codes.ts';

const root = join(import.meta.dirname, '../..');

describe('error codes', () => {
  it("README's error table lists every code of the catalogue, with its status, and no other", async () => {
    const readme = await readFile(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('### Errors'), readme.indexOf('### The save body'));
    const rows = [...section.matchAll(/^\| (\d{3}) \| `([a-z_]+)` \|/gm)].map((m) => [m[2], Number(m[1])]);
    expect(Object.fromEntries(rows)).toEqual(
      Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status])),
    );
  });

  it('the OpenAPI document names every code: the Error schema enum, and each in some operation or route rule', () => {
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
      components: { schemas: { Error: { description: string; properties: { error: { enum: string[] } } } } };
    };
    const error = doc.components.schemas.Error;
    expect(error.properties.error.enum.sort()).toEqual(Object.keys(ERROR_CODES).sort());
    const described = JSON.stringify(doc.paths) + error.description;
    // forbidden is answered by the scheduled functions (OIDC), which are not in the state API's document.
    const unlisted = Object.keys(ERROR_CODES).filter(
      (code) => code !== 'forbidden' && !described.includes(`\`${code}\``),
    );
    expect(unlisted).toEqual([]);
    for (const operations of Object.values(doc.paths))
      for (const operation of Object.values(operations))
        for (const [status, response] of Object.entries(operation.responses)) {
          for (const [, code] of response.description.matchAll(/`([a-z_]+)`:/g))
            expect(ERROR_CODES[code as keyof typeof ERROR_CODES]?.status, code).toBe(Number(status));
        }
  });

  it('every literal error code the code answers outside the mapping is in the catalogue', async () => {
    const files = [
      'lib/http/router.ts',
      'lib/http/scheduled.ts',
      'lib/http/framework-errors.ts',
      'lib/http/client-errors.ts',
    ];
    for (const file of files) {
      const text = await readFile(join(root, file), 'utf8');
      for (const [, code] of text.matchAll(/error: '([a-z_]+)'/g))
        expect(Object.keys(ERROR_CODES), file).toContain(code);
      for (const [, code] of text.matchAll(/error":\s*"([a-z_]+)"|'invalid_request'|error: "([a-z_]+)"/g))
        if (code) expect(Object.keys(ERROR_CODES), file).toContain(code);
    }
  });
});
