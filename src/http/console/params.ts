/** Checks of the console API's query and body values: anything out of range is a 400 naming it. */

export class BadRequest extends Error {
  readonly statusCode = 400;
}

/** A non-negative integer (or -1 where allowed) no larger than `max`; `fallback` when absent. */
export function intParam(name: string, raw: unknown, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (raw === undefined || raw === '') return fallback;
  const s = String(raw);
  if (!/^-?\d{1,16}$/.test(s)) throw new BadRequest(`${name}=${JSON.stringify(s.slice(0, 40))} is not an integer`);
  const n = Number(s);
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new BadRequest(`${name}=${s} is outside [${min}, ${max}]`);
  return n;
}

/** Kafka's legal topic names: [a-zA-Z0-9._-], 1 to 249 characters. */
export function topicParam(raw: unknown): string {
  const s = String(raw ?? '');
  if (!/^[a-zA-Z0-9._-]{1,249}$/.test(s) || s === '.' || s === '..') throw new BadRequest(`topic name ${JSON.stringify(s.slice(0, 260))} is not legal: use 1 to 249 of [a-zA-Z0-9._-]`);
  return s;
}
