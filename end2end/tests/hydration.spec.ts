// Every main page hydrates on the build the suite runs on (the release build, as users get it): a
// WASM bundle that fails to start leaves server-rendered pages that look right but do nothing.
// The fixture fails the test on any page error or console error as well.
import { test, expect, signUp, createIcpViaApi, minimalBody, uniqueTag, waitForHydration } from "../support/app";
import type { Page } from "@playwright/test";

async function expectHydrated(page: Page, url: string, status: number, heading: string | RegExp) {
  const response = await page.goto(url);
  expect(response?.status(), `status of ${url}`).toBe(status);
  await expect(page.getByRole("heading", { level: 1 })).toContainText(heading);
  await waitForHydration(page);
}

test("the bundle is served compressed, revalidated, so that browsers can compile it while it downloads", async ({ request }) => {
  const wasm = await request.get("/pkg/icp-builder.wasm", { headers: { "accept-encoding": "br, gzip" } });
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()["content-type"]).toBe("application/wasm");
  expect(wasm.headers()["content-encoding"]).toBe("br");
  expect(wasm.headers()["cache-control"]).toBe("no-cache");
  const js = await request.get("/pkg/icp-builder.js", { headers: { "accept-encoding": "gzip" } });
  expect(js.status()).toBe(200);
  expect(js.headers()["content-type"]).toMatch(/^(text|application)\/javascript/);
  expect(js.headers()["content-encoding"]).toBe("gzip");
  // Unchanged since the browser's copy: a 304 with no body.
  const again = await request.get("/pkg/icp-builder.js", {
    headers: { "if-modified-since": js.headers()["last-modified"] },
  });
  expect(again.status()).toBe(304);
});

test("signed-out pages hydrate", async ({ page }) => {
  await expectHydrated(page, "/sign-in", 200, "Sign in");
  await expectHydrated(page, "/sign-up", 200, "Create your account");
});

test("every signed-in page hydrates, the not-found page too", async ({ page, baseURL }) => {
  await signUp(page);
  const icp = await createIcpViaApi(page, minimalBody(`Hydrates ${uniqueTag()}`), baseURL!);
  await expectHydrated(page, "/icps", 200, "Your ICPs");
  await expectHydrated(page, "/icps/new", 200, "New ICP");
  await expectHydrated(page, `/icps/${icp.id}`, 200, icp.name);
  await expectHydrated(page, `/icps/${icp.id}/edit`, 200, "Edit ICP");
  await expectHydrated(page, `/icps/new?from=${icp.id}`, 200, "New ICP");
  await expectHydrated(page, "/settings", 200, "Settings");
  await expectHydrated(page, "/no-such-page", 404, /not found/i);
});
