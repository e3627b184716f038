// The Video page's presenter tab: upload (or reuse) a portrait or describe a designed avatar, type the script, name the banner, pick
// the aspect and a voice; preview the first sentence at a small size, or render the whole clip as a job
// with live progress, then play it with its cover and subtitles to download.
import { h, field, errorBox, busy, select, jobView } from "../ui.js";
import { t } from "../i18n.js";
import { request } from "../api.js";

const SIZES = { "9:16": "720x1280", "16:9": "1280x720", "1:1": "720x720" };
const PREVIEW_SIZES = { "9:16": "360x640", "16:9": "640x360", "1:1": "360x360" };
const MAX_SCRIPT = 2000;  // MAX_SCRIPT_CHARS of the presenter backend
const PALETTES = ["ocean", "sky", "sage", "forest", "cream", "festive", "navy", "midnight", "sakura", "tech"];

// One slide per line, for the script's line of the same number: "Title: point; point" ("-": none),
// as the presenter's panels (the same format as the CLI's --slide and the app's slides).
export function panelsOf(text) {
  const lines = text.split("\n").map((l) => l.trim());
  while (lines.length && !lines[lines.length - 1]) lines.pop();
  return lines.map((line) => {
    if (!line || line === "-") return null;
    const m = line.match(/^([^:：]*)[:：](.*)$/);
    if (!m) return { title: line, bullets: [] };
    return { title: m[1].trim(), bullets: m[2].split(/[;；]/).map((b) => b.trim()).filter(Boolean) };
  });
}

// Portraits uploaded before (input_reference uploads the caller may read), newest first.
async function earlierPortraits() {
  try {
    const list = await (await request("/v1/artifacts?limit=300")).json();
    return (list.data || []).filter((a) => /^image\/(png|jpeg|webp)$/.test(a.mime)
      && ((a.meta || {}).role === "input_reference" || /^(reference|portrait)/.test(a.name || "")));
  } catch { return []; }
}

function firstSentence(text) {
  const m = text.trim().match(/^[^。！？!?.]+[。！？!?.]?/);
  return m ? m[0] : text.trim();
}

// The presenter form as a section (``hidden``: shown by renderPresenter).
export function presenterSection() {
  const state = { url: null };
  const photo = h("input", { type: "file", name: "portrait", id: "presenter-portrait", accept: "image/*" });
  const earlier = select([["", t("presenter.earlier_none")]], "", { name: "earlier", id: "presenter-earlier" });
  const thumb = h("img", { id: "presenter-thumb", alt: t("presenter.portrait"), hidden: true, class: "portrait-thumb" });
  const avatar = h("input", { name: "avatar", id: "presenter-avatar", maxlength: 300, placeholder: t("presenter.avatar_placeholder") });
  const script = h("textarea", { name: "script", id: "presenter-script", rows: 5, maxlength: MAX_SCRIPT, required: true, placeholder: t("presenter.script_hint") });
  const name = h("input", { name: "name", id: "presenter-name", maxlength: 60 });
  const title = h("input", { name: "title", id: "presenter-title", maxlength: 80 });
  const voice = h("input", { name: "voice", id: "presenter-voice", maxlength: 64, placeholder: t("presenter.voice_hint") });
  const aspect = select(Object.keys(SIZES).map((a) => [a, a]), "9:16", { name: "aspect", id: "presenter-aspect" });
  const background = select([["blur", t("presenter.bg_blur")], ["colour", t("presenter.bg_colour")], ["scene", t("presenter.bg_scene")]], "blur", { name: "background", id: "presenter-background" });
  const colour = h("input", { type: "color", name: "background_colour", value: "#1f2a44" });
  const palette = select(PALETTES.map((p) => [p, p]), "ocean", { name: "palette", id: "presenter-palette" });
  const slides = h("textarea", { name: "slides", id: "presenter-slides", rows: 3, maxlength: 8000, placeholder: t("presenter.slides_placeholder") });
  const go = h("button", { type: "submit", class: "primary", id: "presenter-run" }, t("presenter.run"));
  const previewButton = h("button", { type: "button", id: "presenter-preview" }, t("presenter.preview"));
  const err = errorBox();
  const progress = h("div", { id: "presenter-job" });
  const out = h("div", { id: "presenter-result" });
  const form = h("form", { class: "panel", id: "presenter-form" },
    h("p", { class: "hint" }, t("presenter.intro")),
    h("div", { class: "cols" }, field(t("presenter.portrait"), photo, t("presenter.portrait_hint")),
      field(t("presenter.earlier"), earlier, t("presenter.earlier_hint"))), thumb,
    field(t("presenter.avatar"), avatar, t("presenter.avatar_hint")),
    field(t("presenter.script"), script),
    h("div", { class: "cols" }, field(t("presenter.name"), name), field(t("presenter.title"), title)),
    h("div", { class: "cols" }, field(t("presenter.aspect"), aspect), field(t("presenter.voice"), voice)),
    h("div", { class: "cols" }, field(t("presenter.background"), background), field(t("presenter.colour"), colour), field(t("presenter.palette"), palette)),
    field(t("presenter.slides"), slides, t("presenter.slides_hint")),
    err, h("div", { class: "row" }, go, previewButton), progress);
  const section = h("section", { id: "presenter-tab", hidden: true }, form, out);

  photo.addEventListener("change", () => {
    if (state.url) URL.revokeObjectURL(state.url);
    const f = photo.files[0];
    state.url = f ? URL.createObjectURL(f) : null;
    thumb.hidden = !f;
    if (f) { thumb.src = state.url; earlier.value = ""; }
  });
  earlier.addEventListener("change", () => {
    if (!earlier.value) { thumb.hidden = !photo.files.length; return; }
    photo.value = "";
    thumb.src = `/v1/artifacts/${encodeURIComponent(earlier.value)}`;
    thumb.hidden = false;
  });
  earlierPortraits().then((items) => {
    for (const a of items) {
      const when = new Date((a.created_at || 0) * 1000).toISOString().slice(0, 16).replace("T", " ");
      earlier.append(h("option", { value: a.id }, `${when} · ${a.id.slice(-6)}`));
    }
  });

  const run = (button, preview) => busy(button, err, form, async () => {
    if (!form.reportValidity()) return;
    const drawn = avatar.value.trim();
    const chosen = photo.files.length || earlier.value;
    if (!chosen === !drawn) {  // a photo or a designed avatar: one of them
      const where = chosen ? avatar : photo;
      where.setCustomValidity(t(chosen ? "presenter.one_host" : "presenter.need_portrait"));
      where.reportValidity();
      where.setCustomValidity("");
      return;
    }
    const options = { subtitles: "both" };
    if (drawn) options.avatar = drawn;
    if (name.value.trim()) options.name = name.value.trim();
    if (title.value.trim()) options.title = title.value.trim();
    if (voice.value.trim()) options.voice = voice.value.trim();
    if (background.value === "colour") Object.assign(options, { background: "colour", background_colour: colour.value });
    if (background.value === "scene") Object.assign(options, { background: "scene", scene: { palette: palette.value } });
    const panels = panelsOf(slides.value);
    if (panels.length && !preview) options.panels = panels;
    if (panels.length && preview && panels[0]) options.panels = [panels[0]];
    const fd = new FormData();
    fd.append("model", "presenter");
    fd.append("prompt", preview ? firstSentence(script.value) : script.value);
    fd.append("size", (preview ? PREVIEW_SIZES : SIZES)[aspect.value]);
    fd.append("presenter", JSON.stringify(options));
    if (chosen) fd.append("input_reference", photo.files.length ? photo.files[0] : earlier.value);
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
