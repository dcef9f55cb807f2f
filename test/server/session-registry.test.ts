// MemorySessions against the shared contract, on a fake clock.
import { MemorySessions } from '../../src/server/session-registry.ts';
import { sessionContract } from './session-registry-contract.ts';

let t = 0;
sessionContract('memory', (nodeId) => new MemorySessions(() => t, nodeId), {
  expire: async (ms) => {
    t += ms;
  },
  multiNode: false,
});
