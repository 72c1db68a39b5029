// What the end-to-end scripts share: finding and driving elements by
// their data-testid, screenshots, axe-core, and the plaintext scan.
import fs from "node:fs";
import path from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set: run through scripts/e2e.sh`);
  return v;
};
export const OUT = env("E2E_OUT");
export const ART = path.join(OUT, "artifacts");

/** Where the script stands, for the failure message. */
export const ctx = { step: "start" };
export const log = (m) => console.log(`e2e: ${m}`);
export const sel = (id) => `[data-testid="${id}"]`;

export async function el(b, id, timeout = 15000) {
  const e = await b.$(sel(id));
  await e.waitForDisplayed({ timeout, timeoutMsg: `${id} did not appear (step: ${ctx.step})` });
  return e;
}

export async function click(b, id) {
  const e = await el(b, id);
  await e.waitForClickable({ timeout: 10000 });
  await e.click();
}

export async function type(b, id, text) {
  const e = await el(b, id);
  await e.clearValue();
  await e.setValue(text);
}

export async function shot(b, name) {
  await b.pause(300);
  await b.saveScreenshot(path.join(ART, `${name}.png`));
}

// axe-core in the page; fails on serious or critical violations.
export async function axe(b, screen) {
  const result = await b.executeAsync((src, done) => {
    if (!window.axe) {
      // Injected by WebDriver, outside the page's CSP.
      (0, eval)(src);
    }
    window.axe
      .run(document, { resultTypes: ["violations"] })
      .then((r) => done(r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(" ")).slice(0, 5) }))))
      .catch((e) => done([{ id: "axe-error", impact: "critical", nodes: [String(e)] }]));
  }, AXE);
  fs.writeFileSync(path.join(ART, `axe-${screen}.json`), JSON.stringify(result, null, 2));
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  if (bad.length) {
    throw new Error(`accessibility (${screen}): ${JSON.stringify(bad, null, 1)}`);
  }
  log(`axe ${screen}: no serious or critical violations (${result.length} minor)`);
}

export async function bodyText(b) {
  return b.execute(() => document.body.innerText);
}

export async function waitFor(b, what, fn, timeout = 20000) {
  await b.waitUntil(fn, { timeout, interval: 250, timeoutMsg: `${what} (step: ${ctx.step})` });
}

/**
 * Every file under `dirs` (and the single `files`) searched for each
 * marker (a string, in UTF-8 and UTF-16, or raw bytes). Returns the files
 * scanned and the hits as "file: marker name".
 */
export function plaintextScan(dirs, files, markers) {
  const scanned = [];
  const hits = [];
  const needles = [];
  for (const [name, m] of Object.entries(markers)) {
    if (typeof m === "string") {
      needles.push([name, Buffer.from(m, "utf8")], [`${name} (UTF-16)`, Buffer.from(m, "utf16le")]);
    } else {
      needles.push([name, m]);
    }
  }
  const check = (p) => {
    scanned.push(p);
    const bytes = fs.readFileSync(p);
    for (const [name, n] of needles) if (bytes.includes(n)) hits.push(`${p}: ${name}`);
  };
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) check(p);
    }
  };
  for (const d of dirs) walk(d);
  for (const f of files) if (fs.existsSync(f)) check(f);
  return { scanned, hits };
}
