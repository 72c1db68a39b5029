// End-to-end test of OMCT's desk in the app, beside a defender's app: two
// real windows of the same binary (one chose "I document cases", the other
// "I receive cases at OMCT's desk"), each driven through its own
// tauri-driver and WebKitWebDriver, against one intake server on loopback.
//
// The defender submits an urgent case with a photo (GPS tags) and an audio
// recording; the desk pulls it, finds it at the top of its inbox, sees the
// photo, its GPS and a verification panel that holds, sees the device
// approved, and asks a question; the defender's app shows the question and
// answers; the desk gets the answer. Screenshots of every desk screen (one
// in Arabic), axe-core on each, then a plaintext scan of the desk's
// folder, the intake server's, both homes, temp folders and the web view's
// data and caches for the title, the narrative, a name, the photo's and the
// recording's bytes and both messages.
//
// Run by scripts/e2e.sh after run.mjs, inside the same Xvfb.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { openApp } from "./driver.mjs";
import { OUT, axe, bodyText, click, ctx, el, env, log, plaintextScan, sel, shot, type, waitFor } from "./common.mjs";

const APP = env("E2E_APP");
const DRIVER = env("E2E_DRIVER");
const PHOTO = env("E2E_PHOTO");
const AUDIO = env("E2E_AUDIO");
const desk = env("E2E_DESK");
const temoin = env("E2E_TEMOIN");
const deskPassFile = path.join(path.dirname(desk), "desk.pass");
const DESK_PASS = fs.readFileSync(deskPassFile, "utf8").trim();
const PASS = "tidal copper lanterns wander north";

const TITLE = "Arrest at the checkpoint DSK1-TITLE-MARKER";
const NARRATIVE = "He was held for two days DSK1-NARRATIVE-MARKER";
const NAME = "Amal DSK1-NAME-MARKER";
const QUESTION = "Please record consent for publication DSK1-QUESTION-MARKER";
const ANSWER = "Consent recorded this morning DSK1-ANSWER-MARKER";
// 48 bytes from the middle of each file: found anywhere, the file leaked.
const slice = (file) => {
  const b = fs.readFileSync(file);
  const at = Math.floor(b.length / 2);
  return b.subarray(at, at + 48);
};

// A new enrollment code for the defender's app, issued by the desk before
// its window holds the desk folder.
const code = execFileSync(temoin, ["--passphrase-file", deskPassFile, "desk", "enroll", "--dir", desk, "--label", "Field office Tunis"])
  .toString()
  .trim();

const fieldHome = path.join(OUT, "home-field2");
const deskHome = path.join(OUT, "home-desk");
const drivers = [];
function startDriver(port, extra, name) {
  const logFile = fs.openSync(path.join(OUT, `${name}.log`), "w");
  const p = spawn(DRIVER, ["--port", String(port), "--native-port", String(port + 1)], {
    env: { ...process.env, ...extra },
    stdio: ["ignore", logFile, logFile],
  });
  drivers.push(p);
  return p;
}
startDriver(4446, { TEMOIN_HOME: fieldHome, TEMOIN_DEMO_CODE: code }, "tauri-driver-field");
startDriver(4448, { TEMOIN_HOME: deskHome, TEMOIN_DESK_DIR: desk }, "tauri-driver-desk");

let f;
let d;
async function stop() {
  await f?.deleteSession().catch(() => {});
  await d?.deleteSession().catch(() => {});
  // SIGTERM: after SIGKILL a driver's WebKitWebDriver child lives on.
  for (const p of drivers) p.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 1000));
}

/** Opens a case from its inbox row (the row's own button or link). */
async function openRow(row) {
  const inner = await row.$("button, a");
  await ((await inner.isExisting()) ? inner : row).click();
}

/** The desk pulls until `fn` holds. */
async function pullUntil(what, fn, timeout = 150000) {
  await waitFor(
    d,
    what,
    async () => {
      await click(d, "desk-pull");
      await el(d, "desk-pull-report", 60000);
      return fn();
    },
    timeout,
  );
}

