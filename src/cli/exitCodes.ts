import { ReproError } from '../domain/errors.js';

/** What `repro` exits with (docs/cli.md). `exec` exits with the remote command's own code instead. */
export const EXIT = {
  ok: 0,
  failure: 1,
  /** Bad command line, or input the server refused (400). */
  usage: 2,
  notFound: 3,
  /** Not logged in, unknown or expired token, or a role too low (401, 403). */
  auth: 4,
  /** The environment is not in a state that allows it (409), e.g. a shell on one not ready yet. */
  conflict: 5,
} as const;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof ReproError)) return EXIT.failure;
  switch (err.status) {
    case 400: return EXIT.usage;
    case 401:
    case 403: return EXIT.auth;
    case 404: return EXIT.notFound;
    case 409: return EXIT.conflict;
    default: return EXIT.failure;
  }
}
