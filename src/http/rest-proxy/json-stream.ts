/**
 * v3 streaming produce: a request body that is several JSON objects one after another (how
 * Confluent's clients stream records over one chunked request) is parsed into its objects.
 */

/** The objects of a streamed body; a plain JSON body parses to itself. */
export class StreamedObjects {
  constructor(readonly objects: unknown[]) {}
}

/** Parses `text` as one JSON value, or else as concatenated JSON objects; throws SyntaxError when neither. */
export function parseJsonOrStream(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (first) {
    const objects: unknown[] = [];
    let depth = 0;
    let inString = false;
    let escaped = false;
    let start = -1;
    for (let i = 0; i < text.length; i++) {
      const c = text[i]!;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') inString = false;
      } else if (c === '"') {
        inString = true;
      } else if (c === '{') {
        if (depth++ === 0) start = i;
      } else if (c === '}') {
        if (--depth === 0) objects.push(JSON.parse(text.slice(start, i + 1)) as unknown);
        if (depth < 0) throw first;
      } else if (depth === 0 && !/\s/.test(c)) {
        throw first;
      }
    }
    if (depth !== 0 || objects.length < 2) throw first;
    return new StreamedObjects(objects);
  }
}
