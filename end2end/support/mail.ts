// What the server mailed: the SMTP sink the run starts (playwright.config.ts, tests/smtp_sink/sink.py)
// writes every message it receives as one JSON line to target/e2e/mail.jsonl.
import { expect } from "@playwright/test";
import * as fs from "node:fs";
import * as path from "node:path";

/** The sink's output (the same path as playwright.config.ts). */
const mailLog = path.join(__dirname, "..", "..", "target", "e2e", "mail.jsonl");

/** A message as the sink records it: envelope, subject and plain-text body. */
export type Mail = { from: string; to: string[]; header_from: string; subject: string; content_type: string; body: string };

/** Every message received so far, oldest first (the sink's other lines skipped). */
function received(): Mail[] {
  if (!fs.existsSync(mailLog)) return [];
  return fs
    .readFileSync(mailLog, "utf8")
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as Mail];
      } catch {
        return []; // a line still being written
      }
    });
}

/** The messages mailed to `address` so far. */
export function mailsTo(address: string): Mail[] {
  return received().filter((mail) => mail.to.some((to) => to.toLowerCase() === address.toLowerCase()));
}

/** Waits for the `count`th message to `address` and answers it. */
export async function mailTo(address: string, count = 1): Promise<Mail> {
  await expect
    .poll(() => mailsTo(address).length, { message: `mail to ${address} (in ${mailLog})`, timeout: 20_000 })
    .toBeGreaterThanOrEqual(count);
  return mailsTo(address)[count - 1];
}

/** The one link in `mail`'s body whose path starts with `pathPrefix`, as an absolute URL. */
export function linkIn(mail: Mail, pathPrefix: string): URL {
  const links = (mail.body.match(/https?:\/\/\S+/g) ?? [])
    .map((text) => new URL(text))
    .filter((url) => url.pathname.startsWith(pathPrefix));
  expect(links.map(String), `links to ${pathPrefix}… in:\n${mail.body}`).toHaveLength(1);
  return links[0];
}
