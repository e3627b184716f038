// Video page, "Generate" tab: a prompt, an aspect and a length → POST /v1/videos (a job with live progress
// per stage) → the clip plays here with downloads (MP4, SRT, cover); the storyboard's scene texts can be
// edited and the clip re-rendered from the same storyboard and seed (POST /v1/videos/{id}/remix).
import { h, field, errorBox, busy, select, jobView } from "../ui.js";
import { t } from "../i18n.js";
import { get, post } from "../api.js";

const SIZES = { "9:16": "720x1280", "16:9": "1280x720", "1:1": "720x720" };
const PREVIEW_SIZES = { "9:16": "360x640", "16:9": "640x360", "1:1": "360x360" };

export function renderGenerate(main, params = {}) {
  const prompt = h("textarea", { name: "prompt", rows: 3, maxlength: 4000, required: true, placeholder: t("videogen.prompt_hint") }, params.prompt || "");
  const aspect = select(Object.keys(SIZES).map((a) => [a, t(`videogen.aspect.${a}`)]), params.aspect || "9:16", { name: "aspect" });
  const quality = select([["720p", t("videogen.quality.720p")], ["360p", t("videogen.quality.360p")]], params.quality || "720p", { name: "quality" });
  const seconds = h("input", { type: "number", name: "seconds", min: 1, max: 600, step: 1, value: params.seconds || 15, required: true });
  const go = h("button", { type: "submit", class: "primary", id: "videogen-run" }, t("videogen.run"));
  const err = errorBox();
  const progress = h("div", { id: "videogen-job" });
  const result = h("div", { id: "videogen-result" });
  const form = h("form", { class: "panel", id: "videogen-form" },
    field(t("videogen.prompt"), prompt, t("videogen.prompt_help")),
    h("div", { class: "cols" }, field(t("videogen.aspect"), aspect), field(t("videogen.quality"), quality), field(t("videogen.seconds"), seconds)),
    err, h("div", { class: "row" }, go), progress);
  main.append(form, result);

  const size = () => (quality.value === "360p" ? PREVIEW_SIZES : SIZES)[aspect.value];

  // Follow the video's job, then show the clip, its downloads and its storyboard to edit.
  async function follow(video, box) {
    const final = await jobView({ id: video.id, state: "queued", progress: 0, message: "" }, progress);
    if (final.state !== "succeeded") return;
    show(await get(`/v1/videos/${encodeURIComponent(video.id)}`), box);
  }

  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, err, form, async () => {
      if (!form.reportValidity()) return;
      result.replaceChildren();
      const video = await post("/v1/videos", { prompt: prompt.value.trim(), size: size(), seconds: String(seconds.value) });
      await follow(video, err);
    });
  });

  function show(video) {
    const base = `/v1/videos/${encodeURIComponent(video.id)}/content`;
    const player = h("video", { id: "videogen-video", src: base, controls: true, preload: "auto", playsinline: true, "aria-label": t("videogen.result") });
    const downloads = h("ul", { class: "files", id: "videogen-files" },
      h("li", {}, h("a", { href: base, download: "video.mp4" }, `⬇ ${t("videogen.file_mp4")}`)),
      h("li", {}, h("a", { href: `${base}?variant=srt`, download: "video.srt" }, `⬇ ${t("videogen.file_srt")}`)),
      h("li", {}, h("a", { href: `${base}?variant=thumbnail`, download: "cover.png" }, `⬇ ${t("videogen.file_cover")}`)));
    const summary = h("p", { class: "hint", id: "videogen-summary" }, `${video.size} · ${video.seconds} s · ${t("videogen.seed")} ${video.seed}`);
    result.replaceChildren(h("section", { class: "panel" }, h("h2", {}, t("videogen.result")), player, summary, downloads), editor(video));
  }

  // The storyboard's texts per scene, editable; "re-render" sends the edited board as a remix.
  function editor(video) {
    const board = video.storyboard;
    if (!board || !Array.isArray(board.scenes)) return null;
    const rows = board.scenes.map((scene, i) => {
      const base = `storyboard.scenes.${i}`;
      const narration = h("textarea", { name: `${base}.narration`, rows: 2, maxlength: 400 }, scene.narration || "");
      const text = h("input", { name: `${base}.text`, maxlength: 80, value: scene.text || "" });
      const parts = [field(t("videogen.narration"), narration), field(t("videogen.text"), text)];
      let headline = null;
      if (scene.visual && typeof scene.visual === "object") {
        headline = h("input", { name: `${base}.visual.headline`, maxlength: 80, value: scene.visual.headline || "" });
        parts.push(field(t("videogen.headline"), headline));
      }
      return { fieldset: h("fieldset", { class: "op scene", "data-scene": i }, h("legend", {}, t("videogen.scene", { n: i + 1 })), ...parts), narration, text, headline };
    });
    const again = h("button", { type: "submit", class: "primary", id: "videogen-rerender" }, t("videogen.rerender"));
    const boardErr = errorBox();
    const edit = h("form", { class: "panel", id: "videogen-board" }, h("h2", {}, t("videogen.storyboard")), h("p", { class: "hint" }, t("videogen.storyboard_help")),
      ...rows.map((r) => r.fieldset), boardErr, h("div", { class: "row" }, again));
    edit.addEventListener("submit", (ev) => {
      ev.preventDefault();
      busy(again, boardErr, edit, async () => {
        const edited = structuredClone(board);
        rows.forEach((r, i) => {
          const s = edited.scenes[i];
          s.narration = r.narration.value.trim();
          s.text = r.text.value.trim() || null;
          if (r.headline && r.headline.value.trim()) s.visual.headline = r.headline.value.trim();
        });
        const remix = await post(`/v1/videos/${encodeURIComponent(video.id)}/remix`, { prompt: video.prompt || prompt.value.trim(), storyboard: edited });
        await follow(remix, boardErr);
      });
    });
    return edit;
  }
  return null;
}
