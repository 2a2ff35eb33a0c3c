import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is built into web/dist and served by the service itself (src/http/plugins/consoleAssets.ts).
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // The terminal (xterm) is its own chunk, loaded when someone opens it.
    chunkSizeWarningLimit: 400,
  },
  server: {
    // `npx vite web` during development talks to a running service.
    proxy: { '/v1': 'http://127.0.0.1:3000', '/auth': 'http://127.0.0.1:3000', '/admin/queues': 'http://127.0.0.1:3000' },
  },
});
