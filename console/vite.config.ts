/**
 * The console's build (docs/console.md): Preact through Vite, into dist/console beside the
 * service's own build, served at /console. Assets get content-hashed names (cached as immutable).
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in the served folder: nothing the service ships is for debugging.
    sourcemap: false,
    reportCompressedSize: false,
  },
  clearScreen: false,
  // `npm run console:dev`: the pages from source with reload, the API from `npm start` or `npm run dev`.
  server: {
    proxy: Object.fromEntries(['/v1', '/api'].map((prefix) => [prefix, 'http://127.0.0.1:3000'])),
  },
});
