// Video: generate (a prompt → storyboard → MP4, in video_generate.js), edit, or a presenter (presenter.js). The editor: upload a clip, scrub to a frame, draw a box on it, pick operations (trim, track,
// remove, style, matte, mute), preview a few seconds from the shown frame or run the whole edit as a
// job with live progress, then compare the clip before and after in two players side by side.
import { h, field, errorBox, busy, select, jobView } from "../ui.js";
import { t } from "../i18n.js";
import { request } from "../api.js";
import { renderGenerate } from "./video_generate.js";
import { renderPresenter } from "./presenter.js";

const PRESETS = ["cartoon", "pencil", "pencil_color", "oil", "stylize"];
const BACKGROUNDS = ["blur", "color", "transparent"];
const PREVIEW_SECONDS = 3;  // length of a preview run from the shown frame

// The page: a tab to generate a video from a prompt (pages/video_generate.js), a tab to edit one, and a tab
// for a talking presenter from a portrait and a script (pages/presenter.js).
const TABS = { generate: renderGenerate, edit: renderEdit, presenter: renderPresenter };

export function render(main, params = {}) {
  const chosen = TABS[params.tab] ? params.tab : "generate";
  const panel = h("div", { role: "tabpanel", id: "video-panel" });
  const tabs = h("div", { role: "tablist", class: "tabs", "aria-label": t("nav.video") });
  let cleanup = null;
  function show(name) {
    if (cleanup) { try { cleanup(); } catch { /* gone */ } }
    for (const b of tabs.children) b.setAttribute("aria-selected", String(b.dataset.tab === name));
    panel.setAttribute("aria-labelledby", `video-tab-${name}`);
    panel.replaceChildren();
    cleanup = TABS[name](panel, params) || null;
  }
  for (const name of Object.keys(TABS)) {
    tabs.append(h("button", { type: "button", role: "tab", id: `video-tab-${name}`, "data-tab": name, "aria-controls": "video-panel", onclick: () => show(name) }, t(`video.tab.${name}`)));
  }
  main.append(h("h1", {}, t("nav.video")), tabs, panel);
  show(chosen);
  return () => { if (cleanup) cleanup(); };
}

