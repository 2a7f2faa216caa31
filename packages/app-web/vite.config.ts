import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// `npm run build -w @palette/app-web` writes dist/, which app-http serves at `/`.
// `npm run dev:web` serves it with hot reload, proxying /api to a service on :3000.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  // The charts chunk (recharts, ~450 kB, ~130 kB gzipped) loads only on the reports page.
  build: {
    outDir: 'dist', emptyOutDir: true, sourcemap: false, reportCompressedSize: false, chunkSizeWarningLimit: 600,
    // The domain is pure (no I/O, no top-level effects), so only the few constants the dashboard
    // imports (roles, permissions, order transitions) need to ship, not its whole index.
    rolldownOptions: { treeshake: { moduleSideEffects: (id: string) => !/[\\/]packages[\\/]domain[\\/]/.test(id) } },
  },
  server: { proxy: { '/api': 'http://localhost:3000' } },
});
