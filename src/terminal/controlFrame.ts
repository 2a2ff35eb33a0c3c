import { Type, type Static } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

export const TERMINAL_MAX_DIMENSION = 1000;

const Dimension = Type.Integer({ minimum: 1, maximum: TERMINAL_MAX_DIMENSION });

/** Text frames from the client: JSON control messages; only `resize` exists. */
export const ControlFrame = Type.Object({ type: Type.Literal('resize'), cols: Dimension, rows: Dimension });
export type ControlFrame = Static<typeof ControlFrame>;

const MAX_CONTROL_BYTES = 1024;

/** A valid control frame, or undefined: malformed or unknown frames are ignored, never echoed or logged. */
export function parseControlFrame(data: Buffer): ControlFrame | undefined {
  if (data.length > MAX_CONTROL_BYTES) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(data.toString('utf8'));
  } catch {
    return undefined;
  }
  return Value.Check(ControlFrame, value) ? value : undefined;
}
