// CLI commands of src/lab (placeholder until the area's issue lands).
import type { Command } from 'commander';

export function registerLabCommands(_program: Command): void {}
