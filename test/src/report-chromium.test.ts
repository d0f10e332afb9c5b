/**
 * The report as a reader sees it: `report.html` of a fixture study opened in headless Chromium
 * (Debian's `chromium`, driven by playwright-core). It must load with no console error, no page
 * error and no request besides its own file, and every figure must have a non-zero size. On a
 * machine without Chromium the test is skipped, with the reason in its name.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { chromium } from 'playwright-core';
import { generateReport } from 'mflab';
// The app's test fixture (TypeScript source, not built): real simulations written with the
// store; run here against the built @mflab/core and @mflab/store.
import { makeFixtureStudy } from '../../apps/mflab/src/testing/fixture-study.js';

const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter((p): p is string => typeof p === 'string' && p !== '');
const executablePath = CANDIDATES.find((p) => fs.existsSync(p));
const skipReason = `no Chromium at ${CANDIDATES.join(', ')} (apt-get install chromium, or set CHROMIUM_PATH)`;
if (executablePath === undefined) console.log(`report-chromium: skipped: ${skipReason}`);

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true });
});

describe('report.html in headless Chromium', () => {
  it.skipIf(executablePath === undefined)(
    executablePath === undefined ? `opens with no errors and sized figures (skipped: ${skipReason})` : 'opens with no errors, no network, and every figure has a non-zero size',
    async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'mflab-report-chromium-'));
      temps.push(root);
      const study = makeFixtureStudy({ dir: path.join(root, 'study'), withBrokenRuns: true });
      const report = await generateReport(study.dir, { out: path.join(root, 'report') });
      expect(report.figures.length).toBeGreaterThanOrEqual(7);

      const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
      try {
        const page = await browser.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (msg) => {
          if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
        });
        page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
        page.on('request', (req) => requests.push(req.url()));

        const url = pathToFileURL(report.html).href;
        await page.goto(url, { waitUntil: 'load' });
        const boxes = await page.$$eval('figure.figure', (figures) =>
          figures.map((figure) => {
            const svg = figure.querySelector('svg');
            const box = svg?.getBoundingClientRect();
            return { name: figure.getAttribute('data-figure'), width: box?.width ?? 0, height: box?.height ?? 0 };
          }),
        );
        expect(boxes.map((b) => b.name)).toEqual(report.figures.map((f) => f.name));
        for (const b of boxes) {
          expect(b.width, String(b.name)).toBeGreaterThan(0);
          expect(b.height, String(b.name)).toBeGreaterThan(0);
        }
        // The tables made it too: the fits and the runs left out.
        expect(await page.locator('#fits + table tbody tr').count()).toBe(report.fits.length);
        expect(await page.locator('#excluded + table tbody tr').count()).toBe(2);

        // Each figure file on its own parses as an SVG document (an XML error would show a parsererror).
        for (const f of report.figures) {
          await page.goto(pathToFileURL(f.svg).href, { waitUntil: 'load' });
          const doc = { root: await page.$eval(':root', (el) => el.localName), errors: await page.$$eval('parsererror', (els) => els.length) };
          expect(doc, f.name).toEqual({ root: 'svg', errors: 0 });
        }

        expect(problems).toEqual([]);
        expect(requests.filter((r) => !r.startsWith('file://'))).toEqual([]);
        expect(requests[0]).toBe(url);
      } finally {
        await browser.close();
      }
    },
  );
});
