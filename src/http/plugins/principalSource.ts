import type { FastifyRequest } from 'fastify';
import type { Principal } from '../../domain/roles.js';

/**
 * One way of recognising a caller. Returns undefined when the request does not use this way
 * (no such header, no such cookie); throws UnauthorizedError when it does but the credential is bad.
 */
export type PrincipalSource = (request: FastifyRequest) => Promise<Principal | undefined>;
