import type Docker from 'dockerode';
import { splitLines } from '../text/splitLines.js';

interface EngineMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
  aux?: { ID?: string };
}

/**
 * Follows a build, import, pull or push stream of the engine, line by line into `log`, and
 * rejects with the engine's error (a failing RUN step ends the stream with `error`, not with an
 * HTTP status). Resolves with the id the engine reports (`aux.ID`) when it does.
 */
export function followBuildStream(docker: Docker, stream: NodeJS.ReadableStream, log: (line: string) => void): Promise<string | undefined> {
  const lines = splitLines((line) => {
    if (line.trim() !== '') log(line.replace(/\x1b\[[0-9;]*m/g, ''));
  });
  let id: string | undefined;
  let lastStatus = '';
  return new Promise((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err: Error | null) => {
        lines.end();
        if (err) reject(err);
        else resolve(id);
      },
      (event: EngineMessage) => {
        if (event.error || event.errorDetail) {
          stream.removeAllListeners('data');
          reject(new Error(event.errorDetail?.message ?? event.error ?? 'the engine reported an error'));
          return;
        }
        if (event.aux?.ID) id = event.aux.ID;
        if (event.stream !== undefined) {
          lines.push(event.stream);
        } else if (event.status !== undefined) {
          // Pull and push repeat a status per layer with a moving progress bar: log changes only.
          const line = `${event.id ? `${event.id}: ` : ''}${event.status}`;
          if (line !== lastStatus && !event.progress) log(line);
          lastStatus = line;
        }
      },
    );
  });
}
