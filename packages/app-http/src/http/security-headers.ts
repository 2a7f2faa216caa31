import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's defaults, with the two headers that assume TLS sent only on a request that really
 * arrived over it (directly, or per X-Forwarded-Proto from a trusted proxy). A self-hosted box is
 * often reached over plain http on a LAN: HSTS would pin browsers to an https that does not exist
 * for a year, and CSP's upgrade-insecure-requests would send every asset request there.
 */
export function securityHeaders(): RequestHandler {
  const overTls = helmet({ strictTransportSecurity: { maxAge: 365 * 24 * 60 * 60, includeSubDomains: true } });
  const plain = helmet({
    strictTransportSecurity: false,
    contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } },
  });
  return (req, res, next) => (req.secure ? overTls : plain)(req, res, next);
}
