// Translations: zh and en dictionaries loaded as JSON; the choice is remembered in localStorage
// and defaults to the browser's language.
const KEY = "zaowu.lang";
let lang = "en";
let dict = {};

export function initialLanguage() {
  const saved = localStorage.getItem(KEY);
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.language || "en").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export async function setLanguage(next) {
  const r = await fetch(`/static/i18n/${next}.json`);
  dict = await r.json();
  lang = next;
  localStorage.setItem(KEY, next);
  document.documentElement.lang = next === "zh" ? "zh-CN" : "en";
}

export function language() { return lang; }

// t("chat.send") or t("jobs.count", {n: 3}); an unknown key shows itself, so gaps are visible.
export function t(key, vars) {
  let s = dict[key] ?? key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

// A {zh, en} object (templates, apps) or a plain string, in the current language.
export function pick(value) {
  if (value == null) return "";
  if (typeof value === "string") return value;
  return value[lang] ?? value.en ?? value.zh ?? Object.values(value)[0] ?? "";
}
