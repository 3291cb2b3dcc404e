import { defineConfig } from 'vite';

// The config lives in web/ but `npm run build` runs from the repository root: resolve from here.
const here = decodeURIComponent(new URL('.', import.meta.url).pathname);

export default defineConfig({
  root: here,
  base: '/',
  // Everything is served by `ballast ui` under a CSP without 'unsafe-inline': no inlined modules or CSS.
  build: {
    outDir: `${here}../dist/web`,
    emptyOutDir: true,
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
