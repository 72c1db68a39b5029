// End-to-end test of the Témoin app: the real binary in a real window
// (Xvfb), driven through tauri-driver and WebKitWebDriver, against a real
// intake server on loopback (scripts/e2e.sh sets everything up).
//
// The defender's path: create a vault -> new case with a testimony ->
// import a photo carrying GPS tags -> see its metadata -> make a redacted
// copy -> record consent -> lock -> wrong passphrase (clear error) ->
// unlock -> everything is still there -> submit -> delivered with a
// receipt, which OMCT's desk then opens and verifies. On the way: an
// axe-core check of each main screen (no serious or critical violation),
// a stored-XSS check, screenshots (one in Arabic).
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { invoke, openApp } from "./driver.mjs";
import { ART, OUT, axe, bodyText, click, ctx, el, env, log, plaintextScan, sel, shot, type, waitFor } from "./common.mjs";

const PHOTO = env("E2E_PHOTO");
const temoin = env("E2E_TEMOIN");
const desk = env("E2E_DESK");
// The demonstration desk's passphrase file, beside it (scripts/demo-omct.sh).
const deskPass = path.join(path.dirname(desk), "desk.pass");
const deskCmd = (...args) => execFileSync(temoin, ["--passphrase-file", deskPass, "desk", ...args]);
const PASS = "orbit lantern quietly folds seven maps";

// Hostile text: rendered as text, it is harmless; run, it sets a flag.
const MARKER = "QZX7-PLAINTEXT-MARKER";
const XSS_TITLE = `Detention <img src=x onerror="window.__xss='img'"> at post 4 ${MARKER} <script>window.__xss='script'</script>`;
const XSS_NARRATIVE = `They said <b>nothing</b> ${MARKER}. <svg onload="window.__xss='svg'"></svg><a href="javascript:window.__xss='link'">x</a>`;
const DURESS = "velvet harbor ninety lanterns drift";
const RECOVERY = "copper meadow seventeen quiet ferries";

/** What the X clipboard holds now ("" if nothing). */
function clipboard() {
  try {
    return execFileSync("xclip", ["-o", "-selection", "clipboard"], { stdio: ["ignore", "pipe", "ignore"], timeout: 5000 }).toString();
  } catch {
    return "";
  }
}

/** Selects the first case row's text and copies it with Ctrl+C, as a person would. */
async function copyRow(b) {
  await b.execute((s) => {
    const row = document.querySelector(s);
    const range = document.createRange();
    range.selectNodeContents(row);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
  }, sel("case-row"));
  await b.keys(["Control", "c"]);
}

