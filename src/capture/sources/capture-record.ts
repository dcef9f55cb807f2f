// The one reused CaptureRecord object a reader fills per frame. The exact ns timestamp is kept as two numbers
// (seconds, nanoseconds) and turned into a bigint only when someone reads `tsNs`: creating two BigInts per packet
// would cost more than parsing the whole record.
import type { CaptureRecord } from '../packet.ts';

const NS_PER_SEC = 1_000_000_000n;
const EMPTY = new Uint8Array(0);

export class ReusedRecord implements CaptureRecord {
  ts = 0;
  /** Whole seconds since the epoch (may exceed 2^32 after if_tsoffset) and the nanosecond remainder. */
  tsSec = 0;
  tsNsec = 0;
  tsUnknown = false;
  linkType = 0;
  ifIndex = 0;
  section = 0;
  caplen = 0;
  origLen = 0;
  data: Uint8Array = EMPTY;
  offset = 0;
  frame = 0;
  declare tsNs: bigint;

  constructor() {
    // An own, enumerable accessor so `{ ...rec }` copies the value (a prototype getter would be dropped by spread).
    Object.defineProperty(this, 'tsNs', {
      enumerable: true,
      configurable: true,
      get: (): bigint => BigInt(this.tsSec) * NS_PER_SEC + BigInt(this.tsNsec),
      set: (v: bigint): void => {
        const sec = v / NS_PER_SEC;
        this.setTime(Number(sec), Number(v - sec * NS_PER_SEC));
      },
    });
  }

  setTime(sec: number, nsec: number): void {
    this.tsSec = sec;
    this.tsNsec = nsec;
    this.ts = sec * 1000 + nsec / 1e6;
  }
}
