// Apps: forms from each app's typed input, a run as a job with live progress, then the result
// (tables and text) with previews and downloads of its files (storefront shown in a frame).
import { h, loadList, errorBox, showError, jobView, preview, select, field } from "../ui.js";
import { t, pick } from "../i18n.js";
import { post } from "../api.js";
import { schemaForm, exampleButtons } from "../form.js";
import { loadModels } from "./chat.js";

// Any JSON value as readable HTML: text, lists, tables for lists of objects, nested sections.
export function renderValue(v, depth = 0) {
  if (v == null) return h("span", {}, "—");
  if (typeof v !== "object") return h("span", { class: "value" }, String(v));
  if (Array.isArray(v)) {
    if (v.length && v.every((x) => x && typeof x === "object" && !Array.isArray(x))) {
      const cols = [...new Set(v.flatMap((x) => Object.keys(x)))];
      return h("div", { class: "table-wrap" }, h("table", {},
        h("thead", {}, h("tr", {}, ...cols.map((c) => h("th", { scope: "col" }, c.replaceAll("_", " "))))),
        h("tbody", {}, ...v.map((row) => h("tr", {}, ...cols.map((c) => h("td", {}, renderValue(row[c], depth + 1))))))));
    }
    return h("ul", {}, ...v.map((x) => h("li", {}, renderValue(x, depth + 1))));
  }
  return h("dl", { class: "kv" }, ...Object.entries(v).flatMap(([k, x]) => [h("dt", {}, k.replaceAll("_", " ")), h("dd", {}, renderValue(x, depth + 1))]));
}

export async function render(main, params) {
  main.append(h("h1", {}, t("nav.apps")));
  const apps = await loadList(main, "/v1/apps", "apps.unavailable");
  if (!apps) return;
  const detail = h("section", { id: "app-detail" });
  const cards = h("div", { class: "grid", id: "app-list" }, ...apps.map((a) => {
    const b = h("button", { type: "button", class: "card", "data-app": a.id }, h("h3", {}, pick(a.title)), h("p", {}, pick(a.description)));
    b.addEventListener("click", () => open(a, detail));
    return b;
  }));
  main.append(cards, detail);
  const chosen = apps.find((a) => a.id === params.id);
  if (chosen) await open(chosen, detail, params.input);
}

async function open(app, detail, values) {
  const form = schemaForm(app.input_schema, values || {});
  const model = select(await loadModels("text"), "", { name: "model" });
  const run = h("button", { type: "submit", class: "primary" }, t("common.generate"));
  const err = errorBox();
  const progress = h("div", { id: "app-progress" });
  const result = h("div", { id: "app-result" });
  const el = h("form", { class: "panel", "data-app": app.id }, h("h2", {}, pick(app.title)), h("p", { class: "hint" }, pick(app.description)),
    exampleButtons(app.examples, form), form.el, field(t("common.model"), model), err, h("div", { class: "row" }, run), progress, result);
  detail.replaceChildren(el);
  el.scrollIntoView({ block: "start" });
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    run.disabled = true; result.replaceChildren(); showError(err, null, el);
    try {
      const job = await post(`/v1/apps/${encodeURIComponent(app.id)}`, { input: form.read(), model: model.value || null, async: true });
      const final = await jobView(job, progress);
      if (final.state !== "succeeded") throw new Error(final.error || t(`state.${final.state}`));
      showResult(final.result || {}, result);
      el.dataset.done = "1";
    } catch (e) { showError(err, e, el); } finally { run.disabled = false; }
  });
}

function showResult(res, box) {
  const files = res.artifacts || [];
  const site = files.find((a) => (a.mime || "").startsWith("text/html"));
  box.append(h("h3", {}, t("apps.result")));
  if (site) box.append(h("h3", {}, t("apps.storefront")), preview(site));
  box.append(renderValue(res.result ?? res));
  if (files.length) {
    box.append(h("h3", {}, t("apps.files")), h("div", { class: "variants" },
      ...files.filter((a) => a !== site).map((a) => h("figure", {}, preview(a)))));
  }
}
