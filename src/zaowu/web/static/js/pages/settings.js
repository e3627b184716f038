// Settings: installed and available models (pull with progress), API keys (admins), remote
// backends, usage and the studio's sign-in.
import { h, field, errorBox, busy, jobView, copyButton } from "../ui.js";
import { t } from "../i18n.js";
import { get, post, del } from "../api.js";
import { session, signOut } from "../app.js";

const SCOPES = ["text", "image", "audio", "video", "admin"];
const mb = (n) => (n ? `${(n / 1e6).toFixed(0)} MB` : "—");

export async function render(main) {
  main.append(h("h1", {}, t("nav.settings")));
  const s = session() || {};
  const who = h("section", { class: "panel" }, h("h2", {}, t("settings.session")),
    h("p", {}, s.signed_in ? t("auth.signed_in_as", { name: s.name }) : s.auth_required ? t("auth.signed_out") : t("settings.local_owner")));
  if (s.signed_in) {
    const out = h("button", { type: "button" }, t("auth.sign_out"));
    out.addEventListener("click", signOut);
    who.append(out);
  }
  const models = h("section", { class: "panel", id: "models" }, h("h2", {}, t("settings.models")));
  const keys = h("section", { class: "panel", id: "keys" }, h("h2", {}, t("settings.keys")));
  const remotes = h("section", { class: "panel", id: "remotes" }, h("h2", {}, t("settings.remotes")));
  const usage = h("section", { class: "panel", id: "usage" }, h("h2", {}, t("settings.usage")));
  main.append(who, models, keys, remotes, usage);
  await Promise.all([renderModels(models), s.admin ? renderKeys(keys) : keys.append(h("p", { class: "notice" }, t("settings.keys_admin_only"))),
    renderRemotes(remotes), renderUsage(usage)]);
}

async function renderModels(box) {
  const list = (await get("/v1/models?all=true")).data;
  const body = h("tbody");
  for (const m of list) {
    const cell = h("td");
    if (m.installed) cell.append(h("span", { class: "tag state-ok" }, t("settings.installed")));
    else if (m.owned_by === "zaowu" && m.size_bytes) {
      const pull = h("button", { type: "button", "data-pull": m.id }, t("settings.pull"));
      const err = errorBox();
      const progress = h("div");
      pull.addEventListener("click", () => busy(pull, err, null, async () => {
        const job = await post("/v1/models/pull", { model: m.id });
        const final = await jobView(job, progress);
        if (final.state === "succeeded") cell.replaceChildren(h("span", { class: "tag state-ok" }, t("settings.installed")));
        else throw new Error(final.error || final.state);
      }));
      cell.append(pull, progress, err);
    } else cell.append(h("span", { class: "tag" }, t("settings.not_installed")));
    body.append(h("tr", { "data-model": m.id }, h("td", {}, h("strong", {}, m.id), h("br"), h("span", { class: "hint" }, m.name || "")),
      h("td", {}, t(`modality.${m.modality}`)), h("td", {}, mb(m.size_bytes)), h("td", {}, m.licence || "—"),
      h("td", {}, (m.languages || []).join(", ")), cell));
  }
  box.append(h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {},
    ...["settings.model", "settings.modality", "settings.size", "settings.licence", "settings.languages", "settings.status"].map((k) => h("th", { scope: "col" }, t(k))))), body)));
}

async function renderKeys(box) {
  const body = h("tbody");
  const refresh = async () => {
    const keys = (await get("/v1/keys")).data;
    body.replaceChildren(...keys.map((k) => {
      const revoke = h("button", { type: "button", class: "danger", "aria-label": `${t("settings.revoke")} ${k.name}` }, t("settings.revoke"));
      revoke.addEventListener("click", async () => { if (confirm(t("settings.revoke_confirm", { name: k.name }))) { await del(`/v1/keys/${encodeURIComponent(k.name)}`); refresh(); } });
      return h("tr", {}, h("td", {}, k.name), h("td", {}, `${k.prefix}…`), h("td", {}, k.scopes.join(", ")),
        h("td", {}, k.revoked_at ? t("settings.revoked") : revoke));
    }));
  };
  const name = h("input", { type: "text", name: "name", required: true, maxlength: 100 });
  const scopes = h("div", { role: "group", "aria-labelledby": "scopes-label", "data-name": "scope" },
    ...SCOPES.map((s) => h("label", { class: "inline" }, h("input", { type: "checkbox", value: s, checked: s !== "admin" && s !== "video" }), s)));
  const create = h("button", { type: "submit", class: "primary" }, t("settings.create_key"));
  const err = errorBox();
  const secret = h("div", { "aria-live": "polite" });
  const form = h("form", {}, field(t("settings.key_name"), name), h("span", { class: "label", id: "scopes-label" }, t("settings.scopes")), scopes,
    err, h("div", { class: "row" }, create), secret);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(create, err, form, async () => {
      const chosen = [...scopes.querySelectorAll("input:checked")].map((c) => c.value);
      const k = await post("/v1/keys", { name: name.value, scopes: chosen });
      secret.replaceChildren(h("p", { class: "notice" }, t("settings.key_once")), h("pre", { id: "new-key" }, k.key), copyButton(() => k.key));
      name.value = "";
      await refresh();
    });
  });
  box.append(h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {},
    ...["settings.key_name", "settings.prefix", "settings.scopes", "jobs.actions"].map((k) => h("th", { scope: "col" }, t(k))))), body)), form);
  await refresh();
}

async function renderRemotes(box) {
  const list = (await get("/v1/remotes")).data;
  if (!list.length) { box.append(h("p", { class: "hint" }, t("settings.no_remotes"))); return; }
  box.append(h("ul", {}, ...list.map((r) => h("li", {}, h("strong", {}, r.name), ` ${r.base_url} `, h("span", { class: "hint" }, r.models.join(", "))))));
}

async function renderUsage(box) {
  try {
    const rows = (await get("/v1/usage?days=7")).data;
    if (!rows.length) { box.append(h("p", { class: "hint" }, t("settings.no_usage"))); return; }
    box.append(h("div", { class: "table-wrap" }, h("table", {}, h("thead", {}, h("tr", {},
      ...["settings.key_name", "settings.requests", "settings.tokens", "settings.media_seconds"].map((k) => h("th", { scope: "col" }, t(k))))),
      h("tbody", {}, ...rows.map((r) => h("tr", {}, h("td", {}, r.key), h("td", {}, r.today.requests),
        h("td", {}, r.today.prompt_tokens + r.today.completion_tokens), h("td", {}, Math.round(r.today.media_seconds))))))));
  } catch (e) { box.append(h("p", { class: "hint" }, e.message)); }
}
