/**
 * Finds a member name that appears twice in one JSON object. JSON.parse keeps the last one silently, so
 * `{"expectedVersion":1,…,"expectedVersion":7}` would mean whatever the last writer of the text chose; RFC 8259
 * leaves such a text's meaning open, and this API refuses it.
 *
 * Runs only on text JSON.parse has accepted, so it needs no error handling: it walks the structure, jumping
 * over string contents with indexOf (native speed), and keeps one Set of names per open object. Linear in
 * the text; a 1 MiB body takes about a millisecond.
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COLON = 0x3a;

/** Index just past the closing quote of the string that opens at `start`. */
function endOfString(text: string, start: number): number {
  let at = start + 1;
  for (;;) {
    const quote = text.indexOf('"', at);
    let backslashes = 0;
    for (let i = quote - 1; text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

export function firstDuplicateKey(text: string): string | null {
  // One entry per open container: a Set of member names for an object, null for an array.
  const open: Array<Set<string> | null> = [];
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const end = endOfString(text, i);
      const names = open.at(-1);
      if (names) {
        // A string directly inside an object is a member name when a colon follows it.
        let next = end;
        while (next < text.length && text.charCodeAt(next) <= 0x20) next++;
        if (text.charCodeAt(next) === COLON) {
          const raw = text.slice(i, end);
          const name = raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
          if (names.has(name)) return name;
          names.add(name);
        }
      }
      i = end - 1;
    } else if (c === OPEN_OBJECT) open.push(new Set());
    else if (c === OPEN_ARRAY) open.push(null);
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) open.pop();
  }
  return null;
}
