// The builder's timings in headless Chromium on the release server (run by perf.config.ts; see
// there and BENCHMARKS.md for how). A measurement, not a test: it prints a table and asserts nothing
// about time (timings on a shared machine are noise; compare only figures from one run).
//
// (a) navigation → hydrated builder: `/icps/new` until `body[data-hydrated]`, read in the page
//     (performance.now() when the attribute appears, from the navigation's start), cold (a fresh
//     browser context: empty cache) and warm (the same context again, after one visit); with, for
//     the cold loads, the page's first paint and the browser's own floor in the same run: the first
//     paint of the same page's HTML with its scripts taken out (no bundle fetched, nothing
//     hydrated), so that what is ours (the bundle, hydration) reads apart from what the browser
//     needs to show that HTML at all on this machine;
// (b) 100 "Add filter" clicks in the page, from 0 and from 100 rows: each click, then until the row
//     is in the DOM, the tasks it queued without delay have run and the layout it needs is done;
//     "settled" also waits for the page to catch up (the preview lists every filter); "loop
//     without clicks" is the same loop's waits and layout alone, its floor.
//
// Several targets (PERF_TARGETS="name=url,…") are measured in turns, sample by sample, so that a
// busy moment on the machine does not favour one of them.
import { test, type Browser, type BrowserContext, type Page } from "@playwright/test";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";

const smoke = process.env.PERF_SMOKE === "1";
const navigationRuns = smoke ? 1 : Math.max(5, Number(process.env.PERF_RUNS ?? 7));
const rowRuns = smoke ? 1 : Math.max(1, Number(process.env.PERF_ROW_RUNS ?? 3));
const CLICKS = 100;

type Target = { name: string; url: string };
type Setup = Target & { storage: Awaited<ReturnType<BrowserContext["storageState"]>>; warm?: Page };
type Rows = { clicks: number; settled: number; harness: number };
type Samples = { cold: number[]; coldPaint: number[]; htmlPaint: number[]; warm: number[]; warmPkgBytes: number[]; from0: Rows[]; from100: Rows[] };

function targets(baseURL: string): Target[] {
  const listed = process.env.PERF_TARGETS;
  if (!listed) return [{ name: "release", url: baseURL }];
  return listed.split(",").map((entry) => {
    const [name, url] = entry.split("=");
    if (!name || !url) throw new Error(`PERF_TARGETS: "${entry}" is not name=url`);
    return { name: name.trim(), url: url.trim() };
  });
}

/** Records, in the page, when the app marks itself hydrated (ms since the navigation started). */
function recordHydration() {
  const observer = new MutationObserver(() => {
    if (document.body?.hasAttribute("data-hydrated")) {
      (window as unknown as { hydratedAt: number }).hydratedAt = performance.now();
      observer.disconnect();
    }
  });
  observer.observe(document, { attributes: true, subtree: true, attributeFilter: ["data-hydrated"] });
}

/** When the page first painted (ms since the navigation started), waiting for it if need be. */
async function firstPaint(page: Page): Promise<number> {
  const paint = await page.waitForFunction(
    () => performance.getEntriesByType("paint").find((entry) => entry.name === "first-paint")?.startTime,
    undefined,
    { timeout: 30_000 },
  );
  return (await paint.jsonValue()) as number;
}

/**
 * Serves, from memory on a port of its own, the builder's HTML as `setup`'s server sent it with its
 * scripts and the bundle's preloads taken out (the stylesheet still from that server): the page as
 * the browser must paint it before any code of ours runs. Answers its URL.
 */
