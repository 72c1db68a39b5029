// The app's memory and responsiveness benchmarks (run by
// scripts/bench-app.sh under Xvfb with tauri-driver). Prints figures beside
// a reference measured in the same run; asserts nothing about time.
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { invoke, openApp } from "./driver.mjs";

const out = process.env.E2E_OUT;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// PSS in KiB of a process and all its descendants.
function pssTree(root) {
  const kids = new Map();
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!kids.has(ppid)) kids.set(ppid, []);
      kids.get(ppid).push(Number(d));
    } catch {}
  }
  let total = 0;
  const names = [];
  const walk = (pid) => {
    try {
      const s = fs.readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      const m = s.match(/^Pss:\s+(\d+) kB/m);
      const kib = m ? Number(m[1]) : 0;
      total += kib;
      names.push(`${fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim()} ${(kib / 1024).toFixed(0)} MiB`);
    } catch {}
    for (const k of kids.get(pid) ?? []) walk(k);
  };
  walk(root);
  return { kib: total, names };
}

function pidOf(exe) {
  const pids = execFileSync("pgrep", ["-f", "-x", exe]).toString().trim().split("\n");
  return Number(pids[0]);
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, p50: q(0.5), p99: q(0.99), max: s[s.length - 1] };
}

// Round trips of the `ping` command, timed inside the page, for `ms`
// milliseconds or until `until` (a command) reports done.
async function pings(browser, ms, caseId) {
  return browser.executeAsync(
    (ms, caseId, done) => {
      const times = [];
      const t0 = performance.now();
      let lastPoll = 0;
      const inv = window.__TAURI_INTERNALS__.invoke;
      const step = async () => {
        for (;;) {
          const a = performance.now();
          await inv("ping", {});
          times.push(performance.now() - a);
          const now = performance.now();
          if (caseId && now - lastPoll > 500) {
            lastPoll = now;
            const c = await inv("case_get", { id: caseId });
            if (c.evidence.length >= 3) return done({ times, elapsed: now - t0 });
          }
          if (!caseId && now - t0 > ms) return done({ times, elapsed: now - t0 });
          if (caseId && now - t0 > ms) return done({ times, elapsed: now - t0, timedOut: true });
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      step();
    },
    ms,
    caseId,
  );
}

const browser = await openApp(process.env.E2E_APP);
try {
  // A 1 GiB import takes a while; the page's script waits for it.
  await browser.setTimeout({ script: 600000 });
  const passphrase = "orbit lantern quietly folds seven maps";
  let r = await invoke(browser, "vault_create", { passphrase });
  if (r.err) throw new Error(`vault_create: ${JSON.stringify(r.err)}`);
  r = await invoke(browser, "case_save", {
    id: null,
    record: {
      title: "Benchmark case", summary: null, status: "open", urgent: false,
      incident_start: null, incident_end: null, country: null, location: null,
      participants: [], tags: [],
    },
  });
  if (r.err) throw new Error(`case_save: ${JSON.stringify(r.err)}`);
  const caseId = r.ok;
  await browser.refresh();
  await sleep(10000);

  // Memory of the idle, unlocked app against the reference window.
  const ours = pssTree(pidOf(process.env.E2E_APP));
  const ref = spawn("/usr/bin/python3", [path.resolve("tests/e2e/reference-webview.py")], {
    stdio: ["ignore", "pipe", "ignore"],
  });
  await new Promise((res) => ref.stdout.on("data", (d) => String(d).includes("reference-ready") && res()));
  await sleep(10000);
  const theirs = pssTree(ref.pid);
  ref.kill("SIGTERM");
  const mib = (k) => (k / 1024).toFixed(1);
  console.log(
    `memory of the idle unlocked app (PSS of ${ours.names.join(", ")}): ${mib(ours.kib)} MiB (target < 200 MiB); ` +
      `reference WebKit window (${theirs.names.join(", ")}): ${mib(theirs.kib)} MiB; ratio ${(ours.kib / theirs.kib).toFixed(2)}x`,
  );

  // Responsiveness: ping round trips idle, then during a 1 GiB import.
  const big = path.join(out, "one-gib.bin");
  if (!fs.existsSync(big) || fs.statSync(big).size !== 1 << 30) {
    execFileSync("head", ["-c", "1G", "/dev/urandom"], { stdio: ["ignore", fs.openSync(big, "w"), "inherit"] });
  }
  const idle = await pings(browser, 5000, null);
  // Three times the same 1 GiB file in one job, for more samples.
  r = await invoke(browser, "evidence_import", { caseId, paths: [big, big, big] });
  if (r.err) throw new Error(`evidence_import: ${JSON.stringify(r.err)}`);
  const busy = await pings(browser, 300000, caseId);
  const after = await invoke(browser, "case_get", { id: caseId });
  if (after.err || after.ok.evidence.length !== 3 || after.ok.evidence.some((e) => e.size !== 1 << 30)) {
    throw new Error(`the 1 GiB import did not complete: ${JSON.stringify(after.err ?? after.ok.evidence)}`);
  }
  const a = stats(idle.times);
  const b = stats(busy.times);
  console.log(
    `command round trip, idle: p50 ${a.p50.toFixed(1)} ms, p99 ${a.p99.toFixed(1)} ms (${a.n} pings)`,
  );
  console.log(
    `command round trip during a 1 GiB import (${(busy.elapsed / 1000).toFixed(1)} s${busy.timedOut ? ", NOT finished" : ""}): ` +
      `p50 ${b.p50.toFixed(1)} ms, p99 ${b.p99.toFixed(1)} ms, max ${b.max.toFixed(1)} ms (target < 100 ms; ${b.n} pings); ` +
      `p99 ratio to idle ${(b.p99 / a.p99).toFixed(2)}x`,
  );
} finally {
  await browser.deleteSession();
}
