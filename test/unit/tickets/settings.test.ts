import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/domain/errors.js';
import { validateTicketsConfig } from '../../../src/tickets/settings.js';
import { testSettings } from '../../support/ticketTestKit.js';

describe('validateTicketsConfig', () => {
  it('accepts the settings of every system', () => {
    const all = Object.fromEntries(['glpi', 'redmine', 'jira', 'gitlab', 'zammad', 'mantis', 'rt', 'generic'].map((s) => [s, testSettings(s)]));
    expect(Object.keys(validateTicketsConfig(all))).toHaveLength(8);
    expect(validateTicketsConfig(undefined)).toEqual({});
  });

  it('names every bad setting as tickets.<system>.<field> and never shows a value', () => {
    let message = '';
    try {
      validateTicketsConfig({
        redmine: { ...testSettings('redmine'), apiKey: undefined, trigger: { customFieldId: 'four' } },
        gitlab: { ...testSettings('gitlab'), tokn: 'super-secret-typo' },
        jira: { ...testSettings('jira'), email: undefined },
        youtrack: {},
      });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      message = (err as Error).message;
    }
    expect(message).toContain('tickets.redmine.trigger.customFieldId');
    expect(message).toContain('tickets.gitlab.tokn');
    expect(message).toContain('tickets.jira.apiToken: Jira Cloud needs email and apiToken');
    expect(message).toContain('tickets.youtrack: unknown ticket system');
    expect(message).not.toContain('super-secret-typo');
  });

  it('requires the credentials a system needs to comment', () => {
    expect(() => validateTicketsConfig({ zammad: { ...testSettings('zammad'), token: undefined } })).toThrow('tickets.zammad.token: required for zammad');
    expect(() => validateTicketsConfig({ glpi: { ...testSettings('glpi'), userToken: undefined } })).toThrow('tickets.glpi.userToken');
  });
});
