// Small DOM helpers shared by every page: an element builder, labelled fields, error display
// that highlights the field the server named, media previews and a job progress view.
import { t } from "./i18n.js";
import { ApiError, del, followJob, get, request } from "./api.js";

let uid = 0;
export const nextId = (p = "f") => `${p}-${++uid}`;

// h("button", {class: "primary", onclick: fn}, "text", child...)
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c != null && c !== false) el.append(c instanceof Node ? c : String(c));
  return el;
}

// A label + control pair; `name` lets errors from the server find the control.
export function field(labelText, control, hint) {
  control.id ||= nextId();
  const parts = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    const hid = nextId("hint");
    control.setAttribute("aria-describedby", hid);
    parts.push(h("p", { class: "hint", id: hid }, hint));
  }
  return h("div", { class: "field" }, ...parts);
}

export function select(options, value, attrs = {}) {
  const el = h("select", attrs);
  for (const o of options) {
    const [v, label] = Array.isArray(o) ? o : [o, o];
    el.append(h("option", { value: v, selected: String(v) === String(value) }, label));
  }
  return el;
}

// Show an error in `box` and mark the field the server named (param "input.name" → [name=name]).
export function showError(box, err, scope) {
  if (scope) scope.querySelectorAll(".invalid").forEach((e) => { e.classList.remove("invalid"); e.removeAttribute("aria-invalid"); });
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = err.message || String(err);
  if (!(err instanceof ApiError) || !err.param || !scope) return;
  const parts = String(err.param).split(".");
  for (let i = 0; i < parts.length; i++) {
    const name = parts.slice(i).join(".");
    const target = scope.querySelector(`[name="${CSS.escape(name)}"]`);
    if (target) {
      target.classList.add("invalid");
      target.setAttribute("aria-invalid", "true");
      target.focus();
      return;
    }
  }
}

export function errorBox() { return h("p", { class: "error", role: "alert", hidden: true }); }

// Run an async action with its button disabled; errors go to `box`.
export async function busy(button, box, scope, fn) {
  button.disabled = true;
  showError(box, null, scope);
  try { return await fn(); } catch (e) { if (e.name !== "AbortError") showError(box, e, scope); } finally { button.disabled = false; }
}

export function download(filename, text, mime = "text/plain") {
  const url = URL.createObjectURL(new Blob([text], { type: `${mime};charset=utf-8` }));
  const a = h("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function copyButton(getText) {
  const b = h("button", { type: "button" }, t("common.copy"));
  b.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(getText()); b.textContent = t("common.copied"); } catch { b.textContent = t("common.copy_failed"); }
    setTimeout(() => (b.textContent = t("common.copy")), 1500);
  });
  return b;
}

// Stored HTML is served as an attachment (it must never run on the studio's origin): its text is
// shown in a frame sandboxed to an opaque origin with no script.
function htmlFrame(url, name) {
  const frame = h("iframe", { title: name, sandbox: "" });
  request(url).then((r) => r.text()).then((html) => { frame.srcdoc = html; }).catch(() => {});
  return frame;
}

// A preview of one artifact by its type, always with a download link.
export function preview(a) {
  const url = a.url || `/v1/artifacts/${a.id || a.artifact_id}`;
  const mime = a.mime || "";
  const name = a.name || (a.id || a.artifact_id);
  let body = null;
  if (mime.startsWith("image/")) body = h("img", { src: url, alt: name, loading: "lazy" });
  else if (mime.startsWith("audio/")) body = h("audio", { src: url, controls: true, preload: "metadata", "aria-label": name });
  else if (mime.startsWith("video/")) body = h("video", { src: url, controls: true, preload: "metadata", "aria-label": name });
  else if (mime.startsWith("text/html")) body = htmlFrame(url, name);
  return h("div", { class: "preview" }, body, h("p", {}, h("a", { href: url, download: name }, `⬇ ${t("common.download")} ${name}`)));
}

export function stateTag(state) { return h("span", { class: `tag state-${state}` }, t(`state.${state}`)); }

// A job's live progress with a cancel button; resolves with the final job.
export function jobView(job, container) {
  const bar = h("progress", { max: 1, value: job.progress || 0, "aria-label": t("jobs.progress") });
  const msg = h("span", { class: "hint", "aria-live": "polite" }, job.message || "");
  const tag = h("span", {}, stateTag(job.state));
  const cancel = h("button", { type: "button", class: "danger" }, t("jobs.cancel"));
  cancel.addEventListener("click", async () => { cancel.disabled = true; await del(`/v1/jobs/${job.id}`).catch(() => {}); });
  container.replaceChildren(h("div", { class: "panel job", "data-job": job.id }, h("div", { class: "row" }, tag, msg, cancel), bar));
  return followJob(job.id, {
    onProgress: (e) => { bar.value = e.progress ?? bar.value; msg.textContent = e.message || ""; },
    onState: (e) => tag.replaceChildren(stateTag(e.state)),
  }).then((final) => {
    tag.replaceChildren(stateTag(final.state));
    cancel.remove();
    if (final.state === "succeeded") bar.value = 1;
    if (final.error) msg.textContent = final.error;
    return final;
  });
}

export function fmtTime(iso) {
  if (!iso) return "";
  const d = typeof iso === "number" ? new Date(iso * 1000) : new Date(iso);
  return d.toLocaleString();
}

// The list at `path`, or null after telling the user why not (404: this server lacks the feature).
export async function loadList(main, path, unavailableKey) {
  try { return (await get(path)).data; } catch (e) {
    main.append(h("p", { class: "notice" }, e instanceof ApiError && e.status === 404 ? t(unavailableKey) : e.message));
    return null;
  }
}
