/**
 * A byte-safe preview of a key, value or header: text when the bytes are valid UTF-8 without
 * control characters (tabs and newlines allowed), else hex; never more than `limit` bytes shown,
 * with the full length said, so a binary or huge value cannot break the page or the JSON.
 */
export interface Preview {
  /** null: the field is null (not empty). */
  encoding: 'null' | 'utf8' | 'hex';
  text: string;
  bytes: number;
  truncated: boolean;
}

const decoder = new TextDecoder('utf-8', { fatal: true });
// C0 controls other than tab, newline and carriage return, DEL, and C1 controls.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/;

export function preview(data: Buffer | null, limit = 1024): Preview {
  if (data === null) return { encoding: 'null', text: '', bytes: 0, truncated: false };
  const shown = data.subarray(0, limit);
  const truncated = data.length > limit;
  let text: string | null = null;
  try {
    text = decoder.decode(shown);
  } catch {
    // A cut in the middle of a character is still text: retry without the last 1-3 bytes.
    for (let cut = 1; truncated && text === null && cut <= 3; cut++) {
      try {
        text = decoder.decode(shown.subarray(0, shown.length - cut));
      } catch {
        text = null;
      }
    }
  }
  if (text !== null && !CONTROL.test(text)) return { encoding: 'utf8', text, bytes: data.length, truncated };
  return { encoding: 'hex', text: shown.toString('hex'), bytes: data.length, truncated };
}
