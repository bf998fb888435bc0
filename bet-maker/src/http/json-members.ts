/** A member of a JSON object as written: its key and, when its value is a number, the literal. */
export interface JsonMember {
  key: string;
  number?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const NUMBER_START = /[-0-9]/;
const NUMBER_PART = /[-+.0-9eE]/;

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
      for (i++; i < json.length && json.charCodeAt(i) !== QUOTE; i++)
        if (json.charCodeAt(i) === BACKSLASH) i++;
      if (depth === 1 && awaitingKey) {
        members.push({ key: JSON.parse(json.slice(start, i + 1)) as string });
        awaitingKey = false;
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth === 1) awaitingKey = c === 0x7b;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (depth === 1 && c === 0x2c) {
      awaitingKey = true;
    } else if (depth === 1 && NUMBER_START.test(json[i] ?? '')) {
      const start = i;
      while (i + 1 < json.length && NUMBER_PART.test(json[i + 1] ?? '')) i++;
      const last = members.at(-1);
      if (last !== undefined) last.number = json.slice(start, i + 1);
    }
  }
  return members;
}
