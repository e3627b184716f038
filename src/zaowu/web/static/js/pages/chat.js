// Chat: streaming replies, model picker, system prompt and a JSON (structured output) toggle.
import { h, field, errorBox, showError, copyButton, select } from "../ui.js";
import { t } from "../i18n.js";
import { get, stream } from "../api.js";

export async function loadModels(modality) {
  try {
    const models = (await get("/v1/models")).data.filter((m) => m.modality === modality);
    return [["", t("common.default_model")], ...models.map((m) => [m.id, m.name || m.id])];
  } catch { return [["", t("common.default_model")]]; }
}

export async function render(main, params) {
  const history = [];
  let controller = null;
  const model = select(await loadModels("text"), params.model || "", { name: "model" });
  const system = h("textarea", { name: "system", rows: 2, placeholder: t("chat.system_placeholder") }, params.system || "");
  const json = h("input", { type: "checkbox", name: "response_format", checked: params.json === "1" });
  const seed = h("input", { type: "number", name: "seed", min: 0, value: params.seed ?? "" });
  const prompt = h("textarea", { name: "messages", rows: 3, required: true, placeholder: t("chat.placeholder") }, params.prompt || "");
  const send = h("button", { type: "submit", class: "primary" }, t("chat.send"));
  const stop = h("button", { type: "button", hidden: true }, t("chat.stop"));
  const clear = h("button", { type: "button" }, t("chat.clear"));
  const messages = h("div", { class: "messages", "aria-live": "polite", id: "chat-messages" });
  const err = errorBox();
  const form = h("form", { class: "panel" },
    h("div", { class: "cols" }, field(t("common.model"), model), field(t("chat.system"), system)),
    h("div", { class: "cols" }, field(t("common.seed"), seed, t("common.seed_hint")),
      h("div", { class: "row" }, h("label", { class: "inline" }, json, t("chat.json")))),
    field(t("chat.message"), prompt), err, h("div", { class: "row" }, send, stop, clear));
  main.append(h("h1", {}, t("nav.chat")), h("div", { class: "panel" }, messages), form);

  prompt.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) form.requestSubmit(); });
  clear.addEventListener("click", () => { history.length = 0; messages.replaceChildren(); });
  stop.addEventListener("click", () => controller && controller.abort());
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const text = prompt.value.trim();
    if (!text) return;
    history.push({ role: "user", content: text });
    messages.append(h("div", { class: "msg user" }, text));
    const out = h("div", { class: "msg assistant", "data-role": "assistant" });
    const reply = h("div", { class: "reply" });
    out.append(reply);
    messages.append(out);
    prompt.value = "";
    const body = { model: model.value || null, stream: true,
      messages: [...(system.value.trim() ? [{ role: "system", content: system.value.trim() }] : []), ...history] };
    if (seed.value !== "") body.seed = Number(seed.value);
    if (json.checked) body.response_format = { type: "json_object" };
    controller = new AbortController();
    send.disabled = true; stop.hidden = false;
    showError(err, null, form);
    try {
      await stream("/v1/chat/completions", body, (chunk) => {
        const delta = chunk.choices && chunk.choices[0] && chunk.choices[0].delta;
        if (delta && delta.content) reply.textContent += delta.content;
      }, controller.signal);
      history.push({ role: "assistant", content: reply.textContent });
      out.append(h("div", { class: "row" }, copyButton(() => reply.textContent)));
      out.dataset.done = "1";
    } catch (e) {
      if (e.name !== "AbortError") { showError(err, e, form); out.remove(); history.pop(); prompt.value = text; }
      else { history.push({ role: "assistant", content: reply.textContent }); out.dataset.done = "1"; }
    } finally { send.disabled = false; stop.hidden = true; controller = null; }
  });
  if (params.prompt) send.focus(); else prompt.focus();
  return () => controller && controller.abort();
}
