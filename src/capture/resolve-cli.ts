// CLI: `lifeline resolve` (placeholder until the capture-reader issue lands).
import type { Command } from 'commander';

export function registerResolveCommand(_program: Command): void {}
