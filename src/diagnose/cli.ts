// CLI commands of src/diagnose (placeholder until the area's issue lands).
import type { Command } from 'commander';

export function registerDiagnoseCommand(_program: Command): void {}
