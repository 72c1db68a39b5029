/// <reference types="vitest/config" />
// The interface is served from the app's own assets (ui/dist) inside the
// Tauri window: relative paths, no remote content, system fonts only.
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

export default defineConfig({
  base: './',
  plugins: [svelte(), svelteTesting()],
  clearScreen: false,
  server: { port: 5173, strictPort: true },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2021',
    // One small bundle; nothing is fetched at run time.
    assetsInlineLimit: 0,
    sourcemap: false,
    // The main chunk holds the four languages' words, so switching needs no
    // load; pdf.js, Chart.js and the desk's screens are chunks of their own,
    // loaded when used.
    chunkSizeWarningLimit: 600,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.ts'],
    setupFiles: ['src/test/setup.ts'],
    // Two cores on the build machines: keep the pool small.
    maxWorkers: 2,
    // A test that renders the desk loads its chunks first; on a loaded
    // machine that alone can pass the default five seconds.
    testTimeout: 30_000,
  },
});
