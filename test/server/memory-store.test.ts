import { MemoryStore } from '../../src/server/memory-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('memory', () => new MemoryStore({ maxPerAgent: 5 }), { maxPerAgent: 5 });
