// The studio shell: hash routes (#/chat?prompt=...), navigation, language switch and sign-in.
import { initialLanguage, setLanguage, t } from "./i18n.js";
import { get, post, setAuthHandler } from "./api.js";

const PAGES = ["home", "chat", "templates", "apps", "knowledge", "assistant", "images", "audio", "minutes", "video", "jobs", "history", "verify", "settings"];
const state = { session: null, cleanup: null, prefill: null };

// Go to a page with values to prefill (kept in memory; simple values also go in the URL).
export function go(page, prefill = null) {
  state.prefill = prefill;
  const simple = prefill && Object.entries(prefill).filter(([, v]) => ["string", "number"].includes(typeof v));
  const qs = simple && simple.length ? "?" + new URLSearchParams(simple).toString() : "";
  const target = `#/${page}${qs}`;
  if (location.hash === target) render(); else location.hash = target;
}

export function session() { return state.session; }

function route() {
  const [path, query] = location.hash.replace(/^#\/?/, "").split("?");
  const page = PAGES.includes(path) ? path : "home";
  const params = Object.fromEntries(new URLSearchParams(query || ""));
  return { page, params: { ...params, ...(state.prefill || {}) } };
}

function renderNav(page) {
  const nav = document.getElementById("nav");
  nav.setAttribute("aria-label", t("nav.label"));
  nav.replaceChildren(...PAGES.map((p) => {
    const a = document.createElement("a");
    a.href = `#/${p === "home" ? "" : p}`;
    a.textContent = t(`nav.${p}`);
    if (p === page) a.setAttribute("aria-current", "page");
    a.addEventListener("click", () => nav.classList.remove("open"));
    return a;
  }));
  document.getElementById("menu-label").textContent = t("nav.menu");
  document.getElementById("lang-label").textContent = t("lang.label");
  document.getElementById("skip-link").textContent = t("nav.skip");
  document.getElementById("ai-notice").textContent = t("notice.ai");  // on every page (GB 45438-2025)
  const who = document.getElementById("who");
  const s = state.session;
  who.textContent = s && s.signed_in ? t("auth.signed_in_as", { name: s.name }) : "";
}

async function render() {
  const { page, params } = route();
  state.prefill = null;
  if (state.cleanup) { try { state.cleanup(); } catch { /* page already gone */ } state.cleanup = null; }
  renderNav(page);
  const main = document.getElementById("main");
  document.title = `${t(`nav.${page}`)} · 造物 zaowu`;
  const mod = await import(`./pages/${page}.js`);
  main.replaceChildren();
  state.cleanup = (await mod.render(main, params)) || null;
  main.dataset.page = page;
  main.dataset.ready = "1";
}

function askForKey(message) {
  const dlg = document.getElementById("login");
  if (dlg.open) return;
  document.getElementById("login-title").textContent = t("auth.title");
  document.getElementById("login-help").textContent = message || t("auth.help");
  document.getElementById("login-key-label").textContent = t("auth.key");
  document.getElementById("login-submit").textContent = t("auth.sign_in");
  dlg.showModal();
}

function setupLogin() {
  const form = document.getElementById("login-form");
  const err = document.getElementById("login-error");
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const input = document.getElementById("login-key");
    try {
      state.session = await post("/studio/login", { key: input.value });
      input.value = "";
      err.hidden = true;
      document.getElementById("login").close();
      render();
    } catch (e) {
      err.hidden = false;
      err.textContent = e.message;
      input.classList.add("invalid");
    }
  });
}

export async function signOut() {
  state.session = await post("/studio/logout", {});
  if (state.session.auth_required) askForKey(); else render();
}

async function start() {
  const langSelect = document.getElementById("lang");
  const lang = initialLanguage();
  await setLanguage(lang);
  langSelect.value = lang;
  langSelect.addEventListener("change", async () => { await setLanguage(langSelect.value); render(); });
  const toggle = document.getElementById("menu-toggle");
  toggle.addEventListener("click", () => {
    const nav = document.getElementById("nav");
    nav.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(nav.classList.contains("open")));
  });
  setupLogin();
  setAuthHandler((message) => askForKey(message));
  state.session = await get("/studio/session");
  window.addEventListener("hashchange", render);
  await render();
  if (state.session.auth_required && !state.session.signed_in) askForKey();
}

start();
