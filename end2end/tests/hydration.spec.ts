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

test("the bundle is served compressed under hashed names, cached immutably; pages are not cached", async ({ request }) => {
  const page = await request.get("/sign-in", { headers: { "accept-encoding": "gzip, br" } });
  expect(page.status()).toBe(200);
  expect(page.headers()["cache-control"] ?? "").not.toMatch(/max-age|immutable/);
  // The names the page links to carry the content's hash (cargo-leptos hash-files).
  const html = await page.text();
  const linked = (extension: string) => {
    const found = html.match(new RegExp(`/pkg/icp-builder\\.[A-Za-z0-9_-]{22}\\.${extension}`));
    expect(found, `a hashed .${extension} in the page`).not.toBeNull();
    return found![0];
  };
  const immutable = "public, max-age=31536000, immutable";

  const wasm = await request.get(linked("wasm"), { headers: { "accept-encoding": "br, gzip" } });
  expect(wasm.status()).toBe(200);
  expect(wasm.headers()["content-type"]).toBe("application/wasm");
  expect(wasm.headers()["content-encoding"]).toBe("br");
  expect(wasm.headers()["cache-control"]).toBe(immutable);
  const js = await request.get(linked("js"), { headers: { "accept-encoding": "gzip" } });
  expect(js.status()).toBe(200);
  expect(js.headers()["content-type"]).toMatch(/^(text|application)\/javascript/);
  expect(js.headers()["content-encoding"]).toBe("gzip");
  expect(js.headers()["cache-control"]).toBe(immutable);
  const css = await request.get(linked("css"), { headers: { "accept-encoding": "br" } });
  expect(css.status()).toBe(200);
  expect(css.headers()["content-encoding"]).toBe("br");
  expect(css.headers()["cache-control"]).toBe(immutable);
  // A browser that asks anyway gets a 304 with no body.
  const again = await request.get(linked("js"), {
    headers: { "if-modified-since": js.headers()["last-modified"] },
  });
  expect(again.status()).toBe(304);
  // The old fixed names are gone, so no page can load a stale bundle.
  expect((await request.get("/pkg/icp-builder.wasm")).status()).toBe(404);
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
  await expectHydrated(page, `/icps/${icp.id}/edit`, 200, /^Edit “/);
  await expectHydrated(page, `/icps/new?from=${icp.id}`, 200, "New ICP");
  await expectHydrated(page, "/settings", 200, "Settings");
  await expectHydrated(page, "/no-such-page", 404, /not found/i);
});