async function htmlOnly(browser: Browser, setup: Setup): Promise<{ url: string; server: http.Server }> {
  const made = await browser.newContext({ baseURL: setup.url, storageState: setup.storage });
  const reply = await made.request.get("/icps/new");
  const html = (await reply.text())
    .replace(/<script\b[^>]*>[\s\S]*?<\/script>/g, "")
    .replace(/<link rel="(?:modulepreload|preload)"[^>]*>/g, "")
    .replace(/href="\//g, `href="${setup.url}/`);
  await made.close();
  if (!reply.ok() || html.includes("<script") || !html.includes("<form")) {
    throw new Error(`the builder's HTML could not be read from ${setup.url} (${reply.status()})`);
  }
  const server = http.createServer((_, response) => {
    response.writeHead(200, { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" });
    response.end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/icps/new`, server };
}

async function hydratedBuilder(page: Page): Promise<{ ms: number; pkgBytes: number; paint: number }> {
  await page.goto("/icps/new", { timeout: 30_000 });
  await page.waitForSelector("body[data-hydrated]", { state: "attached", timeout: 30_000 });
  const paint = await firstPaint(page);
  const timing = await page.evaluate(() => {
    // What /pkg cost over the network (0 for a file taken from the cache without asking).
    const pkgBytes = (performance.getEntriesByType("resource") as PerformanceResourceTiming[])
      .filter((entry) => new URL(entry.name).pathname.startsWith("/pkg/"))
      .reduce((sum, entry) => sum + entry.transferSize, 0);
    return { ms: (window as unknown as { hydratedAt: number }).hydratedAt, pkgBytes };
  });
  return { ...timing, paint };
}

async function signUp(browser: Browser, target: Target): Promise<Setup> {
  const context = await browser.newContext({ baseURL: target.url });
  const page = await context.newPage();
  await page.goto("/sign-up");
  await page.getByLabel("Name").fill("Perf Timing");
  await page.getByLabel("Email").fill(`perf-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@example.com`);
  await page.getByLabel("Password").fill("correct horse battery staple");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL(/\/icps$/);
  const storage = await context.storageState();
  await context.close();
  return { ...target, storage };
}

async function context(browser: Browser, setup: Setup): Promise<BrowserContext> {
  const made = await browser.newContext({ baseURL: setup.url, storageState: setup.storage });
  await made.addInitScript(recordHydration);
  return made;
}

/** `count` clicks on "Add filter" in the page, timed there; then until the page has caught up. */
async function addFilters(page: Page, count: number): Promise<Rows> {
  return page.evaluate(async (count) => {
    const button = Array.from(document.querySelectorAll("button")).find((b) => b.textContent?.trim() === "Add filter");
    const list = button?.closest("section")?.querySelector("ol.rows");
    const preview = document.querySelector("aside.preview pre.json");
    if (!button || !list || !preview) throw new Error("the builder's Add filter button, rows or preview is missing");
    const rows = () => list.querySelectorAll(":scope > li.row").length;
    const rowAdded = (wanted: number) =>
      new Promise<void>((resolve, reject) => {
        if (rows() >= wanted) return resolve();
        const observer = new MutationObserver(() => {
          if (rows() >= wanted) {
            observer.disconnect();
            clearTimeout(stuck);
            resolve();
          }
        });
        const stuck = setTimeout(() => {
          observer.disconnect();
          reject(new Error(`row ${wanted} never appeared (${rows()} rows)`));
        }, 10_000);
        observer.observe(list, { childList: true });
      });
    // A new task (no timer clamping), then a zero-delay timer: whatever the click queued without
    // delay (timers set before this one) has run by then.
    const nextTask = () =>
      new Promise<void>((resolve) => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve();
        channel.port2.postMessage(null);
      });
    const zeroDelayTimersRun = () => new Promise<void>((resolve) => setTimeout(resolve, 0));
    const inPreview = () => {
      try {
        return (JSON.parse(preview.textContent ?? "") as { customFilterCriteria: unknown[] }).customFilterCriteria.length;
      } catch {
        return -1;
      }
    };

    // The loop's own cost (the same waits and layout, no click), to read the figures against.
    const idle = performance.now();
    for (let i = 1; i <= count; i++) {
      await nextTask();
      await zeroDelayTimersRun();
      void (document.body as HTMLElement).offsetHeight;
    }
    const harness = performance.now() - idle;

    const first = rows();
    const start = performance.now();
    for (let i = 1; i <= count; i++) {
      button.click();
      await rowAdded(first + i);
      await nextTask();
      await zeroDelayTimersRun();
      void (document.body as HTMLElement).offsetHeight; // the style and layout the new row needs
    }
    const clicks = performance.now() - start;
    const deadline = performance.now() + 10_000;
    while (inPreview() !== first + count) {
      if (performance.now() > deadline) throw new Error(`the preview never listed ${first + count} filters`);
      await nextTask();
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    void (document.body as HTMLElement).offsetHeight;
    const settled = performance.now() - start;
    if (rows() !== first + count) throw new Error(`${rows()} rows, expected ${first + count}`);
    return { clicks, settled, harness };
  }, count);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

test("builder timings (a measurement: prints a table, asserts no timing)", async ({ browser, baseURL }) => {
  const setups: Setup[] = [];
  for (const target of targets(baseURL!)) setups.push(await signUp(browser, target));
  const samples = new Map<string, Samples>(
    setups.map((s) => [s.name, { cold: [], coldPaint: [], htmlPaint: [], warm: [], warmPkgBytes: [], from0: [], from100: [] }]),
  );

  const progress = (what: string) => console.log(`builder-timing: ${what}`);
  const floors = new Map<string, { url: string; server: http.Server }>();
  for (const setup of setups) floors.set(setup.name, await htmlOnly(browser, setup));
  // (a) cold: a fresh context (empty cache) each time.
  progress("navigation, cold cache");
  for (let run = 0; run < navigationRuns; run++) {
    for (const setup of setups) {
      const made = await context(browser, setup);
      const page = await made.newPage();
      const cold = await hydratedBuilder(page);
      samples.get(setup.name)!.cold.push(cold.ms);
      samples.get(setup.name)!.coldPaint.push(cold.paint);
      await made.close();
      // The floor, in turns with the real loads: the same HTML without scripts, cold too.
      const bare = await browser.newContext();
      const bareTab = await bare.newPage();
      await bareTab.goto(floors.get(setup.name)!.url, { timeout: 30_000 });
      samples.get(setup.name)!.htmlPaint.push(await firstPaint(bareTab));
      await bare.close();
    }
  }
  // (a) warm: one context per target, visited once first.
  progress("navigation, warm cache");
  const warmContexts: BrowserContext[] = [];
  for (const setup of setups) {
    const made = await context(browser, setup);
    warmContexts.push(made);
    setup.warm = await made.newPage();
    await hydratedBuilder(setup.warm);
  }
  for (let run = 0; run < navigationRuns; run++) {
    for (const setup of setups) {
      const { ms, pkgBytes } = await hydratedBuilder(setup.warm!);
      samples.get(setup.name)!.warm.push(ms);
      samples.get(setup.name)!.warmPkgBytes.push(pkgBytes);
    }
  }
  // (b) rows: a fresh builder each run, 0 → 100 → 200 filters.
  progress("adding filter rows");
  for (let run = 0; run < rowRuns; run++) {
    for (const setup of setups) {
      const page = setup.warm!;
      await hydratedBuilder(page);
      samples.get(setup.name)!.from0.push(await addFilters(page, CLICKS));
      samples.get(setup.name)!.from100.push(await addFilters(page, CLICKS));
    }
  }
  for (const made of warmContexts) await made.close();
  for (const { server } of floors.values()) server.close();

  const ms = (value: number) => value.toFixed(0);
  const header = [
    "target",
    `nav→hydrated cold ms (median of ${navigationRuns})`,
    "cold first paint",
    "its HTML alone: first paint",
    `warm ms`,
    "warm /pkg bytes",
    `100 clicks 0→100 ms (median of ${rowRuns})`,
    "settled",
    "100 clicks 100→200 ms",
    "settled",
    "loop without clicks ms",
  ];
  const lines = setups.map((setup) => {
    const s = samples.get(setup.name)!;
    return [
      setup.name,
      ms(median(s.cold)),
      ms(median(s.coldPaint)),
      ms(median(s.htmlPaint)),
      ms(median(s.warm)),
      ms(median(s.warmPkgBytes)),
      ms(median(s.from0.map((r) => r.clicks))),
      ms(median(s.from0.map((r) => r.settled))),
      ms(median(s.from100.map((r) => r.clicks))),
      ms(median(s.from100.map((r) => r.settled))),
      ms(median([...s.from0, ...s.from100].map((r) => r.harness))),
    ];
  });
  const table = [
    `| ${header.join(" | ")} |`,
    `| ${header.map((_, i) => (i === 0 ? "---" : "---:")).join(" | ")} |`,
    ...lines.map((line) => `| ${line.join(" | ")} |`),
  ].join("\n");
  const out = test.info().outputPath("builder-timing.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(Object.fromEntries(samples), null, 2));
  console.log(`\nBuilder timings${smoke ? " (smoke: one run each, not a measurement)" : ""}; raw samples: ${out}\n${table}\n`);
});
