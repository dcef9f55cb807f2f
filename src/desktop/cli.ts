// CLI commands of src/desktop (placeholder until the area's issue lands).
import type { Command } from 'commander';

export function registerDesktopCommand(_program: Command): void {}