function renderEdit(main) {
  const state = { url: null, box: null, drag: null };
  const file = h("input", { type: "file", name: "video", accept: "video/*", required: true });
  const before = h("video", { id: "video-before", controls: true, muted: true, preload: "auto", playsinline: true, "aria-label": t("video.before") });
  const canvas = h("canvas", { class: "box-layer", id: "box-layer", "aria-label": t("video.draw_hint"), role: "img" });
  const stage = h("div", { class: "video-stage", hidden: true }, before, canvas);
  const scrub = h("input", { type: "range", class: "scrub", name: "at", min: 0, max: 0, step: 0.01, value: 0, disabled: true });
  const atLabel = h("output", { id: "video-at" }, "0.00 s");
  const box = h("input", { name: "box", placeholder: "x,y,w,h", pattern: "\\d+,\\d+,\\d+,\\d+" });

  const check = (name) => h("input", { type: "checkbox", name: `use_${name}`, id: `use-${name}` });
  const num = (name, attrs) => h("input", { type: "number", name, step: 0.1, min: 0, ...attrs });
  const uses = Object.fromEntries(["trim", "track", "remove", "style", "matte", "mute"].map((n) => [n, check(n)]));
  const start = num("start", { value: 0 });
  const end = num("end", { value: "" });
  const trackAction = select(["none", "draw", "blur", "pixelate"].map((a) => [a, t(`video.action.${a}`)]), "draw", { name: "action" });
  const preset = select([["", t("video.no_preset")], ...PRESETS.map((p) => [p, t(`video.preset.${p}`)])], "", { name: "preset" });
  const prompt = h("input", { name: "prompt", maxlength: 500, placeholder: t("video.prompt_hint") });
  const background = select(BACKGROUNDS.map((b) => [b, t(`video.bg.${b}`)]), "blur", { name: "background" });
  const opRow = (name, ...controls) => h("fieldset", { class: "op" }, h("legend", {}, h("label", { for: `use-${name}` }, uses[name], " ", t(`video.op.${name}`))), ...controls);

  const go = h("button", { type: "submit", class: "primary" }, t("video.run"));
  const previewButton = h("button", { type: "button", id: "video-preview" }, t("video.preview"));
  const err = errorBox();
  const progress = h("div", { id: "video-job" });
  const compare = h("div", { id: "video-compare" });
  const form = h("form", { class: "panel", id: "video-form" },
    field(t("video.file"), file, t("video.file_hint")), stage,
    field(t("video.scrub"), scrub), h("p", { class: "hint" }, t("video.at"), " ", atLabel),
    field(t("video.box"), box, t("video.draw_hint")),
    opRow("trim", h("div", { class: "cols" }, field(t("video.start"), start), field(t("video.end"), end))),
    opRow("track", field(t("video.track_action"), trackAction)),
    opRow("remove"),
    opRow("style", h("div", { class: "cols" }, field(t("video.preset"), preset), field(t("video.prompt"), prompt))),
    opRow("matte", field(t("video.background"), background)),
    opRow("mute"),
    err, h("div", { class: "row" }, go, previewButton), progress);
  main.append(form, compare);

  file.addEventListener("change", () => {
    if (state.url) URL.revokeObjectURL(state.url);
    const f = file.files[0];
    state.url = f ? URL.createObjectURL(f) : null;
    stage.hidden = !f;
    if (f) before.src = state.url;
    compare.replaceChildren();
  });
  before.addEventListener("loadedmetadata", () => {
    scrub.max = String(before.duration || 0);
    scrub.disabled = false;
    canvas.width = before.videoWidth;
    canvas.height = before.videoHeight;
    if (!end.value) end.value = (before.duration || 0).toFixed(2);
    draw();
  });
  const seek = () => { before.currentTime = Number(scrub.value); atLabel.textContent = `${Number(scrub.value).toFixed(2)} s`; };
  scrub.addEventListener("input", seek);
  before.addEventListener("timeupdate", () => { if (document.activeElement !== scrub) scrub.value = String(before.currentTime); });

  // Box drawing in video pixels: the canvas has the video's size and is stretched over the player.
  const toVideo = (ev) => {
    const r = canvas.getBoundingClientRect();
    return [Math.round(((ev.clientX - r.left) / r.width) * canvas.width), Math.round(((ev.clientY - r.top) / r.height) * canvas.height)];
  };
  function draw() {
    const ctx = canvas.getContext("2d");
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    if (!state.box) return;
    ctx.strokeStyle = "#00ff66";
    ctx.lineWidth = Math.max(2, canvas.width / 200);
    ctx.strokeRect(...state.box);
  }
  function setBox(b) {
    state.box = b;
    box.value = b ? b.join(",") : "";
    draw();
  }
  canvas.addEventListener("pointerdown", (ev) => { before.pause(); canvas.setPointerCapture(ev.pointerId); state.drag = toVideo(ev); });
  canvas.addEventListener("pointermove", (ev) => {
    if (!state.drag) return;
    const [x1, y1] = toVideo(ev);
    const [x0, y0] = state.drag;
    setBox([Math.min(x0, x1), Math.min(y0, y1), Math.abs(x1 - x0), Math.abs(y1 - y0)]);
  });
  canvas.addEventListener("pointerup", () => {
    state.drag = null;
    if (state.box) { uses.track.checked ||= !uses.remove.checked; }
  });
  box.addEventListener("change", () => {
    const parts = box.value.split(",").map((v) => Number(v.trim()));
    setBox(parts.length === 4 && parts.every(Number.isFinite) ? parts : null);
  });

  // The edit's operations; a preview is PREVIEW_SECONDS from the shown frame (where the box was drawn).
  function operations(preview = false) {
    const ops = [];
    const from = Number(scrub.value) || 0;
    const at = preview ? 0 : Math.max(0, from - (uses.trim.checked ? Number(start.value) || 0 : 0));
    const target = state.box ? { box: state.box, at: Number(at.toFixed(3)) } : {};
    if (preview) ops.push({ op: "trim", start: from, end: Math.min(from + PREVIEW_SECONDS, Number(scrub.max) || from + PREVIEW_SECONDS) });
    else if (uses.trim.checked) ops.push({ op: "trim", start: Number(start.value) || 0, ...(end.value ? { end: Number(end.value) } : {}) });
    if (uses.track.checked) ops.push({ op: "track", ...target, action: trackAction.value });
    if (uses.remove.checked) ops.push({ op: "remove", ...target });
    if (uses.style.checked) ops.push({ op: "style", ...(preset.value ? { preset: preset.value } : {}), ...(prompt.value.trim() ? { prompt: prompt.value.trim() } : {}) });
    if (uses.matte.checked) ops.push({ op: "matte", background: background.value });
    if (uses.mute.checked) ops.push({ op: "mute" });
    return ops;
  }

  const run = (button, preview) => busy(button, err, form, async () => {
    if (!form.reportValidity()) return;
    const ops = operations(preview);
    const fd = new FormData();
    fd.append("video", file.files[0]);
    fd.append("operations", JSON.stringify(uses.matte.checked && background.value === "transparent" ? { operations: ops, format: "webm" } : ops));
    const job = await (await request("/v1/videos/edits", { method: "POST", form: fd })).json();
    compare.replaceChildren();
    const final = await jobView(job, progress);
    if (final.state !== "succeeded") return;
    showResult(final.result, preview ? Number(scrub.value) || 0 : 0);
    });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(go, false); });
  previewButton.addEventListener("click", () => run(previewButton, true));

  function showResult(res, offset) {
    const after = h("video", { id: "video-after", src: res.url, controls: true, muted: true, preload: "auto", playsinline: true, "aria-label": t("video.after") });
    const original = h("video", { id: "video-original", src: state.url, controls: true, muted: true, preload: "auto", playsinline: true, "aria-label": t("video.before") });
    const both = h("button", { type: "button" }, t("video.play_both"));
    original.addEventListener("loadedmetadata", () => { original.currentTime = offset; });
    both.addEventListener("click", () => {
      original.currentTime = offset;
      after.currentTime = 0;
      for (const v of [original, after]) v.play().catch(() => {});
    });
    const files = (res.attachments || []).map((a) => h("li", {}, h("a", { href: `/v1/artifacts/${a.artifact_id}`, download: `${a.role}` }, `⬇ ${t(`video.file_${a.role}`)}`)));
    compare.replaceChildren(h("section", { class: "panel" }, h("h2", {}, t("video.compare")),
      h("div", { class: "cols compare" }, h("figure", {}, original, h("figcaption", {}, t("video.before"))), h("figure", {}, after, h("figcaption", {}, t("video.after")))),
      h("div", { class: "row" }, both),
      h("p", { class: "hint", id: "video-summary" }, `${res.width}×${res.height} · ${res.duration} s · ${res.frames} ${t("video.frames")}`),
      h("p", {}, h("a", { href: res.url, download: "edit.mp4" }, `⬇ ${t("common.download")} edit.mp4`)),
      files.length ? h("ul", { class: "files" }, ...files) : null));
  }

  return () => { if (state.url) URL.revokeObjectURL(state.url); };
}
