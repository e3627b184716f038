// Home: three quick starts (poster, copy, music) that open a prefilled page with a Generate
// button, then a card for every page.
import { h } from "../ui.js";
import { t } from "../i18n.js";
import { go } from "../app.js";

const QUICK = [
  { id: "poster", page: "images", fill: () => ({ prompt: t("home.poster_prompt"), kind: "poster", size: "3:4" }) },
  { id: "copy", page: "chat", fill: () => ({ prompt: t("home.copy_prompt") }) },
  { id: "music", page: "audio", fill: () => ({ tab: "music", prompt: t("home.music_prompt"), duration: 15 }) },
];

export function render(main) {
  main.append(h("section", { class: "hero" }, h("h1", {}, t("home.title")), h("p", {}, t("home.subtitle"))));
  main.append(h("h2", {}, t("home.quick")));
  const quick = h("div", { class: "grid" });
  for (const q of QUICK) {
    const a = h("a", { class: "card", href: `#/${q.page}`, "data-quick": q.id },
      h("h3", {}, t(`home.${q.id}_title`)), h("p", {}, t(`home.${q.id}_text`)), h("span", { class: "tag" }, t("home.try")));
    a.addEventListener("click", (ev) => { ev.preventDefault(); go(q.page, q.fill()); });
    quick.append(a);
  }
  main.append(quick, h("h2", {}, t("home.everything")));
  const all = h("div", { class: "grid" });
  for (const p of ["chat", "templates", "apps", "knowledge", "assistant", "images", "audio", "jobs", "history", "settings"]) {
    all.append(h("a", { class: "card", href: `#/${p}` }, h("h3", {}, t(`nav.${p}`)), h("p", {}, t(`home.about_${p}`))));
  }
  main.append(all);
}
