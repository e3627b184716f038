// The customer-service assistant: make one over a knowledge base (policy, tone, the sites that may embed
// it), copy its widget snippet, try it live, and read the questions it handed to a person (and close them).
import { h, field, errorBox, busy, select, copyButton } from "../ui.js";
import { t } from "../i18n.js";
import { ApiError, get, post } from "../api.js";

function where(s) {
  return `[${s.index}] ` + [s.filename, s.page ? `p.${s.page}` : null, s.sheet ? `[${s.sheet}]` : null].filter(Boolean).join(" ");
}

export async function render(main, params) {
  let stores = [];
  let assistants = [];
  try {
    stores = (await get("/v1/vector_stores")).data;
    assistants = (await get("/v1/assistants")).data;
  } catch (e) { main.append(h("h1", {}, t("nav.assistant")), h("p", { class: "notice" }, e.message)); return null; }

  const store = select(stores.map((s) => [s.id, s.name || s.id]), params.store || "", { name: "knowledge_bases" });
  const name = h("input", { name: "name", maxlength: 100, required: true, placeholder: t("cs.name_placeholder") });
  const policy = h("textarea", { name: "policy", rows: 3, maxlength: 4000, placeholder: t("cs.policy_placeholder") });
  const tone = h("input", { name: "tone", maxlength: 200, placeholder: t("cs.tone_placeholder") });
  const origins = h("textarea", { name: "allowed_origins", rows: 2, placeholder: "https://shop.example" });
  const create = h("button", { type: "submit", class: "primary" }, t("cs.create"));
  const createErr = errorBox();
  const createForm = h("form", { class: "panel", id: "cs-create" },
    h("div", { class: "cols" }, field(t("kb.store"), store), field(t("cs.name"), name)),
    field(t("cs.policy"), policy), field(t("cs.tone"), tone), field(t("cs.origins"), origins, t("cs.origins_hint")),
    createErr, h("div", { class: "row" }, create));

  const picker = select(assistants.map((a) => [a.id, a.name]), assistants[0] ? assistants[0].id : "", { name: "assistant_id" });
  const snippet = h("textarea", { id: "cs-snippet", rows: 3, readonly: true, "aria-label": t("cs.snippet") });
  const snippetBox = h("div", { class: "panel", id: "cs-widget", hidden: true }, h("h2", {}, t("cs.snippet")),
    h("p", { class: "hint" }, t("cs.snippet_hint")), snippet, h("div", { class: "row" }, copyButton(() => snippet.value)));

  const messages = h("div", { class: "messages", id: "cs-messages", "aria-live": "polite" });
  const message = h("input", { name: "message", maxlength: 1000, required: true, placeholder: t("cs.message_placeholder") });
  const send = h("button", { type: "submit", class: "primary" }, t("chat.send"));
  const chatErr = errorBox();
  const chatForm = h("form", { class: "panel", id: "cs-preview" }, field(t("cs.assistant"), picker), messages,
    field(t("cs.message"), message), chatErr, h("div", { class: "row" }, send));
  const handoffs = h("ul", { id: "cs-handoffs" });
  const refresh = h("button", { type: "button" }, t("cs.refresh"));

  main.append(h("h1", {}, t("nav.assistant")), h("p", { class: "hint" }, t("cs.about")), createForm, snippetBox,
    h("h2", {}, t("cs.preview")), chatForm, h("h2", {}, t("cs.handoffs")), h("div", { class: "row" }, refresh), handoffs);

  let conversation = null;

  async function showHandoffs() {
    handoffs.replaceChildren();
    if (!picker.value) return;
    const rows = (await get(`/v1/assistants/${encodeURIComponent(picker.value)}/handoffs`)).data;
    handoffs.append(...rows.map((r) => h("li", { "data-handoff": r.id, "data-status": r.status },
      h("span", { class: "tag" }, t(`cs.reason_${r.reason}`)), " ", r.question, " ",
      r.status === "open"
        ? h("button", { type: "button", onclick: () => closeHandoff(r) }, t("cs.close_handoff"))
        : h("span", { class: "hint" }, t("cs.handoff_closed")))));
    if (!rows.length) handoffs.append(h("li", { class: "hint" }, t("cs.no_handoffs")));
  }

  async function closeHandoff(row) {
    await post(`/v1/assistants/${encodeURIComponent(picker.value)}/handoffs/${encodeURIComponent(row.id)}`, { status: "closed" });
    await showHandoffs();
  }

  createForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(create, createErr, createForm, async () => {
      if (!store.value) throw new ApiError(t("kb.pick_store"), { param: "knowledge_bases" });
      const made = await post("/v1/assistants", {
        name: name.value.trim(), knowledge_bases: [store.value], policy: policy.value, tone: tone.value,
        allowed_origins: origins.value.split(/\s+/).filter(Boolean),
      });
      snippet.value = made.snippet;
      snippetBox.hidden = false;
      picker.append(h("option", { value: made.id }, made.name));
      picker.value = made.id;
      conversation = null;
      messages.replaceChildren();
      await showHandoffs();
    });
  });

  chatForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(send, chatErr, chatForm, async () => {
      if (!picker.value) throw new ApiError(t("cs.pick_assistant"), { param: "assistant_id" });
      const text = message.value.trim();
      if (!text) return;
      messages.append(h("div", { class: "msg user" }, text));
      message.value = "";
      const reply = await post(`/v1/assistants/${encodeURIComponent(picker.value)}/chat`, { message: text, conversation_id: conversation });
      conversation = reply.conversation_id;
      const out = h("div", { class: "msg assistant", "data-role": "assistant", "data-handed-off": reply.handed_off ? "1" : "0" }, h("div", { class: "reply" }, reply.message));
      if (reply.sources.length) out.append(h("ul", { class: "sources" }, ...reply.sources.map((s) => h("li", {}, where(s)))));
      messages.append(out);
      if (reply.handed_off) await showHandoffs();
    });
  });
  picker.addEventListener("change", () => { conversation = null; messages.replaceChildren(); showHandoffs(); });
  refresh.addEventListener("click", () => showHandoffs());
  await showHandoffs();
  return null;
}
