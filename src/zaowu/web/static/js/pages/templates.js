// Templates: browse by category, a form generated from the template's typed variables, run
// (streamed), then copy or export the result.
import { h, loadList, field, errorBox, showError, copyButton, download, select } from "../ui.js";
import { t, pick } from "../i18n.js";
import { get, stream } from "../api.js";
import { schemaForm, exampleButtons } from "../form.js";
import { loadModels } from "./chat.js";
import { renderValue } from "./apps.js";

export async function render(main, params) {
  main.append(h("h1", {}, t("nav.templates")));
  const list = await loadList(main, "/v1/templates", "templates.unavailable");
  if (!list) return;
  const categories = [...new Set(list.map((x) => x.category))].sort();
  const cat = select([["", t("templates.all")], ...categories.map((c) => [c, t(`category.${c}`)])], params.category || "", { name: "category" });
  const search = h("input", { type: "search", name: "q", placeholder: t("templates.search") });
  const cards = h("div", { class: "grid", id: "template-list" });
  const detail = h("section", { id: "template-detail", "aria-live": "polite" });
  main.append(h("div", { class: "panel cols" }, field(t("templates.category"), cat), field(t("common.search"), search)), detail, cards);

  const show = () => {
    const q = search.value.trim().toLowerCase();
    cards.replaceChildren(...list.filter((x) => (!cat.value || x.category === cat.value) &&
      (!q || `${pick(x.title)} ${pick(x.description)} ${x.id}`.toLowerCase().includes(q))).map((x) => {
      const b = h("button", { type: "button", class: "card", "data-template": x.id },
        h("h3", {}, pick(x.title)), h("p", {}, pick(x.description)), h("span", { class: "tag" }, t(`category.${x.category}`)));
      b.addEventListener("click", () => open(x.id, detail));
      return b;
    }));
  };
  cat.addEventListener("change", show);
  search.addEventListener("input", show);
  show();
  if (params.id) await open(params.id, detail, params);
}

async function open(id, detail, params = {}) {
  const tpl = await get(`/v1/templates/${encodeURIComponent(id)}`);
  const form = schemaForm(tpl.input_schema, params.variables || (tpl.examples || [])[0] || {});
  const lang = select([["", t("templates.auto_language")], ["zh", "中文"], ["en", "English"]], params.language || "", { name: "language" });
  const model = select(await loadModels("text"), "", { name: "model" });
  const seed = h("input", { type: "number", name: "seed", min: 0, value: params.seed ?? "" });
  const run = h("button", { type: "submit", class: "primary" }, t("common.generate"));
  const stop = h("button", { type: "button", hidden: true }, t("chat.stop"));
  const err = errorBox();
  const out = h("div", { class: "output", id: "template-output", "aria-live": "polite" });
  const structured = h("div", { id: "template-structured" });
  const checks = h("ul", { id: "template-checks", class: "hint" });
  const tools = h("div", { class: "row", hidden: true });
  const el = h("form", { class: "panel", "data-template": tpl.id },
    h("h2", {}, pick(tpl.title)), h("p", { class: "hint" }, pick(tpl.description)),
    exampleButtons(tpl.examples, form),
    form.el, h("div", { class: "cols" }, field(t("common.language"), lang), field(t("common.model"), model)),
    field(t("common.seed"), seed, t("common.seed_hint")), err, h("div", { class: "row" }, run, stop), out, structured, checks, tools);
  detail.replaceChildren(el);
  el.scrollIntoView({ block: "start" });
  let result = null;
  let controller = null;
  const finish = () => {  // show the parsed output, copy and export (also after Stop, for the partial text)
    if (result && result.output) structured.replaceChildren(renderValue(result.output));
    if (result && !result.output && typeof result.text === "string") out.textContent = result.text;  // checked text
    checks.replaceChildren(...((result && result.checks) || []).map((c) =>
      h("li", { class: c.ok ? "" : "error" }, `${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}`)));
    const text = out.textContent;
    const json = result && result.output ? JSON.stringify(result.output, null, 2) : null;
    const md = h("button", { type: "button" }, t("templates.export_md"));
    md.addEventListener("click", () => download(`${tpl.id}.md`, text, "text/markdown"));
    const js = json && h("button", { type: "button" }, t("templates.export_json"));
    if (js) js.addEventListener("click", () => download(`${tpl.id}.json`, json, "application/json"));
    tools.replaceChildren(copyButton(() => text), md, js);
    tools.hidden = false;
    el.dataset.done = "1";
  };
  stop.addEventListener("click", () => controller && controller.abort());
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    controller = new AbortController();
    result = null; stop.hidden = false;
    run.disabled = true; out.textContent = ""; structured.replaceChildren(); checks.replaceChildren(); tools.hidden = true;
    showError(err, null, el);
    const body = { variables: form.read(), language: lang.value || null, model: model.value || null,
      seed: seed.value === "" ? null : Number(seed.value), stream: true };
    try {
      await stream(`/v1/templates/${encodeURIComponent(tpl.id)}/run`, body, (e) => {
        if (e.delta) out.textContent += e.delta;
        if (e.done) result = e;
      }, controller.signal);
      finish();
    } catch (e) { if (e.name === "AbortError") finish(); else showError(err, e, el); } finally { run.disabled = false; stop.hidden = true; }
  });
}
