// CLI commands of src/evidence (placeholder until the area's issue lands).
import type { Command } from 'commander';

export function registerEvidenceCommands(_program: Command): void {}