const CLIPBOARD_SECONDS = Number(env("TEMOIN_E2E_CLIPBOARD_SECONDS"));
const b = await openApp(env("E2E_APP"));
try {
  await b.setWindowSize(1366, 768).catch(() => {});

  ctx.step = "first run: what this installation is for";
  await el(b, "mode-field", 30000);
  await axe(b, "mode-choice");
  await shot(b, "00-mode-choice");
  await click(b, "mode-field");

  ctx.step = "create the vault";
  await el(b, "create-passphrase", 30000);
  await axe(b, "first-run");
  await shot(b, "01-first-run");
  await type(b, "create-passphrase", PASS);
  await type(b, "create-confirm", PASS);
  await waitFor(b, "create button enabled", async () => (await b.$(sel("create-submit"))).isEnabled());
  await click(b, "create-submit");
  await el(b, "new-case", 60000);
  log("vault created");

  ctx.step = "new case with a hostile title";
  await click(b, "new-case");
  await type(b, "case-title", XSS_TITLE);
  await click(b, "case-save");
  await el(b, "tab-testimonies");

  ctx.step = "testimony";
  await click(b, "tab-testimonies");
  await click(b, "testimony-add");
  await type(b, "testimony-narrative", XSS_NARRATIVE);
  await click(b, "testimony-save");
  await el(b, "testimony-row");

  ctx.step = "import a photo with GPS tags";
  await click(b, "tab-evidence");
  await el(b, "evidence-import");
  // The native file dialog cannot be driven; the path field beside it
  // calls the same command.
  const path1 = await b.$(sel("evidence-path"));
  if (!(await path1.isDisplayed())) {
    await b.execute(() => {
      for (const d of document.querySelectorAll("details")) d.open = true;
    });
  }
  await type(b, "evidence-path", PHOTO);
  await click(b, "evidence-path-submit");
  await waitFor(b, "the photo's thumbnail", async () => (await b.$$(sel("evidence-thumb"))).length >= 1, 60000);

  ctx.step = "see its metadata";
  await (await b.$$(sel("evidence-thumb")))[0].click();
  const meta = await el(b, "evidence-meta");
  await waitFor(b, "GPS in the metadata panel", async () => /46[.,]20/.test(await meta.getText()));
  const metaText = await meta.getText();
  if (!/6[.,]14/.test(metaText)) throw new Error(`longitude missing from the metadata panel: ${metaText}`);
  if (!metaText.includes("E2ECam")) throw new Error(`camera make missing from the metadata panel: ${metaText}`);
  await shot(b, "02-evidence-metadata");
  await axe(b, "evidence");

  ctx.step = "redacted copy";
  await click(b, "redact-add-region");
  await el(b, "redact-region");
  await click(b, "redact-create");
  await waitFor(b, "a second item (the redacted copy)", async () => (await b.$$(sel("evidence-thumb"))).length >= 2, 60000);
  log("redacted copy made");

  ctx.step = "consent";
  await click(b, "tab-consents");
  await click(b, "consent-add");
  await type(b, "consent-name", "The witness");
  await click(b, "consent-scope-share_with_omct");
  await click(b, "consent-save");
  await el(b, "consent-row");
  await shot(b, "03-case-consent");
  await axe(b, "case-editor");

  ctx.step = "the case's custody log verifies";
  await click(b, "tab-custody");
  await el(b, "custody-verified");
  // The case, the testimony, the photo, its redacted copy and the consent
  // each made at least one entry.
  const rows = await b.execute(() => document.querySelectorAll("tbody tr").length);
  if (rows < 5) throw new Error(`the custody log shows ${rows} entries, expected at least 5`);
  await shot(b, "03b-custody");
  await axe(b, "custody");

  ctx.step = "stored XSS";
  await click(b, "cases-nav");
  await el(b, "case-row");
  const rowText = await (await b.$(sel("case-row"))).getText();
  if (!rowText.includes("<img src=x")) throw new Error(`the title is not shown as text: ${rowText}`);
  const xss = await b.execute(() => ({
    flag: window.__xss ?? null,
    imgs: document.querySelectorAll('img[src="x"]').length,
    scripts: [...document.querySelectorAll("script")].filter((s) => s.textContent.includes("__xss")).length,
    svgs: document.querySelectorAll("svg[onload]").length,
  }));
  if (xss.flag || xss.imgs || xss.scripts || xss.svgs) throw new Error(`hostile text was interpreted: ${JSON.stringify(xss)}`);
  await axe(b, "cases");
  await shot(b, "04-cases");
  log("hostile title and narrative rendered as text; nothing ran");

  ctx.step = "text copied from the app leaves the clipboard at lock";
  await copyRow(b);
  await waitFor(b, "the copied title on the clipboard", async () => clipboard().includes("post 4"), 5000);
  // A moment, as a person takes, then the lock: well before the delay.
  await b.pause(1000);
  await click(b, "lock-button");
  await el(b, "unlock-passphrase");
  // Within 1.5 s: well before the delay (5 s after the copy) runs out.
  await waitFor(b, "the clipboard emptied at lock", async () => !clipboard().includes("post 4"), 1500);
  log("copied text was on the clipboard, and gone at lock");

  ctx.step = "lock";
  const lockedText = await bodyText(b);
  const lockedHtml = await b.execute(() => document.documentElement.outerHTML);
  for (const secret of ["post 4", "The witness", "E2ECam", "46.20"]) {
    if (lockedText.includes(secret) || lockedHtml.includes(secret)) {
      throw new Error(`after lock, the page still holds vault content (${secret})`);
    }
  }
  await axe(b, "unlock");
  await shot(b, "05-locked");

  ctx.step = "wrong passphrase";
  await type(b, "unlock-passphrase", "not the passphrase at all");
  await click(b, "unlock-submit");
  const err = await el(b, "unlock-error", 30000);
  const errText = await err.getText();
  if (!errText.trim()) throw new Error("the wrong-passphrase error is empty");
  log(`wrong passphrase refused: "${errText.split("\n")[0]}"`);

  ctx.step = "unlock";
  await type(b, "unlock-passphrase", PASS);
  await click(b, "unlock-submit");
  await el(b, "case-row", 60000);

  ctx.step = "text copied from the app leaves the clipboard after a while, unless replaced";
  await copyRow(b);
  await waitFor(b, "the copied title on the clipboard", async () => clipboard().includes("post 4"), 5000);
  await waitFor(b, "the clipboard emptied after the delay", async () => clipboard() === "", 15000);
  await copyRow(b);
  await waitFor(b, "the copied title on the clipboard", async () => clipboard().includes("post 4"), 5000);
  // Something else copied meanwhile, by another program (a moment later,
  // as a person would: the app looks at the clipboard 0.2 s after a
  // copy): left alone.
  await b.pause(1000);
  execFileSync("xclip", ["-selection", "clipboard", "-i"], { input: "a shopping list", stdio: ["pipe", "ignore", "ignore"] });
  await b.pause((CLIPBOARD_SECONDS + 2) * 1000);
  if (clipboard() !== "a shopping list") throw new Error(`the app cleared what another program copied: "${clipboard()}"`);
  log(`copied text gone after ${CLIPBOARD_SECONDS} s; another program's copy left alone`);

  ctx.step = "everything is still there";
  await click(b, "case-row");
  await click(b, "tab-testimonies");
  await el(b, "testimony-row");
  await click(b, "tab-evidence");
  await waitFor(b, "both evidence items after unlock", async () => (await b.$$(sel("evidence-thumb"))).length === 2);
  await click(b, "tab-consents");
  await el(b, "consent-row");
  log("after unlock: testimony, photo, redacted copy and consent are there");

  ctx.step = "mark the case urgent, with a reason";
  await click(b, "tab-basics");
  await click(b, "case-urgent");
  await (await el(b, "case-urgent-reason")).selectByAttribute("value", "incommunicado_detention");
  await click(b, "case-save");
  await waitFor(b, "the urgent mark saved", async () => (await bodyText(b)).includes("Saved"));

  ctx.step = "a detention and an assistance request";
  await click(b, "tab-people");
  await click(b, "person-add");
  await type(b, "person-name", "Karim Mansour");
  await click(b, "person-save");
  await el(b, "person-row");
  await click(b, "tab-detentions");
  await click(b, "detention-add");
  await (await el(b, "detention-person")).selectByVisibleText("Karim Mansour");
  await (await el(b, "detention-status")).selectByAttribute("value", "incommunicado");
  await type(b, "detention-arrested", "2026-11-23");
  await type(b, "detention-authority", "State Security directorate");
  await (await el(b, "detention-lawyer")).selectByAttribute("value", "denied");
  await type(b, "detention-health", "Diabetic; no insulin since the arrest.");
  await click(b, "detention-save");
  await el(b, "detention-row");
  await shot(b, "05b-detention");
  await axe(b, "detention");
  await click(b, "tab-assistance");
  await click(b, "assistance-add");
  await (await el(b, "assistance-beneficiary")).selectByVisibleText("Karim Mansour");
  await click(b, "assistance-need-medical");
  await click(b, "assistance-need-legal");
  await type(b, "assistance-amount", "1200");
  await type(b, "assistance-currency", "EUR");
  await click(b, "assistance-save");
  await el(b, "assistance-row");
  log("urgent mark, detention and assistance request recorded");

  ctx.step = "consent to publication and to litigation";
  await click(b, "tab-consents");
  await click(b, "consent-add");
  await type(b, "consent-name", "Karim Mansour");
  await click(b, "consent-scope-publication");
  await click(b, "consent-scope-litigation");
  await click(b, "consent-save");
  await waitFor(b, "two consents", async () => (await b.$$(sel("consent-row"))).length === 2);

  ctx.step = "draft the appeal and, in Arabic, the CAT complaint";
  const docs = path.join(OUT, "documents");
  fs.mkdirSync(docs, { recursive: true });
  await click(b, "tab-handover");
  await b.execute(() => {
    for (const d of document.querySelectorAll("details")) d.open = true;
  });
  await click(b, "dossier-kind-appeal");
  await type(b, "dossier-path", docs);
  await click(b, "dossier-path-submit");
  await (await el(b, "dossier-result", 60000)).scrollIntoView({ block: "center" });
  await shot(b, "05c-appeal-drafted");
  await axe(b, "documents");
  await click(b, "dossier-kind-cat");
  await (await el(b, "dossier-language")).selectByAttribute("value", "ar");
  await click(b, "dossier-path-submit");
  await waitFor(b, "the complaint drafted", async () => (await (await el(b, "dossier-result")).getText()).includes("annexes-"), 60000);
  const drafted = fs.readdirSync(docs).filter((f) => f.endsWith(".docx"));
  if (drafted.length !== 2) throw new Error(`expected two documents, found ${drafted}`);
  // Read back by a reader we did not write (Debian's python3-docx).
  const texts = drafted.map((f) =>
    execFileSync("/usr/bin/python3", ["-c", "import sys, docx; print('\\n'.join(p.text for p in docx.Document(sys.argv[1]).paragraphs))", path.join(docs, f)]).toString(),
  );
  const appeal = texts.find((x) => x.includes("Urgent appeal"));
  const cat = texts.find((x) => x.includes("لجنة مناهضة التعذيب"));
  if (!appeal || !/Torture|Action requested/.test(appeal) || !appeal.includes("disclose at once where Karim Mansour is held")) {
    throw new Error(`the appeal is not as drafted: ${texts.join("\n---\n")}`);
  }
  if (!cat || !cat.includes("استنفاد سبل الانتصاف المحلية")) throw new Error(`the Arabic complaint is not as drafted: ${texts.join("\n---\n")}`);
  // The same two as PDF, read by poppler's pdftotext: the Arabic shaped
  // and extractable, the fonts embedded.
  const pdfs = fs.readdirSync(docs).filter((f) => f.endsWith(".pdf"));
  if (pdfs.length !== 2) throw new Error(`expected two PDFs, found ${pdfs}`);
  const pdfTexts = pdfs.map((f) => execFileSync("pdftotext", ["-enc", "UTF-8", path.join(docs, f), "-"]).toString().split(/\s+/).join(" "));
  // (Words without the lam-alef ligature: poppler gives its two letters in
  // reverse order, though the PDF maps the ligature to lam then alef.)
  if (!pdfTexts.some((x) => x.includes("Urgent appeal")) || !pdfTexts.some((x) => x.includes("استنفاد سبل") && x.includes("فهرس المرفقات"))) {
    throw new Error(`the PDFs do not read as drafted: ${pdfTexts.join("\n---\n")}`);
  }
  // Its annexes: the photo and its copy's original, as numbered files whose
  // SHA-256 the index gives.
  const annexDir = fs.readdirSync(docs).find((f) => f.startsWith("temoin-annexes-"));
  const annexes = fs.readdirSync(path.join(docs, annexDir));
  if (!annexes.length || !annexes.every((f) => /^annex-\d\d\.\w+$/.test(f))) throw new Error(`annexes: ${annexes}`);
  await (await el(b, "dossier-result")).scrollIntoView({ block: "center" });
  await shot(b, "05d-complaint-drafted-arabic");
  log(`drafted the appeal and the Arabic CAT complaint (${annexes.length} annex(es)); python-docx reads both DOCX, pdftotext both PDFs`);

  ctx.step = "submit to OMCT";
  await click(b, "tab-handover");
  // The page may be scrolled down (to the documents): bring the button out
  // from under the header.
  await (await el(b, "submit-case")).scrollIntoView({ block: "center" });
  await click(b, "submit-case");
  await waitFor(b, "delivered", async () => {
    const s = await b.$(sel("outbox-status"));
    return (await s.isExisting()) && (await s.getAttribute("data-status")) === "delivered";
  }, 90000);
  const receipt = await el(b, "receipt");
  const receiptText = await receipt.getText();
  if (!/[0-9a-f]{64}/.test(receiptText)) throw new Error(`the receipt shows no SHA-256: ${receiptText}`);
  await shot(b, "06-delivered");
  log("delivered, receipt shown");

  // OMCT's side: the desk pulls what arrived, opens and verifies it, and
  // signs its acknowledgement, which the server relays to the app.
  ctx.step = "OMCT's desk opens the bundle and acknowledges it";
  execFileSync(temoin, ["--passphrase-file", deskPass, "desk", "pull", "--dir", desk], { stdio: "inherit" });
  const opened = deskCmd("open", "--dir", desk, "--json").toString();
  const verdicts = JSON.parse(opened);
  if (!verdicts.length || !verdicts.every((v) => v.accepted)) {
    throw new Error(`the desk did not accept the bundle: ${opened}`);
  }
  await waitFor(b, "acknowledged by OMCT", async () => {
    const s = await b.$(sel("outbox-status"));
    return (await s.isExisting()) && (await s.getAttribute("data-status")) === "acknowledged";
  }, 120000);
  await el(b, "acknowledgement");
  await shot(b, "06b-acknowledged");
  log(`the desk accepted ${verdicts.length} bundle(s); the app shows it received by OMCT`);

  ctx.step = "the outbox and settings screens";
  await click(b, "outbox-nav");
  await el(b, "outbox-row");
  // The urgent case with its photo went as two bundles: its text first.
  await el(b, "outbox-text-only");
  await axe(b, "outbox");
  await click(b, "settings-nav");
  await el(b, "language-select");
  await axe(b, "settings");
  await shot(b, "07-settings");

  ctx.step = "Arabic, right to left, without restart";
  await (await el(b, "language-select")).selectByAttribute("value", "ar");
  await waitFor(b, "dir=rtl", async () => (await b.execute(() => document.documentElement.dir)) === "rtl");
  await click(b, "cases-nav");
  await el(b, "case-row");
  await shot(b, "08-cases-arabic");
  await axe(b, "cases-arabic");
  await click(b, "settings-nav");
  await (await el(b, "language-select")).selectByAttribute("value", "en");
  await waitFor(b, "dir=ltr", async () => (await b.execute(() => document.documentElement.dir)) === "ltr");

  ctx.step = "the responsiveness probe answers";
  const ping = await invoke(b, "ping");
  if (ping.ok !== 1) throw new Error(`ping: ${JSON.stringify(ping)}`);

  ctx.step = "encrypted backup from the app";
  const backupDir = path.join(OUT, "backup");
  fs.mkdirSync(backupDir, { recursive: true });
  await click(b, "settings-nav");
  await click(b, "backup-advanced");
  await type(b, "backup-folder", backupDir);
  await type(b, "backup-recovery", RECOVERY);
  await type(b, "backup-recovery-confirm", RECOVERY);
  await click(b, "backup-create");
  await el(b, "backup-result", 60000);
  const backups = fs.readdirSync(backupDir).filter((f) => f.endsWith(".age"));
  if (backups.length !== 1) throw new Error(`expected one backup file, found ${backups}`);
  const backupHead = fs.readFileSync(path.join(backupDir, backups[0])).subarray(0, 32).toString();
  if (!backupHead.startsWith("age-encryption.org/v1")) throw new Error("the backup is not an age file");
  log(`backup written: ${backups[0]}`);

  ctx.step = "duress passphrase (decoy)";
  await type(b, "duress-current", PASS);
  await type(b, "duress-passphrase", DURESS);
  await type(b, "duress-confirm", DURESS);
  await click(b, "duress-outcome-decoy");
  await waitFor(b, "duress save enabled", async () => (await b.$(sel("duress-save"))).isEnabled());
  await click(b, "duress-save");
  await el(b, "duress-done", 60000);
  await shot(b, "09-security");
  await axe(b, "security");

  ctx.step = "the neutral face";
  await click(b, "neutral-toggle");
  await waitFor(b, "the window's name is the neutral one", async () => (await b.getTitle()) === "Notes");
  const launcher = path.join(env("XDG_DATA_HOME"), "applications", "temoin.desktop");
  await waitFor(b, "the launcher override", async () => fs.existsSync(launcher));
  if (!/^Name=Notes$/m.test(fs.readFileSync(launcher, "utf8"))) throw new Error("the launcher entry does not say Notes");
  await click(b, "neutral-toggle");
  await waitFor(b, "the launcher override is removed", async () => !fs.existsSync(launcher));
  log("neutral face: window name and launcher entry become Notes, and back");

  ctx.step = "lock, then nothing of the vault on disk in the clear";
  await click(b, "lock-button");
  await el(b, "unlock-passphrase");
  await b.pause(500);
  // The vault, the app's temporary folder, the web view's data and cache
  // folders, and the logs: the marker typed into a case title and a
  // narrative must be nowhere.
  const { scanned, hits } = plaintextScan(
    [env("TEMOIN_HOME"), env("TMPDIR"), env("XDG_DATA_HOME"), env("XDG_CACHE_HOME"), env("XDG_CONFIG_HOME")],
    [path.join(OUT, "tauri-driver.log")],
    { marker: MARKER },
  );
  if (hits.length) throw new Error(`plaintext marker found in ${hits.join(", ")}`);
  log(`plaintext scan: ${scanned.length} files (vault, temp, web view data and cache, logs), no marker`);

  ctx.step = "the duress passphrase opens the decoy, like a normal unlock";
  await type(b, "unlock-passphrase", DURESS);
  await click(b, "unlock-submit");
  await el(b, "new-case", 60000);
  const decoyText = await bodyText(b);
  if (decoyText.includes("post 4")) throw new Error("the decoy shows the real case");
  if ((await b.$$(sel("case-row"))).length !== 0) throw new Error("the decoy is not empty");
  await shot(b, "10-decoy");
  await click(b, "lock-button");
  await type(b, "unlock-passphrase", PASS);
  await click(b, "unlock-submit");
  await el(b, "case-row", 60000);
  log("duress passphrase: an empty decoy; the real passphrase: the real case");

  ctx.step = "remove the duress passphrase";
  await click(b, "settings-nav");
  await type(b, "duress-remove-current", PASS);
  await click(b, "duress-remove");
  await el(b, "duress-removed", 60000);
  if (fs.existsSync(path.join(env("TEMOIN_HOME"), "vault", "spare"))) throw new Error("the spare vault is still there");
  await click(b, "lock-button");
  await type(b, "unlock-passphrase", DURESS);
  await click(b, "unlock-submit");
  await el(b, "unlock-error", 60000);
  await type(b, "unlock-passphrase", PASS);
  await click(b, "unlock-submit");
  await el(b, "case-row", 60000);
  log("duress passphrase removed: the spare vault is gone and that passphrase opens nothing");

  ctx.step = "deliver and forget";
  await click(b, "case-row");
  await click(b, "tab-handover");
  await click(b, "forget-case");
  await click(b, "forget-confirm");
  await el(b, "new-case", 30000);
  await waitFor(b, "the case is gone", async () => (await b.$$(sel("case-row"))).length === 0);
  await click(b, "outbox-nav");
  await el(b, "receipt");
  log("forgotten after OMCT acknowledged it; the receipt is still shown");

  ctx.step = "panic wipe from the keyboard";
  await b.keys(["Control", "Shift", "Alt", "w"]);
  await el(b, "wipe-dialog");
  await axe(b, "wipe-dialog");
  await click(b, "wipe-confirm");
  await el(b, "create-passphrase", 30000);
  if (fs.existsSync(path.join(env("TEMOIN_HOME"), "vault", "keyslots.json"))) {
    throw new Error("the key slots are still there after the wipe");
  }
  const after = (await bodyText(b)) + (await b.execute(() => document.documentElement.outerHTML));
  if (after.includes("post 4") || after.includes("The witness")) throw new Error("vault content on screen after the wipe");
  log("panic wipe: key slots gone, first-run screen shown");

  ctx.step = "restore the backup on the wiped computer";
  await click(b, "restore-open");
  await type(b, "restore-file", path.join(backupDir, backups[0]));
  await type(b, "restore-recovery", RECOVERY);
  await type(b, "restore-passphrase", PASS);
  await click(b, "restore-submit");
  await el(b, "case-row", 60000);
  const restoredRow = await (await b.$(sel("case-row"))).getText();
  if (!restoredRow.includes("post 4")) throw new Error(`the restored vault lacks the case: ${restoredRow}`);
  log("the backup restored: the case is back, verified");
} catch (e) {
  await shot(b, "failure").catch(() => {});
  console.error(`e2e: FAILED at "${ctx.step}": ${e.message}`);
  await b.deleteSession().catch(() => {});
  process.exit(1);
}
await b.deleteSession();

// OMCT's side: the desk approved the app's device on its proof, and no
// bundle of it is missing.
ctx.step = "the desk's register";
const devices = JSON.parse(deskCmd("devices", "--dir", desk, "--json").toString());
if (devices.length !== 1 || devices[0].status !== "approved" || devices[0].gaps.length !== 0) {
  throw new Error(`the desk's register is not as expected: ${JSON.stringify(devices)}`);
}
log(`the desk approved the app's device (last bundle ${devices[0].last_sequence}, no gaps)`);
log("PASSED");
