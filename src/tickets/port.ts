import type { EnvironmentKind, TicketRef } from '../domain/environment.js';
import type { Clock } from '../domain/clock.js';
import type { Catalog } from '../images/catalog.js';

/** What a webhook route hands an adapter: headers lower-cased (as Node gives them), the body untouched. */
export interface WebhookRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  query: Record<string, string | undefined>;
}

/** Where a ticket stands, reduced to what repro acts on. */
export type TicketState = 'open' | 'resolved' | 'closed' | 'deleted';

export interface TicketStatus {
  /** The system's own status value (id or name), for the audit trail and last-status memory. */
  raw: string;
  state: TicketState;
}

/** A parsed `/repro` line or trigger: what to start. */
export interface ReproRequest {
  image: string;
  kind: EnvironmentKind;
  packages: string[];
  /** As written (`2d`, `PT8H`); bounded by the service when the environment is created. */
  ttl?: string;
  /** `--new`: another environment even when one of this image is live on the ticket. */
  additional?: boolean;
}

interface EventBase {
  ticket: TicketRef;
  /** Same value on every retry of one delivery: the dedupe key. */
  deliveryId: string;
  /** Who caused the change, in the system's own terms (login, account id, user id). */
  author: string;
  status: TicketStatus;
}

export type TicketEvent =
  | (EventBase & { type: 'repro.requested'; request: ReproRequest })
  /** A request we could not accept; the reason goes back to the ticket as a comment. */
  | (EventBase & { type: 'repro.rejected'; reason: string })
  | (EventBase & {
      type: 'ticket.resolved' | 'ticket.closed' | 'ticket.reopened' | 'ticket.deleted';
      /**
       * false when the system told us about the change itself (GitLab `close`, a Redmine journal
       * detail); true when only the current status is known (GLPI, Zammad) and the handler must
       * compare with the last status it saw to know whether anything changed.
       */
      observed: boolean;
    });


export interface CommentOptions {
  /** Private note / internal comment; the default for everything repro posts. */
  internal: boolean;
}

export interface TicketAdapter {
  readonly system: string;
  /** Throws UnauthorizedError when the delivery is not signed by the configured secret. */
  verify(req: WebhookRequest): void;
  /**
   * Answers a subscription challenge (GLPI `crc_token`); undefined when the query holds none.
   * Throws ValidationError for a token the system could not have sent.
   */
  challenge?(query: Record<string, string | undefined>): string | undefined;
  /**
   * Turns one verified delivery into domain events; throws ValidationError on a malformed body
   * and UnauthorizedError when a time the body's signature covers is outside the accepted window.
   */
  parse(rawBody: Buffer, headers: WebhookRequest['headers']): TicketEvent[];
  /**
   * Posts through the system's REST API; throws ReproError (retryable for 5xx, 429 and network
   * errors). Resolves false when the system is set up to take no comments (generic without commentUrl).
   */
  postComment(ticket: TicketRef, text: string, opts: CommentOptions): Promise<void | false>;
  /** Locale of the comments posted on this system. */
  readonly locale: 'fr' | 'en';
}

/** What every adapter factory receives besides its settings. */
export interface AdapterDeps {
  catalog: Catalog;
  clock: Clock;
  /** A signed delivery time further than this from now is refused (config webhooks.maxSkew). */
  maxSkewSeconds: number;
}
