// History: the generation log with filters, previews of what each generation produced, and
// re-run with the same seed (opens the page prefilled). Keys see only their own history.
import { h, field, select, stateTag, fmtTime, preview } from "../ui.js";
import { t } from "../i18n.js";
import { get } from "../api.js";
import { go } from "../app.js";

const MODALITIES = ["", "text", "image", "speech", "transcription", "music", "embedding", "video"];
const STATUSES = ["", "ok", "error", "running", "cancelled", "interrupted", "schema_violation"];

function summary(row) {
  const i = row.input || {};
  // an oversized input is logged as an excerpt of its JSON
  if (i.truncated) return `${i.excerpt.slice(0, 300)}… (${i.size_bytes} bytes)`;
  if (i.messages) return (i.messages.filter((m) => m.role === "user").at(-1) || {}).content || "";
  return i.prompt || i.input || (i.audio_bytes ? `${i.audio_bytes} bytes` : JSON.stringify(i)).slice(0, 300);
}

// The page and values that repeat a generation with its seed; null when it cannot be repeated.
export function rerun(row) {
  const i = row.input || {};
  const seed = row.seed ?? undefined;
  switch (row.modality) {
    case "text": {
      if (!i.messages) return ["chat", { prompt: i.prompt || "", seed }];
      const system = i.messages.find((m) => m.role === "system");
      return ["chat", { prompt: summary(row), system: system ? system.content : "", model: row.model, seed }];
    }
    case "image": return ["images", { prompt: i.prompt || "", kind: i.kind || "poster", size: i.size || "1:1", seed, n: 1 }];
    case "music": return ["audio", { tab: "music", prompt: i.prompt || "", duration: i.duration || 20, seed }];
    case "speech": return ["audio", { tab: "speak", input: i.input || "", voice: i.voice || "" }];
    default: return null;
  }
}

export function render(main) {
  const modality = select(MODALITIES.map((m) => [m, m ? t(`modality.${m}`) : t("history.all")]), "", { name: "modality" });
  const status = select(STATUSES.map((s) => [s, s ? t(`state.${s}`) : t("history.all")]), "", { name: "status" });
  const q = h("input", { type: "search", name: "q", placeholder: t("history.search") });
  const list = h("div", { id: "history-list" });
  const more = h("button", { type: "button", hidden: true }, t("history.more"));
  const filters = h("form", { class: "panel cols", role: "search" }, field(t("history.modality"), modality), field(t("history.status"), status),
    field(t("common.search"), q));
  main.append(h("h1", {}, t("nav.history")), filters, list, more);
  let last = null;

  async function load(append) {
    const p = new URLSearchParams({ limit: "20" });
    if (modality.value) p.set("modality", modality.value);
    if (status.value) p.set("status", status.value);
    if (q.value.trim()) p.set("q", q.value.trim());
    if (append && last) p.set("before", last);
    let res;
    try { res = await get(`/v1/generations?${p}`); } catch (e) { list.replaceChildren(h("p", { class: "error", role: "alert" }, e.message)); return; }
    const items = res.data.map(entry);
    if (append) list.append(...items); else list.replaceChildren(...items);
    if (!list.childElementCount) list.append(h("p", { class: "notice" }, t("history.none")));
    last = res.data.length ? res.data.at(-1).id : last;
    more.hidden = !res.has_more;
  }

  function entry(row) {
    const again = rerun(row);
    const btn = again && h("button", { type: "button" }, t("history.rerun"));
    if (btn) btn.addEventListener("click", () => go(...again));
    const arts = row.artifacts || [];
    const output = row.modality === "text" && row.output ? h("details", {}, h("summary", {}, t("history.output")), h("div", { class: "output" }, row.output)) : null;
    return h("article", { class: "panel", "data-generation": row.id },
      h("div", { class: "row" }, stateTag(row.status), h("strong", {}, t(`modality.${row.modality}`)), h("span", { class: "hint" },
        `${fmtTime(row.created_at)} · ${row.model} · ${t("common.seed")} ${row.seed ?? "—"} · ${row.caller || ""}`)),
      h("p", {}, summary(row)), row.error ? h("p", { class: "error" }, row.error) : null, output,
      arts.length ? h("div", { class: "variants" }, ...arts.map((a) => h("figure", {}, preview(a)))) : null,
      btn ? h("div", { class: "row" }, btn) : null);
  }

  let timer;
  const reload = () => { clearTimeout(timer); timer = setTimeout(() => load(false), 250); };
  filters.addEventListener("change", reload);
  q.addEventListener("input", reload);
  filters.addEventListener("submit", (ev) => { ev.preventDefault(); reload(); });
  more.addEventListener("click", () => load(true));
  load(false);
  return () => clearTimeout(timer);
}
