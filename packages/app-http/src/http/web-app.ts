import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import type { Router } from 'express';

/** Where `npm run build -w @palette/app-web` writes the dashboard (also run by the root postinstall). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../../app-web/dist/', import.meta.url));

/** Paths the dashboard never answers, even for a browser navigation: they belong to the API and to operations. */
const RESERVED = /^\/(?:api|webhooks|healthz|readyz|metrics)(?:\/|$)/;

/**
 * Serves the built dashboard: its files as they are, and index.html for any other browser
 * navigation so client-side routes (the reset and invitation links in mails) load the app.
 * Only requests that ask for HTML get the fallback: API clients and probes still see the
 * problem+json 404 for unknown paths. Without a build, everything falls through to that 404.
 */
export function webApp(root: string = DEFAULT_WEB_ROOT): Router {
  const router = express.Router();
  const indexFile = path.join(root, 'index.html');
  // Vite names assets by content hash, so they may be cached for good; index.html never is.
  const assets = express.static(path.join(root, 'assets'), { index: false, immutable: true, maxAge: '365d', fallthrough: true });
  const files = express.static(root, { index: false, maxAge: '1h', fallthrough: true });

  router.use((req, _res, next) => {
    // `next('router')` leaves this router: the API and probes are answered elsewhere.
    if (RESERVED.test(req.path) || (req.method !== 'GET' && req.method !== 'HEAD')) return next('router');
    next();
  });
  router.use('/assets', assets);
  router.use(files);
  router.use((req, res, next) => {
    const wantsHtml = (req.get('Accept') ?? '').includes('text/html');
    if (!wantsHtml || req.path.startsWith('/assets/') || !existsSync(indexFile)) return next();
    res.setHeader('Cache-Control', 'no-cache');
    res.sendFile(indexFile, (error) => {
      if (error) next(error);
    });
  });
  return router;
}
