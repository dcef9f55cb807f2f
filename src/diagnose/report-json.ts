// `diagnose --json`: the Diagnosis document as is (schema `lifeline.diagnosis`, version 1; docs/diagnose.md).
import type { Diagnosis } from './diagnose.ts';

export function renderJson(d: Diagnosis): string {
  return `${JSON.stringify(d, null, 2)}\n`;
}
