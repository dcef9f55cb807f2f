// `diagnose --json`: the Diagnosis document as is (schema `lifeline.diagnosis`, version 1; docs/diagnose.md).
// JSON.stringify leaves C1 controls, DEL and bidi overrides raw; escape them (still valid JSON) so captured text
// cannot drive a terminal or reorder what a reader sees.
import type { Diagnosis } from './diagnose.ts';

export function renderJson(d: Diagnosis): string {
  const text = JSON.stringify(d, null, 2).replace(
    /[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  return `${text}\n`;
}
