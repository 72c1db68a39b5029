// A WebDriver session on the app through tauri-driver (port 4444 unless
// told), shared by the end-to-end tests and the app benchmark.
import { remote } from "webdriverio";

export async function openApp(application, port = 4444) {
  let lastError;
  // tauri-driver needs a moment to bind its port.
  for (let i = 0; i < 40; i++) {
    try {
      return await remote({
        hostname: "127.0.0.1",
        port,
        logLevel: "error",
        // A benchmark script in the page can wait minutes for an import.
        connectionRetryTimeout: 600000,
        capabilities: {
          browserName: "wry",
          "wdio:enforceWebDriverClassic": true,
          "tauri:options": { application },
        },
      });
    } catch (e) {
      lastError = e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  throw lastError;
}

// Calls one of the app's commands from inside the page, as the interface
// does, and returns {ok} or {err}.
export async function invoke(browser, cmd, args = {}) {
  return browser.executeAsync(
    (cmd, args, done) => {
      window.__TAURI_INTERNALS__
        .invoke(cmd, args)
        .then((ok) => done({ ok }))
        .catch((err) => done({ err }));
    },
    cmd,
    args,
  );
}
