// CLI commands of src/server (placeholder until the area's issue lands).
import type { Command } from 'commander';

export function registerServeCommand(_program: Command): void {}
