import { describe, expect, it } from 'vitest';
import { principalFromClaims } from '../../src/auth/roleFromClaims.js';

const map = { 'repro-users': 'requester', 'repro-support': 'support', 'repro-admins': 'admin' } as const;

describe('principalFromClaims', () => {
  it('takes the highest role any group maps to, and the most readable name', () => {
    expect(principalFromClaims({ sub: 's1', email: 'a@x.fr', preferred_username: 'alice', groups: ['other', 'repro-admins', 'repro-users'] }, 'groups', map))
      .toEqual({ name: 'alice', role: 'admin' });
    expect(principalFromClaims({ sub: 's1', email: 'a@x.fr', groups: ['repro-support', 'repro-users'] }, 'groups', map)).toEqual({ name: 'a@x.fr', role: 'support' });
    expect(principalFromClaims({ sub: 's1', roles: 'repro-users' }, 'roles', map)).toEqual({ name: 's1', role: 'requester' });
  });

  it('gives no role without a mapped group, and ignores inherited keys', () => {
    expect(principalFromClaims({ sub: 's1', groups: ['visitors'] }, 'groups', map)).toBeUndefined();
    expect(principalFromClaims({ sub: 's1' }, 'groups', map)).toBeUndefined();
    expect(principalFromClaims({ sub: 's1', groups: ['constructor', 'toString'] }, 'groups', map)).toBeUndefined();
  });

  it('never takes a name that reads as the service, a ticket system or a ticket author', () => {
    const groups = ['repro-users'];
    expect(principalFromClaims({ preferred_username: 'worker', email: 'w@x.fr', sub: 's1', groups }, 'groups', map)).toEqual({ name: 'w@x.fr', role: 'requester' });
    expect(principalFromClaims({ preferred_username: 'redmine:jdupont', sub: 's2', groups }, 'groups', map)).toEqual({ name: 's2', role: 'requester' });
    expect(principalFromClaims({ preferred_username: 'Redmine', sub: 'GLPI', groups }, 'groups', map)).toBeUndefined();
  });
});
