/**
 * References in a Terraform expression, as hcl2json hands them over ("${…}" or a template with interpolations).
 * A small lexer instead of @cdktn/hcl2json's getReferencesInExpression: that one costs ~60 ms a call and skips
 * everything inside a `for` expression's body, where dangling references hide just as well.
 */

export interface Reference {
  /** Root and traversal parts: `module.state_api["stable"].url` → ["module", "state_api", "stable", "url"]. */
  readonly parts: readonly string[];
}

const KEYWORDS = new Set([
  'true',
  'false',
  'null',
  'for',
  'in',
  'if',
  'string',
  'number',
  'bool',
  'any',
  'list',
  'map',
  'set',
  'object',
  'tuple',
  'optional',
]);

/** Every traversal in `text` that is not a for-expression's own symbol, an object key or a function name. */
export function referencesIn(text: string): Reference[] {
  const refs: Reference[] = [];
  const forLocals = new Set<string>();
  // Modes: 'T' = template text (top level, or inside a quoted string), 'C' = code (inside ${ } or %{ }).
  const stack: { mode: 'T' | 'C'; depth: number; quoted: boolean }[] = [
    { mode: 'T', depth: 0, quoted: false },
  ];
  let i = 0;
  let declaring = false; // between `for` and `in`: the names are the expression's own
  while (i < text.length) {
    const top = stack[stack.length - 1];
    if (!top) break;
    const c = text[i] ?? '';
    if (top.mode === 'T') {
      if (c === '$' && text[i + 1] === '$' && text[i + 2] === '{') i += 3;
      else if ((c === '$' || c === '%') && text[i + 1] === '{') {
        stack.push({ mode: 'C', depth: 1, quoted: false });
        i += 2;
      } else if (c === '\\' && top.quoted) i += 2;
      else if (c === '"' && top.quoted) {
        stack.pop();
        i++;
      } else i++;
      continue;
    }
    if (c === '"') {
      stack.push({ mode: 'T', depth: 0, quoted: true });
      i++;
    } else if (c === '{' || c === '(' || c === '[') {
      if (c === '{') top.depth++;
      i++;
    } else if (c === '}') {
      top.depth--;
      if (top.depth === 0) stack.pop();
      i++;
    } else if (/[A-Za-z_]/.test(c) && !/[\w.-]/.test(text[i - 1] ?? ' ')) {
      const { parts, end } = traversal(text, i);
      const root = parts[0] ?? '';
      const next = text.slice(end).trimStart();
      i = end;
      if (root === 'for') declaring = true;
      else if (root === 'in') declaring = false;
      else if (declaring) forLocals.add(root);
      if (KEYWORDS.has(root) || declaring || forLocals.has(root)) continue;
      if (next.startsWith('(')) continue; // a function call
      if (parts.length === 1 && /^=(?!=)/.test(next)) continue; // an object key
      refs.push({ parts });
    } else i++;
  }
  return refs;
}

function traversal(text: string, start: number): { parts: string[]; end: number } {
  const ident = /[A-Za-z_][\w-]*/y;
  ident.lastIndex = start;
  const first = ident.exec(text)?.[0] ?? '';
  const parts = [first];
  let i = start + first.length;
  for (;;) {
    if (text[i] === '.') {
      const m = /^\.([A-Za-z_][\w-]*|\d+)/.exec(text.slice(i));
      if (!m?.[1]) break;
      parts.push(m[1]);
      i += m[0].length;
    } else if (text[i] === '[') {
      const m = /^\[\s*(?:"([^"]*)"|(\d+))\s*\]/.exec(text.slice(i));
      if (!m) break; // [*], [expr]: the traversal ends here
      parts.push(m[1] ?? m[2] ?? '');
      i += m[0].length;
    } else break;
  }
  return { parts, end: i };
}
