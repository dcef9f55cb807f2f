// Stream positions and the resume decision. A position is {epoch, seq}: `epoch` names one incarnation of an agent's
// stream (a new epoch means history before it is gone, e.g. a memory store restarted); `seq` counts notifications
// in that epoch from 1. Position {epoch, 0} means "nothing yet". Recovery is claimed only when provably complete.

export interface StreamPosition {
  epoch: string;
  seq: number;
}

/** What the store can say about an agent's stream right now. */
export interface StreamInfo {
  epoch: string;
  /** Highest seq ever appended in this epoch (0 = none). */
  headSeq: number;
  /** Lowest seq still retained (headSeq + 1 when the backlog is empty). */
  oldestSeq: number;
}

/** Why a resume could not prove completeness. */
export type MissingReason =
  | 'epoch-changed' // the stream the desktop knew is gone (e.g. memory store restarted)
  | 'trimmed' // older than the retained backlog
  | 'ahead' // the desktop had seen more than the store holds (store lost data)
  | 'skipped' // a notification arrived with a seq beyond the next one (desktop-side check)
  | 'not-supported'; // the server did not answer the resume request (WxCC-style server)

export interface Missing {
  reason: MissingReason;
  /** The epoch the lost notifications belonged to. */
  epoch: string;
  /** First lost seq in that epoch. */
  fromSeq: number;
  /** Last lost seq, when known (unknown for a vanished epoch). */
  toSeq?: number;
}

export interface ResumeResult {
  /** The position the desktop presented. */
  requested: StreamPosition;
  /** True only when every notification after `requested` will be replayed. */
  recovered: boolean;
  /** How many notifications the server will replay right after the Welcome. */
  replayed: number;
  /** What cannot be replayed (only when recovered is false). Several entries when an epoch change also trimmed. */
  missing?: Missing[];
}

export interface ResumePlan {
  /** Position to put in the Welcome: the desktop's position just before the replay starts. */
  start: StreamPosition;
  /** First seq to replay (start.seq + 1); nothing to replay when > headSeq. */
  replayFrom: number;
  result?: ResumeResult;
}

export function isPosition(v: unknown): v is StreamPosition {
  if (!v || typeof v !== 'object') return false;
  const p = v as Record<string, unknown>;
  return (
    typeof p.epoch === 'string' &&
    p.epoch.length > 0 &&
    p.epoch.length <= 128 &&
    Number.isSafeInteger(p.seq) &&
    (p.seq as number) >= 0
  );
}

export function samePosition(a: StreamPosition | undefined, b: StreamPosition | undefined): boolean {
  return !!a && !!b && a.epoch === b.epoch && a.seq === b.seq;
}

export function formatPosition(p: StreamPosition | undefined): string {
  return p ? `${p.epoch}:${p.seq}` : '-';
}

/**
 * Decide what a (re)connecting desktop gets. Without `requested` it starts at the head (nothing to replay).
 * With one, replay everything retained after it; anything not retained is named in `missing`, never skipped silently.
 * On an epoch change the whole retained backlog of the new epoch is replayed, since the desktop has seen none of it.
 */
export function planResume(requested: StreamPosition | undefined, info: StreamInfo): ResumePlan {
  const head: StreamPosition = { epoch: info.epoch, seq: info.headSeq };
  if (!requested) return { start: head, replayFrom: info.headSeq + 1 };
  const missing: Missing[] = [];
  let from: number;
  if (requested.epoch !== info.epoch) {
    missing.push({ reason: 'epoch-changed', epoch: requested.epoch, fromSeq: requested.seq + 1 });
    from = 1;
  } else if (requested.seq > info.headSeq) {
    // The desktop saw more than the store now holds: the store lost data without changing epoch.
    missing.push({ reason: 'ahead', epoch: info.epoch, fromSeq: info.headSeq + 1, toSeq: requested.seq });
    from = info.headSeq + 1;
  } else {
    from = requested.seq + 1;
  }
  if (from < info.oldestSeq) {
    missing.push({ reason: 'trimmed', epoch: info.epoch, fromSeq: from, toSeq: info.oldestSeq - 1 });
    from = info.oldestSeq;
  }
  const replayed = Math.max(0, info.headSeq - from + 1);
  const result: ResumeResult = { requested, recovered: missing.length === 0, replayed };
  if (missing.length) result.missing = missing;
  return { start: { epoch: info.epoch, seq: from - 1 }, replayFrom: from, result };
}
