// Audio: speak (voice picker + player), transcribe an upload (subtitles shown and downloadable),
// and music (player + MIDI download).
import { h, field, errorBox, busy, select, download, preview } from "../ui.js";
import { t } from "../i18n.js";
import { get, post, request } from "../api.js";

const TABS = ["speak", "transcribe", "music"];

export async function render(main, params) {
  const tab = TABS.includes(params.tab) ? params.tab : "speak";
  const panels = { speak: speak, transcribe: transcribe, music: music };
  const tabs = h("div", { class: "tabs", role: "tablist", "aria-label": t("nav.audio") });
  const body = h("div", { role: "tabpanel", id: "audio-panel" });
  main.append(h("h1", {}, t("nav.audio")), tabs, body);
  const show = async (name, values = {}) => {
    tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
    body.setAttribute("aria-labelledby", `tab-${name}`);
    body.replaceChildren();
    await panels[name](body, values);
  };
  for (const name of TABS) {
    const b = h("button", { type: "button", role: "tab", id: `tab-${name}`, "data-tab": name, "aria-controls": "audio-panel" }, t(`audio.${name}`));
    b.addEventListener("click", () => show(name));
    b.addEventListener("keydown", (ev) => {
      const i = TABS.indexOf(name) + (ev.key === "ArrowRight" ? 1 : ev.key === "ArrowLeft" ? -1 : 0);
      if (i !== TABS.indexOf(name)) { const next = TABS[(i + TABS.length) % TABS.length]; show(next); tabs.querySelector(`[data-tab=${next}]`).focus(); }
    });
    tabs.append(b);
  }
  await show(tab, params);
}

async function speak(box, params) {
  let voices = [];
  try { voices = (await get("/v1/audio/voices")).data; } catch { /* the default voice still works */ }
  const text = h("textarea", { name: "input", rows: 4, required: true }, params.input || t("audio.speak_sample"));
  const voice = select([["", t("audio.auto_voice")], ...voices.map((v) => [v.id, `${v.id} · ${v.language} · ${v.description}`])], params.voice || "", { name: "voice" });
  const speed = h("input", { type: "number", name: "speed", min: 0.25, max: 4, step: 0.05, value: 1 });
  const go = h("button", { type: "submit", class: "primary" }, t("audio.speak_go"));
  const err = errorBox();
  const out = h("div", { id: "speech-output" });
  const form = h("form", { class: "panel" }, field(t("audio.text"), text), h("div", { class: "cols" }, field(t("audio.voice"), voice), field(t("audio.speed"), speed)),
    err, h("div", { class: "row" }, go), out);
  box.append(form);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, err, form, async () => {
      const r = await request("/v1/audio/speech", { method: "POST", json: { input: text.value, voice: voice.value || null, speed: Number(speed.value) || 1 } });
      const id = r.headers.get("X-Zaowu-Artifact-Id");
      await r.arrayBuffer();
      out.replaceChildren(preview({ id, mime: r.headers.get("content-type") || "audio/wav", name: "speech.wav" }));
    });
  });
}

const clock = (s, sep) => {
  const ms = Math.round(s * 1000);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(Math.floor(ms / 3600000))}:${p(Math.floor(ms / 60000) % 60)}:${p(Math.floor(ms / 1000) % 60)}${sep}${p(ms % 1000, 3)}`;
};
export const toSrt = (segs) => segs.map((s, i) => `${i + 1}\n${clock(s.start, ",")} --> ${clock(s.end, ",")}\n${s.text.trim()}\n`).join("\n");
export const toVtt = (segs) => "WEBVTT\n\n" + segs.map((s) => `${clock(s.start, ".")} --> ${clock(s.end, ".")}\n${s.text.trim()}\n`).join("\n");

async function transcribe(box) {
  const file = h("input", { type: "file", name: "file", accept: "audio/*,video/*", required: true });
  const lang = select([["", t("audio.detect")], ["zh", "中文"], ["en", "English"]], "", { name: "language" });
  const go = h("button", { type: "submit", class: "primary" }, t("audio.transcribe_go"));
  const err = errorBox();
  const out = h("div", { id: "transcript" });
  const form = h("form", { class: "panel" }, field(t("audio.file"), file), field(t("common.language"), lang), err, h("div", { class: "row" }, go), out);
  box.append(form);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, err, form, async () => {
      const fd = new FormData();
      fd.append("file", file.files[0]);
      fd.append("response_format", "verbose_json");
      if (lang.value) fd.append("language", lang.value);
      const res = await (await request("/v1/audio/transcriptions", { method: "POST", form: fd })).json();
      const segs = res.segments || [];
      const srt = h("button", { type: "button" }, t("audio.download_srt"));
      srt.addEventListener("click", () => download("subtitles.srt", toSrt(segs), "application/x-subrip"));
      const vtt = h("button", { type: "button" }, t("audio.download_vtt"));
      vtt.addEventListener("click", () => download("subtitles.vtt", toVtt(segs), "text/vtt"));
      out.replaceChildren(h("h2", {}, t("audio.subtitles")), h("p", { class: "output" }, res.text || ""),
        h("ol", { class: "subtitles" }, ...segs.map((s) => h("li", {}, h("time", {}, `${clock(s.start, ".")} → ${clock(s.end, ".")}`), s.text.trim()))),
        h("div", { class: "row" }, srt, vtt));
    });
  });
}

async function music(box, params) {
  const prompt = h("textarea", { name: "prompt", rows: 3, required: true, maxlength: 2000 }, params.prompt || "");
  const duration = h("input", { type: "number", name: "duration", min: 5, max: 300, value: params.duration || 20 });
  const seed = h("input", { type: "number", name: "seed", min: 0, value: params.seed ?? "" });
  const go = h("button", { type: "submit", class: "primary" }, t("audio.music_go"));
  const err = errorBox();
  const out = h("div", { id: "music-output" });
  const form = h("form", { class: "panel" }, field(t("audio.music_prompt"), prompt, t("audio.music_hint")),
    h("div", { class: "cols" }, field(t("audio.duration"), duration), field(t("common.seed"), seed, t("common.seed_hint"))),
    err, h("div", { class: "row" }, go), out);
  box.append(form);
  form.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(go, err, form, async () => {
      go.textContent = t("common.working");
      try {
        const res = await post("/v1/audio/music", { prompt: prompt.value, duration: Number(duration.value) || 20, seed: seed.value === "" ? null : Number(seed.value) });
        out.replaceChildren(preview({ url: res.audio.url, mime: res.audio.mime, name: "music.wav" }),
          h("p", {}, h("a", { href: res.midi.url, download: "music.mid" }, `⬇ ${t("audio.download_midi")}`)),
          h("p", { class: "hint" }, `${t("common.seed")} ${res.seed} · ${Math.round(res.duration || 0)} s`),
          res.plan ? h("details", {}, h("summary", {}, t("audio.plan")), h("pre", {}, JSON.stringify(res.plan, null, 2))) : null);
      } finally { go.textContent = t("audio.music_go"); }
    });
  });
  if (params.prompt) go.focus();
}
