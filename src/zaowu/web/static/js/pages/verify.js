// Verify: drop a file (or choose one) and see the labels it carries and lacks, from
// POST /v1/provenance/verify: implicit AIGC fields, visible mark, watermark, C2PA, and the
// generation log row when the file was made here.
import { h, field } from "../ui.js";
import { t } from "../i18n.js";
import { request } from "../api.js";

const PARTS = ["implicit", "explicit", "watermark", "c2pa"];

function partList(cls, title, parts) {
  const items = parts.length ? parts.map((p) => h("li", { "data-part": p }, t(`verify.part.${p}`) || p)) : [h("li", {}, t("verify.none"))];
  return h("section", { class: `panel ${cls}` }, h("h2", {}, title), h("ul", {}, ...items));
}

function report(res) {
  const parts = [h("p", {}, `${t("verify.format")}: ${res.mime || "?"} · ${res.bytes} bytes`)];
  parts.push(partList("labels-found", t("verify.found"), (res.found || []).filter((p) => PARTS.includes(p))));
  parts.push(partList("labels-missing", t("verify.missing"), (res.missing || []).filter((p) => PARTS.includes(p))));
  const fields = res.implicit && res.implicit.fields;
  if (fields) {
    const rows = Object.entries(fields).map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, String(v))));
    parts.push(h("section", { class: "panel" }, h("h2", {}, t("verify.fields")), h("table", { id: "verify-fields" }, h("tbody", {}, ...rows))));
  }
  const gen = res.generation;
  parts.push(h("section", { class: "panel", id: "verify-generation" }, h("h2", {}, t("verify.generation")),
    gen ? h("p", {}, `${gen.id} · ${gen.modality || ""} · ${gen.model || ""} · ${gen.created_at || ""}`) : h("p", {}, t("verify.not_ours"))));
  return parts;
}

export function render(main) {
  const input = h("input", { type: "file", name: "file" });
  const out = h("div", { id: "verify-report", "aria-live": "polite" });
  const zone = h("div", { class: "drop", id: "verify-drop" }, h("p", {}, t("verify.drop")), field(t("verify.file"), input));
  main.append(h("h1", {}, t("nav.verify")), h("p", { class: "hint" }, t("verify.help")), zone, out);

  async function check(file) {
    if (!file) return;
    out.replaceChildren(h("p", { class: "loading" }, t("verify.checking")));
    const form = new FormData();
    form.append("file", file, file.name);
    try {
      const res = await (await request("/v1/provenance/verify", { method: "POST", form })).json();
      out.replaceChildren(...report(res));
      out.dataset.done = "1";
    } catch (e) {
      out.replaceChildren(h("p", { class: "error", role: "alert" }, e.message));
    }
  }
  input.addEventListener("change", () => check(input.files[0]));
  zone.addEventListener("dragover", (ev) => { ev.preventDefault(); zone.classList.add("over"); });
  zone.addEventListener("dragleave", () => zone.classList.remove("over"));
  zone.addEventListener("drop", (ev) => {
    ev.preventDefault();
    zone.classList.remove("over");
    check(ev.dataTransfer.files[0]);
  });
}