try {
  f = await openApp(APP, 4446);
  d = await openApp(APP, 4448);
  await f.setWindowSize(1366, 768).catch(() => {});
  await d.setWindowSize(1366, 768).catch(() => {});

  ctx.step = "the defender's window: documents cases";
  await click(f, "mode-field");
  await type(f, "create-passphrase", PASS);
  await type(f, "create-confirm", PASS);
  await waitFor(f, "create button enabled", async () => (await f.$(sel("create-submit"))).isEnabled());
  await click(f, "create-submit");
  await el(f, "new-case", 60000);

  ctx.step = "an urgent case with a testimony, a photo, a recording and a consent";
  await click(f, "new-case");
  await type(f, "case-title", TITLE);
  await click(f, "case-urgent");
  await type(f, "case-country", "TN");
  await click(f, "case-save");
  await click(f, "tab-testimonies");
  await click(f, "testimony-add");
  await type(f, "testimony-narrative", NARRATIVE);
  await click(f, "testimony-save");
  await el(f, "testimony-row");
  await click(f, "tab-evidence");
  await el(f, "evidence-import");
  await f.execute(() => {
    for (const x of document.querySelectorAll("details")) x.open = true;
  });
  for (const [file, n] of [[PHOTO, 1], [AUDIO, 2]]) {
    await type(f, "evidence-path", file);
    await click(f, "evidence-path-submit");
    await waitFor(f, `evidence item ${n}`, async () => (await f.$$(sel("evidence-thumb"))).length >= n, 60000);
  }
  await click(f, "tab-consents");
  await click(f, "consent-add");
  await type(f, "consent-name", NAME);
  await click(f, "consent-scope-share_with_omct");
  await click(f, "consent-save");
  await el(f, "consent-row");

  ctx.step = "the defender submits it";
  await click(f, "tab-handover");
  await click(f, "submit-case");
  await waitFor(f, "delivered", async () => {
    const s = await f.$(sel("outbox-status"));
    return (await s.isExisting()) && ["delivered", "acknowledged"].includes(await s.getAttribute("data-status"));
  }, 120000);
  log("the defender's app delivered an urgent case");

  ctx.step = "the desk's window: receives cases";
  await click(d, "mode-desk");
  await type(d, "desk-unlock-passphrase", "not the passphrase");
  await click(d, "desk-unlock-submit");
  await el(d, "desk-unlock-error", 60000);
  await shot(d, "desk-01-unlock");
  await axe(d, "desk-unlock");
  await type(d, "desk-unlock-passphrase", DESK_PASS);
  await click(d, "desk-unlock-submit");
  await el(d, "desk-pull", 60000);

  ctx.step = "the desk pulls: the urgent case on top";
  await pullUntil("the urgent case in the inbox", async () => {
    const rows = await d.$$(sel("desk-case-row"));
    return rows.length > 0 && (await rows[0].getText()).includes("DSK1-TITLE-MARKER");
  });
  const top = (await d.$$(sel("desk-case-row")))[0];
  if ((await top.getAttribute("data-urgent")) !== "true") throw new Error("the top row is not marked urgent");
  if ((await top.getAttribute("data-state")) !== "new") throw new Error("a new case is not in state new");
  await shot(d, "desk-02-inbox");
  await axe(d, "desk-inbox");

  ctx.step = "the desk reads the case: photo, GPS, verification";
  await openRow(top);
  await el(d, "desk-case", 30000);
  const title = await (await el(d, "desk-case-title")).getText();
  if (!title.includes("DSK1-TITLE-MARKER")) throw new Error(`the case's title: ${title}`);
  if (!(await bodyText(d)).includes("DSK1-NARRATIVE-MARKER")) throw new Error("the narrative is not shown");
  const panel = await el(d, "desk-verification");
  if ((await panel.getAttribute("data-verdict")) !== "verified") {
    throw new Error(`the verification panel: ${await panel.getText()}`);
  }
  await click(d, "desk-verify-again");
  const again = await el(d, "desk-verify-result", 60000);
  if ((await again.getAttribute("data-genuine")) !== "true") throw new Error(`verified again: ${await again.getText()}`);
  const gps = await el(d, "desk-evidence-gps");
  if (!/46[.,]20/.test(await gps.getText())) throw new Error(`GPS: ${await gps.getText()}`);
  await (await d.$$(sel("desk-evidence-show")))[0].click();
  const img = await el(d, "desk-evidence-image", 60000);
  await waitFor(d, "the photo decoded", async () => (await img.getProperty("naturalWidth")) === 800);
  // The recording plays from the desk's memory (temoin-media scheme,
  // WebKit's GStreamer): its length is read from the stream.
  await (await d.$$(sel("desk-evidence-play")))[0].click();
  const audio = await el(d, "desk-evidence-audio", 30000);
  await waitFor(
    d,
    "the recording loaded by the player",
    async () => (await audio.getProperty("readyState")) >= 1 && Math.abs((await audio.getProperty("duration")) - 2) < 0.1,
    30000,
  );
  await shot(d, "desk-03-case");
  await axe(d, "desk-case");
  log("the desk shows the urgent case: narrative, the photo at 800 px, GPS, the 2 s recording playing, verified twice");

  ctx.step = "the desk asks the defender a question";
  await (await el(d, "desk-message-kind")).selectByAttribute("value", "question");
  await type(d, "desk-message-text", QUESTION);
  await click(d, "desk-message-send");
  await waitFor(d, "the question listed", async () => (await d.$$(`${sel("desk-message-row")}[data-from="desk"]`)).length === 1);

  ctx.step = "the desk's devices: the defender's approved";
  await click(d, "desk-nav-devices");
  await waitFor(d, "two approved devices", async () => (await d.$$(`${sel("desk-device-row")}[data-status="approved"]`)).length === 2);
  const devicesText = await bodyText(d);
  if (!devicesText.includes("Field office Tunis")) throw new Error("the new device's label is not shown");
  await el(d, "desk-root-words");
  await type(d, "desk-enroll-label", "Field office Sfax");
  await click(d, "desk-enroll-submit");
  const qr = await el(d, "desk-code-qr", 30000);
  if ((await qr.$$("rect")).length < 100) throw new Error("the QR code has too few modules");
  await shot(d, "desk-04-devices");
  await axe(d, "desk-devices");

  ctx.step = "the desk's figures";
  await click(d, "desk-nav-figures");
  await el(d, "desk-stats-table", 30000);
  await el(d, "desk-stats-chart");
  await shot(d, "desk-05-figures");
  await axe(d, "desk-figures");

  ctx.step = "the defender's app shows the question and answers";
  await waitFor(
    f,
    "the desk's question in the defender's app",
    async () => {
      // The messages are fetched by the outbox's next round; the panel
      // reads them when shown.
      await click(f, "tab-evidence");
      await click(f, "tab-handover");
      const m = await f.$$(`${sel("message")}[data-from-desk="true"]`);
      return m.length === 1 && (await m[0].getText()).includes("DSK1-QUESTION-MARKER");
    },
    150000,
  );
  await type(f, "message-answer", ANSWER);
  await click(f, "message-send");
  await waitFor(f, "the answer listed", async () => (await f.$$(`${sel("message")}[data-from-desk="false"]`)).length === 1);
  await shot(f, "desk-06-defender-question");

  ctx.step = "the desk gets the answer";
  // The defender's app sends it at its outbox's next round.
  await waitFor(
    d,
    "the answer on the case",
    async () => {
      await click(d, "desk-nav-inbox");
      await click(d, "desk-pull");
      await el(d, "desk-pull-report", 60000);
      await openRow((await d.$$(sel("desk-case-row")))[0]);
      await el(d, "desk-case", 30000);
      const m = await d.$$(`${sel("desk-message-row")}[data-from="device"]`);
      return m.length === 1 && (await m[0].getText()).includes("DSK1-ANSWER-MARKER");
    },
    150000,
  );
  await shot(d, "desk-07-answer");

  ctx.step = "the desk in Arabic";
  await (await el(d, "language-select")).selectByAttribute("value", "ar");
  await waitFor(d, "right to left", async () => (await d.execute(() => document.documentElement.dir)) === "rtl");
  await shot(d, "desk-08-case-ar");
  await axe(d, "desk-case-ar");
  await click(d, "desk-back");
  await el(d, "desk-case-row");
  await shot(d, "desk-09-inbox-ar");
  await (await el(d, "language-select")).selectByAttribute("value", "en");

  ctx.step = "both lock; nothing in the clear on disk";
  await click(d, "lock-button");
  await el(d, "desk-unlock-passphrase");
  await click(f, "lock-button");
  await el(f, "unlock-passphrase");
  await stop();
  const { scanned, hits } = plaintextScan(
    [desk, path.join(path.dirname(desk), "intake"), fieldHome, deskHome, env("TMPDIR"), env("XDG_DATA_HOME"), env("XDG_CACHE_HOME"), env("XDG_CONFIG_HOME")],
    ["tauri-driver-field.log", "tauri-driver-desk.log", "tauri-driver.log"].map((n) => path.join(OUT, n)),
    {
      title: "DSK1-TITLE-MARKER",
      narrative: "DSK1-NARRATIVE-MARKER",
      name: "DSK1-NAME-MARKER",
      question: "DSK1-QUESTION-MARKER",
      answer: "DSK1-ANSWER-MARKER",
      photo: slice(PHOTO),
      recording: slice(AUDIO),
    },
  );
  if (hits.length) throw new Error(`plaintext found: ${hits.join("; ")}`);
  log(`plaintext scan: ${scanned.length} files (desk, intake, both homes, temp, web view data and caches, logs): no title, narrative, name, photo, recording or message`);
} catch (e) {
  await shot(d, "desk-failure").catch(() => {});
  await shot(f, "desk-failure-field").catch(() => {});
  console.error(`e2e (desk): FAILED at "${ctx.step}": ${e.message}`);
  await stop();
  process.exit(1);
}
log("desk PASSED");
