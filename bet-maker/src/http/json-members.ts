/** A member of a JSON object as written: its key and, when its value is a number, the literal. */
export interface JsonMember {
  key: string;
  number?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const MINUS = 0x2d;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
/** `[-+.0-9eE]`: what a JSON number literal is made of. */
const isNumberPart = (c: number) =>
  isDigit(c) || c === MINUS || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45;

/**
 * The top-level members of a JSON object text, in order, duplicates included. JSON.parse keeps only the
 * last of two equal keys and turns `1e2` and `100.000` into plain 100, so the body's own text is the only
 * place where a duplicate field or an exponent can still be seen. Only for text JSON.parse accepted as
 * an object: it assumes well-formed JSON and does not validate it.
 */
export function topLevelMembers(json: string): JsonMember[] {
  const members: JsonMember[] = [];
  let depth = 0;
  let awaitingKey = false;
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      let escaped = false;
      for (i++; i < json.length && json.charCodeAt(i) !== QUOTE; i++)
        if (json.charCodeAt(i) === BACKSLASH) {
          escaped = true;
          i++;
        }
      if (depth === 1 && awaitingKey) {
        // Without a backslash the key is the text between the quotes (JSON.parse accepted the body).
        const key = escaped ? (JSON.parse(json.slice(start, i + 1)) as string) : json.slice(start + 1, i);
        members.push({ key });
        awaitingKey = false;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) awaitingKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (depth === 1 && c === 0x2c) {
      awaitingKey = true;
    } else if (depth === 1 && (isDigit(c) || c === MINUS)) {
      const start = i;
      while (i + 1 < json.length && isNumberPart(json.charCodeAt(i + 1))) i++;
      const last = members.at(-1);
      if (last !== undefined) last.number = json.slice(start, i + 1);
    }
  }
  return members;
}
