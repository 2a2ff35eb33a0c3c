import { Type, type Static } from '@sinclair/typebox';

/** One terminal session as listed: who, when, how long, how much was recorded. Never the transcript itself. */
export const TerminalSessionSchema = Type.Object({
  id: Type.String(),
  envId: Type.String(),
  actor: Type.String(),
  startedAt: Type.String(),
  endedAt: Type.Optional(Type.String()),
  durationMs: Type.Optional(Type.Integer()),
  /** Why it ended: `exit`, `closed` (by the client), `idle`, `max-duration`, `slow-client` (stopped reading its output). */
  endReason: Type.Optional(Type.String()),
  exitCode: Type.Optional(Type.Integer()),
  cols: Type.Integer(),
  rows: Type.Integer(),
  /** Size of the recorded asciicast. */
  bytes: Type.Integer(),
  /** Output past the size cap was not recorded. */
  truncated: Type.Boolean(),
});
export type TerminalSessionInfo = Static<typeof TerminalSessionSchema>;
