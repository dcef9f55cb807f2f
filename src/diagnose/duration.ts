// The diagnosis uses the ground-floor duration helpers (src/duration.ts) like every other command.
export { formatDuration, iso, parseDuration } from '../duration.ts';
