import type { WebSocket } from 'ws';
import type { Config } from '../config/loadConfig.js';
import type { Clock } from '../domain/clock.js';
import type { EnvironmentKind } from '../domain/environment.js';
import { ConflictError, NotFoundError, ReproError } from '../domain/errors.js';
import type { Provisioner, TerminalSession, TerminalSize } from '../provisioners/port.js';
import type { Principal } from '../domain/roles.js';
import { createCastRecorder } from './castRecorder.js';
import { parseControlFrame } from './controlFrame.js';
import { terminalEnvironment } from './terminalEnvironment.js';
import type { EnvironmentStore } from '../store/environmentStore.js';
import type { EventStore } from '../store/eventStore.js';
import { newTerminalSessionId, type TranscriptStore } from '../store/transcriptStore.js';

/** WebSocket close codes of the terminal protocol (docs/terminal.md). */
export const CLOSE = { ended: 1000, error: 1011, notFound: 4404, notReady: 4409, timeLimit: 4408 } as const;

/** What the session logs through (the request's logger). */
export interface TerminalLog {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

/** What a terminal session needs from the process (app/buildDeps.ts passes its own). */
export interface TerminalDeps {
  config: Pick<Config, 'terminal'>;
  clock: Clock;
  store: EnvironmentStore;
  events: EventStore;
  transcripts: TranscriptStore;
  provisioners: Partial<Record<EnvironmentKind, Provisioner>>;
}

/** Client input waiting while the shell opens is bounded; a client flooding before the shell exists is cut off. */
const MAX_PENDING_BYTES = 1 << 20;
/** Output the client has not taken yet; past it (a client that stopped reading) the session ends rather than fill memory. */
const MAX_UNSENT_BYTES = 8 << 20;

/**
 * One terminal session over an accepted WebSocket: checks the environment, opens a login shell
 * through the environment's provisioner, relays bytes both ways, applies resizes, records the
 * transcript, ends on shell exit, client close, idle timeout or maximum duration, and writes
 * the start and the end (with its duration) to the environment's audit events.
 */
export async function serveTerminal(deps: TerminalDeps, socket: WebSocket, envId: string, principal: Principal, size: TerminalSize, log: TerminalLog): Promise<void> {
  // Frames can arrive before the shell is open: hold them, in order.
  const pending: Array<{ data: Buffer; binary: boolean }> = [];
  let pendingBytes = 0;
  let deliver: ((data: Buffer, binary: boolean) => void) | undefined;
  let clientGone = false;
  socket.on('message', (raw, binary) => {
    const data = Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw as ArrayBuffer);
    if (deliver) return deliver(data, binary);
    pendingBytes += data.length;
    if (pendingBytes > MAX_PENDING_BYTES) socket.close(CLOSE.error, 'too much input before the shell opened');
    else pending.push({ data, binary });
  });
  socket.on('close', () => {
    clientGone = true;
  });
  const refuse = (code: number, reason: string) => {
    // A close reason is at most 123 bytes.
    if (!clientGone) socket.close(code, Buffer.from(reason).subarray(0, 120).toString('utf8').replace(/\uFFFD+$/, ''));
  };

  let session: TerminalSession;
  try {
    const record = await terminalEnvironment(deps.store, envId, principal);
    if (record.state !== 'ready') return refuse(CLOSE.notReady, `environment ${envId} is ${record.state}, not ready`);
    const provisioner = deps.provisioners[record.kind];
    if (!provisioner) return refuse(CLOSE.error, `no ${record.kind} provider runs beside this API process`);
    session = await provisioner.openTerminal(envId, size);
  } catch (err) {
    if (err instanceof NotFoundError) return refuse(CLOSE.notFound, err.message);
    if (err instanceof ConflictError) return refuse(CLOSE.notReady, err.message);
    log.warn({ err, envId }, 'terminal did not open');
    return refuse(CLOSE.error, err instanceof ReproError ? err.message : 'the terminal could not be opened');
  }
  if (clientGone) {
    session.close();
    return;
  }

  const { clock, config } = deps;
  const startedAtMs = clock.now().getTime();
  const sessionId = newTerminalSessionId();
  try {
    await deps.transcripts.start({
      id: sessionId, envId, actor: principal.name, startedAt: new Date(startedAtMs).toISOString(),
      cols: size.cols, rows: size.rows, bytes: 0, truncated: false,
    });
    await deps.events.append(envId, {
      type: 'terminal.started', actor: principal.name,
      message: `terminal session ${sessionId} opened by ${principal.name}`, data: { sessionId, cols: size.cols, rows: size.rows },
    });
  } catch (err) {
    // No session without its audit record.
    session.close();
    throw err;
  }
  const recorder = createCastRecorder({
    startedAtMs, size, title: `${envId} (${principal.name})`, maxBytes: config.terminal.transcriptMaxBytes,
    now: () => clock.now().getTime(),
    store: (lines, bytes, truncated) => deps.transcripts.append(sessionId, lines, bytes, truncated),
    onStoreError: (err) => log.warn({ err, sessionId }, 'terminal transcript not stored'),
  });

  let finished = false;
  let idleTimer: NodeJS.Timeout | undefined;
  const finish = async (reason: string, closeCode: number, exitCode?: number) => {
    if (finished) return;
    finished = true;
    clearTimeout(idleTimer);
    clearTimeout(maxTimer);
    session.close();
    refuse(closeCode, reason === 'exit' ? 'shell exited' : reason);
    await recorder.finish();
    const durationMs = clock.now().getTime() - startedAtMs;
    await deps.transcripts.end(sessionId, { endedAt: clock.now().toISOString(), durationMs, endReason: reason, ...(exitCode === undefined ? {} : { exitCode }) });
    await deps.events.append(envId, {
      type: 'terminal.ended', actor: principal.name,
      message: `terminal session ${sessionId} ended (${reason}) after ${Math.round(durationMs / 1000)} s`,
      data: { sessionId, durationMs, reason, ...(exitCode === undefined ? {} : { exitCode }), bytes: recorder.bytes, truncated: recorder.truncated },
    });
  };
  const end = (reason: string, closeCode: number, exitCode?: number) => {
    finish(reason, closeCode, exitCode).catch((err: unknown) => log.warn({ err, sessionId }, 'terminal session end not recorded'));
  };
  const touch = () => {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => end('idle', CLOSE.timeLimit), config.terminal.idleTimeoutMs);
  };
  const maxTimer = setTimeout(() => end('max-duration', CLOSE.timeLimit), config.terminal.maxDurationMs);
  touch();

  session.onData((chunk) => {
    touch();
    recorder.output(chunk);
    if (clientGone) return;
    socket.send(chunk, { binary: true });
    if (socket.bufferedAmount > MAX_UNSENT_BYTES) end('slow-client', CLOSE.error);
  });
  session.onExit((exitCode) => end(clientGone ? 'closed' : 'exit', CLOSE.ended, exitCode));
  socket.on('close', () => end('closed', CLOSE.ended));

  deliver = (data, binary) => {
    touch();
    if (binary) return session.write(data);
    const control = parseControlFrame(data);
    if (control?.type === 'resize') {
      recorder.resize(control);
      session.resize(control).catch((err: unknown) => log.debug({ err, sessionId }, 'terminal resize failed'));
    }
  };
  for (const frame of pending.splice(0)) deliver(frame.data, frame.binary);
}
