/** The image build record and its log lines, declared once: the store keeps them, the API answers with them. */
import { Type, type Static } from '@sinclair/typebox';

const BUILD_STATES = ['queued', 'running', 'succeeded', 'failed'] as const;
export const BuildStateSchema = Type.Union(BUILD_STATES.map((s) => Type.Literal(s)));
export type BuildState = Static<typeof BuildStateSchema>;

/** One image build: who asked, its state, what it produced (the API answers with it as is). */
export const BuildRecordSchema = Type.Object({
  id: Type.String(),
  image: Type.String(),
  /** Definition revision the build was asked for (the one built is recorded when it runs). */
  revision: Type.Integer(),
  state: BuildStateSchema,
  requestedBy: Type.String(),
  requestedAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  hostId: Type.Optional(Type.String()),
  tag: Type.Optional(Type.String()),
  digest: Type.Optional(Type.String()),
  size: Type.Optional(Type.Integer()),
  inputs: Type.Optional(Type.String()),
  /** Same inputs were built before: nothing ran. */
  cached: Type.Optional(Type.Boolean()),
  error: Type.Optional(Type.String()),
});
export type BuildRecord = Static<typeof BuildRecordSchema>;

/** What an image serves: its last successful build. */
export const CurrentBuildSchema = Type.Object({
  buildId: Type.String(),
  revision: Type.Integer(),
  tag: Type.String(),
  digest: Type.String(),
  size: Type.Integer(),
  builtAt: Type.String(),
});
export type CurrentBuild = Static<typeof CurrentBuildSchema>;

/** One line of a build's log, as stored and as the log stream sends it. */
export interface LogLine {
  id: string;
  line: string;
  /** Set on the last entry of a build's log: how it ended. */
  state?: BuildState;
}
