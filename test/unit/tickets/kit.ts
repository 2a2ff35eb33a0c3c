import { createTicketAdapters } from '../../../src/tickets/createTicketAdapters.js';
import { validateTicketsConfig, type TicketSystem } from '../../../src/tickets/settings.js';
import type { TicketAdapter, TicketEvent } from '../../../src/tickets/port.js';
import { fixture, request, signedHeaders, adapterDeps, testSettings } from '../../support/ticketTestKit.js';

export function adapter(system: TicketSystem, overrides: Record<string, unknown> = {}, baseUrl?: string): TicketAdapter {
  const config = validateTicketsConfig({ [system]: { ...testSettings(system, baseUrl), ...overrides } });
  return createTicketAdapters(config, adapterDeps()).get(system)!;
}

/** Verifies then parses a fixture the way the webhook route does. */
export function deliver(system: TicketSystem, name: string, a = adapter(system)): TicketEvent[] {
  const body = fixture(system, name);
  const req = request(body, signedHeaders(system, body));
  a.verify(req);
  return a.parse(req.rawBody, req.headers);
}

export function deliverJson(system: TicketSystem, json: unknown, a = adapter(system)): TicketEvent[] {
  const body = Buffer.from(JSON.stringify(json));
  const req = request(body, signedHeaders(system, body));
  a.verify(req);
  return a.parse(req.rawBody, req.headers);
}
