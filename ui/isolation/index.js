// The isolation hook sees every message the interface sends to the app
// before it leaves the page. It lets through only the app's own commands
// and the two plugins the capabilities grant; anything else (an injected
// script calling a command that does not exist here) is dropped.
window.__TAURI_ISOLATION_HOOK__ = (payload) => {
  const cmd = payload && payload.cmd;
  if (typeof cmd !== "string") return payload;
  const ours = /^[a-z_]+$/.test(cmd);
  const plugin = /^plugin:(event|dialog)\|[a-z_]+$/.test(cmd);
  if (ours || plugin) return payload;
  throw new Error("blocked by the isolation hook");
};
