/**
 * Finds where the one statement of a request ends, like the ClickHouse HTTP handler does.
 * chDB would run `a; b` as two statements where a real server refuses them; an INSERT's inline
 * data (after `FORMAT name`) is not SQL and must not be scanned; the output format named in the
 * query decides the `X-ClickHouse-Format` header. A lexer, not a parser: strings, quoted
 * identifiers, comments and heredocs are skipped so a `;` or `FORMAT` inside them does not count.
 */
import { ClickHouseHttpError } from './errors.ts';

export interface SqlStatement {
  /** The statement text, without a trailing `;` and without INSERT data. */
  readonly statement: string;
  /** First keyword, upper-cased (`SELECT`, `INSERT`, `CREATE` …). */
  readonly keyword: string;
  /** `FORMAT name` of the statement: the output format, or an INSERT's input format. */
  readonly format?: string;
  /** For `INSERT … FORMAT name`: offset in the text where the inline data begins. */
  readonly dataStart?: number;
}

interface Token {
  readonly kind: 'word' | 'punct' | 'literal';
  readonly start: number;
  readonly end: number;
}

const WORD = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Skips whitespace and comments (`--`, `# `, `#!`, nested `/* *\/`); returns the next offset. */
function skipBlank(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text[i];
    const next = text[i + 1];
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') i++;
    else if ((c === '-' && next === '-') || (c === '#' && (next === ' ' || next === '!'))) {
      const eol = text.indexOf('\n', i);
      i = eol < 0 ? text.length : eol + 1;
    } else if (c === '/' && next === '*') {
      let depth = 0;
      while (i < text.length) {
        if (text.startsWith('/*', i)) {
          depth++;
          i += 2;
        } else if (text.startsWith('*/', i)) {
          i += 2;
          if (--depth === 0) break;
        } else i++;
      }
    } else break;
  }
  return i;
}

/** End of a quoted run opened at `from` (`'`, `"` or backtick); backslash escapes and doubled quotes. */
function skipQuoted(text: string, from: number): number {
  const quote = text[from];
  let i = from + 1;
  while (i < text.length) {
    const c = text[i];
    if (c === '\\') i += 2;
    else if (c === quote) {
      if (text[i + 1] !== quote) return i + 1;
      i += 2;
    } else i++;
  }
  return text.length;
}

function nextToken(text: string, from: number): Token | undefined {
  const start = skipBlank(text, from);
  if (start >= text.length) return undefined;
  const c = text[start] ?? '';
  if (c === "'" || c === '"' || c === '`') return { kind: 'literal', start, end: skipQuoted(text, start) };
  const heredoc = c === '$' ? /^\$([A-Za-z0-9_]*)\$/.exec(text.slice(start, start + 256)) : null;
  if (heredoc) {
    const close = text.indexOf(heredoc[0], start + heredoc[0].length);
    return { kind: 'literal', start, end: close < 0 ? text.length : close + heredoc[0].length };
  }
  if (WORD.test(c)) {
    let end = start + 1;
    while (end < text.length && WORD.test(text[end] ?? '')) end++;
    return { kind: 'word', start, end };
  }
  return { kind: 'punct', start, end: start + 1 };
}

/** Where INSERT data begins after `FORMAT name`: blanks up to and including the first newline go. */
function dataOffset(text: string, afterFormat: number): number {
  let i = afterFormat;
  while (text[i] === ' ' || text[i] === '\t') i++;
  if (text[i] === '\r') i++;
  if (text[i] === '\n') i++;
  return i;
}

function syntaxError(text: string, at: number, why: string): ClickHouseHttpError {
  const rest = text.slice(at, at + 40);
  return new ClickHouseHttpError(
    62,
    'SYNTAX_ERROR',
    `Syntax error (${why}): failed at position ${at + 1} (${JSON.stringify(rest)}): ${rest}.`,
  );
}

/**
 * Splits `text` into its one statement (plus INSERT data offset). Throws SYNTAX_ERROR (62) for
 * an empty query or a second statement after `;`, as the ClickHouse HTTP interface does.
 */
export function splitStatement(text: string): SqlStatement {
  const first = nextToken(text, 0);
  if (!first) throw new ClickHouseHttpError(62, 'SYNTAX_ERROR', 'Empty query.');
  const keyword = first.kind === 'word' ? text.slice(first.start, first.end).toUpperCase() : '';
  const isInsert = keyword === 'INSERT';
  let depth = 0;
  let format: string | undefined;
  let end = text.length;
  for (let tok: Token | undefined = first; tok; tok = nextToken(text, tok.end)) {
    const value = text.slice(tok.start, tok.end);
    if (tok.kind === 'punct') {
      if (value === '(' || value === '[' || value === '{') depth++;
      else if (value === ')' || value === ']' || value === '}') depth = Math.max(0, depth - 1);
      else if (value === ';' && depth === 0) {
        end = tok.start;
        break;
      }
      continue;
    }
    if (tok.kind !== 'word' || depth !== 0 || value.toUpperCase() !== 'FORMAT') continue;
    const name = nextToken(text, tok.end);
    if (name?.kind !== 'word') continue;
    if (isInsert) {
      const statement = text.slice(0, name.end);
      const inputFormat = text.slice(name.start, name.end);
      return { statement, keyword, format: inputFormat, dataStart: dataOffset(text, name.end) };
    }
    // `SELECT format FROM t` is a column, not a clause: the name must end the query or precede SETTINGS.
    const follow = nextToken(text, name.end);
    const followValue = follow ? text.slice(follow.start, follow.end) : ';';
    if (followValue === ';' || followValue.toUpperCase() === 'SETTINGS')
      format = text.slice(name.start, name.end);
    tok = name;
  }
  let after = skipBlank(text, end);
  while (text[after] === ';') after = skipBlank(text, after + 1);
  if (after < text.length) throw syntaxError(text, end, 'Multi-statements are not allowed');
  const statement = text.slice(0, end).trimEnd();
  return format === undefined ? { statement, keyword } : { statement, keyword, format };
}
