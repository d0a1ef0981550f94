import { defineConfig } from 'vite';

// Built into dist/, which KisFeed.Web embeds in its assembly (no CDN at run time).
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    sourcemap: false,
    chunkSizeWarningLimit: 1000,
  },
});
