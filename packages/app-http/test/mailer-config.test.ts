import { describe, expect, it } from 'vitest';
import { OutboxMailer, SmtpMailer } from '@palette/adapters/mail';
import { buildContainer } from '../src/composition-root.js';
import { authModule, smtpMailerFor } from '../src/auth/auth-module.js';
import { loadConfig, type Environment } from '../src/config.js';
import { cryptoModule, inMemoryModule, TEST_SCRYPT, useCasesModule } from '../src/modules.js';
import { TOKENS } from '../src/tokens.js';
import { captureLogs } from './support/harness.js';

function mailerWith(env: Environment) {
  const loaded = loadConfig(env);
  if (!loaded.ok) throw new Error('config');
  const logger = captureLogs().logger;
  const container = buildContainer({ config: loaded.value, logger, modules: [cryptoModule({ scrypt: TEST_SCRYPT }), inMemoryModule(), useCasesModule(), authModule(loaded.value, logger)] });
  return container.get(TOKENS.Mailer);
}

describe('mailer selection', () => {
  it('writes to the outbox without SMTP_URL, and uses SMTP with it', () => {
    expect(mailerWith({})).toBeInstanceOf(OutboxMailer);
    expect(mailerWith({ SMTP_URL: 'smtp://mail.example.com:2525' })).toBeInstanceOf(SmtpMailer);
    const config = loadConfig({});
    expect(config.ok && smtpMailerFor(config.value, captureLogs().logger)).toBeNull();
  });
});
