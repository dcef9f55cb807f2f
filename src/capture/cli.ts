// CLI commands of src/capture (placeholder until the area's issue lands).
import type { Command } from 'commander';

export function registerCaptureCommands(_program: Command): void {}
