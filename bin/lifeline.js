#!/usr/bin/env node
// Entry point: loads the TypeScript sources through tsx's ESM hook (no build step to forget).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
