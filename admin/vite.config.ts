import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// Served under /admin/ by the server (demo mode and production static files), so every asset URL
// carries that base. In `vite dev` the API is proxied to the local server on port 3000.
export default defineConfig({
  base: '/admin/',
  plugins: [react()],
  server: {
    port: 5173,
    proxy: { '/api': 'http://127.0.0.1:3000' },
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // dist/.vite/manifest.json: the chunk graph scripts/web-budget.mjs follows to weigh the sign-in screen.
    manifest: true,
    chunkSizeWarningLimit: 1200,
  },
});
