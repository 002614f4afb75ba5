/**
 * Vite builds the app under /app/ into web/dist (served by `npm start` and, deployed, by CloudFront).
 * `npm run web:dev` runs the dev server with hot reload on http://localhost:5173/app/ (WEB_DEV_PORT)
 * against the local API and sign-in that `npm start` runs (PORT, default 3000): /app/config.json is
 * the API's own, with the dev server's address as the app's, and the API's paths are proxied so the
 * page needs no CORS entry.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const devPort = Number(process.env.WEB_DEV_PORT ?? 5173);
const api = `http://localhost:${process.env.PORT ?? 3000}`;

/** The API's first path segments, from the spec (`/tasks`, `/users`, `/health`). */
function apiPrefixes(): string[] {
  const spec = JSON.parse(readFileSync(new URL('../generated/openapi.json', import.meta.url), 'utf8')) as {
    paths: Record<string, unknown>;
  };
  return [...new Set(Object.keys(spec.paths).map((path) => `/${path.split('/')[1]}`))];
}

/** Serves /app/config.json on the dev server: the local API's, pointing the sign-in back here. */
function devConfig(): Plugin {
  return {
    name: 'taskboard-dev-config',
    configureServer(server) {
      server.middlewares.use('/app/config.json', async (_request, response) => {
        try {
          const upstream = await fetch(`${api}/app/config.json`);
          if (!upstream.ok) throw new Error(`${api}/app/config.json answered ${upstream.status}`);
          const self = `http://localhost:${devPort}`;
          const config = {
            ...(await upstream.json()),
            apiUrl: self,
            redirectUri: `${self}/app/`,
            logoutUri: `${self}/app/`,
          };
          response.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' });
          response.end(JSON.stringify(config));
        } catch (error) {
          response.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8' });
          response.end(`The local API is not reachable (${(error as Error).message}): run npm start first.\n`);
        }
      });
    },
  };
}

export default defineConfig(({ command }) => ({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [react(), devConfig()],
  server: {
    port: devPort,
    strictPort: true,
    proxy: command === 'serve' ? Object.fromEntries(apiPrefixes().map((prefix) => [prefix, api])) : {},
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
}));
