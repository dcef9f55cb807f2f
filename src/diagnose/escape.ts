// The one way captured text is made inert before any report shows it: C0 controls (ESC starts terminal escape
// sequences), DEL, C1 controls and the bidi overrides/isolates (U+202A–U+202E, U+2066–U+2069, which make a
// browser or terminal show text reversed) are written out as `\x1b` / `\u202e`. Tab and newline stay. The text,
// Markdown and HTML reports each apply their own markup escaping on top of this.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

export function printable(s: string): string {
  return s.replace(UNSAFE, (c) => {
    const n = c.charCodeAt(0);
    return n > 0xff ? `\\u${n.toString(16).padStart(4, '0')}` : `\\x${n.toString(16).padStart(2, '0')}`;
  });
}
