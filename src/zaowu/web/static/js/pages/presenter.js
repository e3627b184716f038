// The Video page's presenter tab: upload (or reuse) a portrait, type the script, name the banner, pick
// the aspect and a voice; preview the first sentence at a small size, or render the whole clip as a job
// with live progress, then play it with its cover and subtitles to download.
import { h, field, errorBox, busy, select, jobView } from "../ui.js";
import { t } from "../i18n.js";
import { request } from "../api.js";

const SIZES = { "9:16": "720x1280", "16:9": "1280x720", "1:1": "720x720" };
const PREVIEW_SIZES = { "9:16": "360x640", "16:9": "640x360", "1:1": "360x360" };
const MAX_SCRIPT = 2000;  // MAX_SCRIPT_CHARS of the presenter backend

function firstSentence(text) {
  const m = text.trim().match(/^[^。！？!?.]+[。！？!?.]?/);
  return m ? m[0] : text.trim();
}

// The presenter form as a section (``hidden``: shown by renderPresenter).
export function presenterSection() {
  const state = { url: null };
  const photo = h("input", { type: "file", name: "portrait", id: "presenter-portrait", accept: "image/*", required: true });
  const thumb = h("img", { id: "presenter-thumb", alt: t("presenter.portrait"), hidden: true, class: "portrait-thumb" });
  const script = h("textarea", { name: "script", id: "presenter-script", rows: 5, maxlength: MAX_SCRIPT, required: true, placeholder: t("presenter.script_hint") });
  const name = h("input", { name: "name", id: "presenter-name", maxlength: 60 });
  const title = h("input", { name: "title", id: "presenter-title", maxlength: 80 });
  const voice = h("input", { name: "voice", id: "presenter-voice", maxlength: 64, placeholder: t("presenter.voice_hint") });
  const aspect = select(Object.keys(SIZES).map((a) => [a, a]), "9:16", { name: "aspect", id: "presenter-aspect" });
  const background = select([["blur", t("presenter.bg_blur")], ["colour", t("presenter.bg_colour")]], "blur", { name: "background" });
  const colour = h("input", { type: "color", name: "background_colour", value: "#1f2a44" });
  const go = h("button", { type: "submit", class: "primary", id: "presenter-run" }, t("presenter.run"));
  const previewButton = h("button", { type: "button", id: "presenter-preview" }, t("presenter.preview"));
  const err = errorBox();
  const progress = h("div", { id: "presenter-job" });
  const out = h("div", { id: "presenter-result" });
  const form = h("form", { class: "panel", id: "presenter-form" },
    h("p", { class: "hint" }, t("presenter.intro")),
    field(t("presenter.portrait"), photo, t("presenter.portrait_hint")), thumb,
    field(t("presenter.script"), script),
    h("div", { class: "cols" }, field(t("presenter.name"), name), field(t("presenter.title"), title)),
    h("div", { class: "cols" }, field(t("presenter.aspect"), aspect), field(t("presenter.voice"), voice)),
    h("div", { class: "cols" }, field(t("presenter.background"), background), field(t("presenter.colour"), colour)),
    err, h("div", { class: "row" }, go, previewButton), progress);
  const section = h("section", { id: "presenter-tab", hidden: true }, form, out);

  photo.addEventListener("change", () => {
    if (state.url) URL.revokeObjectURL(state.url);
    const f = photo.files[0];
    state.url = f ? URL.createObjectURL(f) : null;
    thumb.hidden = !f;
    if (f) thumb.src = state.url;
  });

  const run = (button, preview) => busy(button, err, form, async () => {
    if (!form.reportValidity()) return;
    const options = { subtitles: "both" };
    if (name.value.trim()) options.name = name.value.trim();
    if (title.value.trim()) options.title = title.value.trim();
    if (voice.value.trim()) options.voice = voice.value.trim();
    if (background.value === "colour") Object.assign(options, { background: "colour", background_colour: colour.value });
    const fd = new FormData();
    fd.append("model", "presenter");
    fd.append("prompt", preview ? firstSentence(script.value) : script.value);
    fd.append("size", (preview ? PREVIEW_SIZES : SIZES)[aspect.value]);
    fd.append("presenter", JSON.stringify(options));
    fd.append("input_reference", photo.files[0]);
    const video = await (await request("/v1/videos", { method: "POST", form: fd })).json();
    out.replaceChildren();
    const final = await jobView({ id: video.id, state: "queued", progress: 0 }, progress);
    if (final.state !== "succeeded") return;
    show(video.id, final.result || {});
  });
  form.addEventListener("submit", (ev) => { ev.preventDefault(); run(go, false); });
  previewButton.addEventListener("click", () => run(previewButton, true));

  function show(id, res) {
    const src = `/v1/videos/${encodeURIComponent(id)}/content`;
    const player = h("video", { id: "presenter-video", src, controls: true, preload: "auto", playsinline: true, "aria-label": t("presenter.result") });
    const files = [h("li", {}, h("a", { href: src, download: "presenter.mp4" }, `⬇ ${t("common.download")} presenter.mp4`))];
    const arts = res.artifacts || {};
    if (arts.thumbnail) files.push(h("li", {}, h("a", { href: `/v1/artifacts/${arts.thumbnail}`, download: "cover.png" }, `⬇ ${t("presenter.cover")}`)));
    if (arts.srt) files.push(h("li", {}, h("a", { href: `/v1/artifacts/${arts.srt}`, download: "presenter.srt" }, `⬇ ${t("presenter.srt")}`)));
    out.replaceChildren(h("section", { class: "panel" }, h("h2", {}, t("presenter.result")), player,
      h("p", { class: "hint", id: "presenter-summary" }, `${res.size || ""} · ${res.seconds ?? ""} s`),
      h("ul", { class: "files" }, ...files)));
  }
  section.cleanup = () => { if (state.url) URL.revokeObjectURL(state.url); };
  return section;
}

// The Video page's presenter tab (pages/video.js): the section shown in ``main``; returns its cleanup.
export function renderPresenter(main) {
  const section = presenterSection();
  section.hidden = false;
  main.append(section);
  return section.cleanup;
}
