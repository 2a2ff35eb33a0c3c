import type { EnvironmentRecord, TicketRef } from '../domain/environment.js';
import type { ReproRequest } from './port.js';

/**
 * What the ticket side asks of the environment service (app/createEnvironmentService.ts): declared
 * here so tickets/ depends on nothing above it.
 */
export interface TicketEnvironments {
  request(input: Omit<ReproRequest, 'additional'> & { ticket: TicketRef; note: string }, actor: string, idempotencyKey: string): Promise<{ record: EnvironmentRecord }>;
  requestDestroy(id: string, actor: string, reason: string): Promise<unknown>;
  listByTicket(system: string, id: string): Promise<EnvironmentRecord[]>;
}
