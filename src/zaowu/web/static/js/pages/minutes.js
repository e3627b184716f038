// Meeting minutes: upload a recording (or paste a transcript), follow the job's progress, then the
// minutes (summary, decisions, action items, open questions), the timestamped transcript, the checks
// that failed, and the Markdown and Word files to download.
import { h, field, errorBox, showError, jobView, select, preview } from "../ui.js";
import { t } from "../i18n.js";
import { ApiError, post, request } from "../api.js";

const APP = "meeting-minutes";

export async function render(main, params) {
  main.append(h("h1", {}, t("nav.minutes")), h("p", { class: "hint" }, t("minutes.intro")));
  const file = h("input", { type: "file", name: "file", accept: "audio/*,video/webm,.m4a,.mp3,.wav,.webm,.ogg" });
  const text = h("textarea", { name: "transcript", rows: 6, maxlength: 200000, placeholder: t("minutes.transcript_placeholder") }, params.transcript || "");
  const date = h("input", { type: "date", name: "date", value: params.date || new Date().toISOString().slice(0, 10) });
  const lang = select([["", t("audio.detect")], ["zh", "中文"], ["en", "English"]], params.language || "", { name: "language" });
  const people = h("input", { type: "text", name: "attendees", maxlength: 2000, value: params.attendees || "", placeholder: t("minutes.attendees_placeholder") });
  const go = h("button", { type: "submit", class: "primary" }, t("minutes.go"));
  const err = errorBox();
  const progress = h("div", { id: "minutes-progress" });
  const result = h("div", { id: "minutes-result" });
  const form = h("form", { class: "panel", id: "minutes-form" },
    field(t("minutes.recording"), file, t("minutes.recording_hint")),
    field(t("minutes.transcript"), text, t("minutes.transcript_hint")),
    h("div", { class: "cols" }, field(t("minutes.date"), date, t("minutes.date_hint")), field(t("common.language"), lang)),
    field(t("minutes.attendees"), people, t("minutes.attendees_hint")),
    err, h("div", { class: "row" }, go), progress);
  main.append(form, result);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    go.disabled = true; result.replaceChildren(); showError(err, null, form); delete form.dataset.done;
    try {
      const job = await start(file, text, date.value, lang.value, people.value);
      const final = await jobView(job, progress);
      if (final.state !== "succeeded") throw new Error(final.error || t(`state.${final.state}`));
      show(final.result || {}, result);
      form.dataset.done = "1";
    } catch (e) { showError(err, e, form); } finally { go.disabled = false; }
  });
}

async function start(file, text, date, language, attendees) {
  if (file.files.length) {
    const fd = new FormData();
    fd.append("file", file.files[0]);
    if (date) fd.append("date", date);
    if (language) fd.append("language", language);
    if (attendees.trim()) fd.append("attendees", attendees);
    fd.append("async", "true");
    return (await request(`/v1/apps/${APP}/recording`, { method: "POST", form: fd })).json();
  }
  if (!text.value.trim()) throw new ApiError(t("minutes.need_input"), { param: "file" });
  const names = attendees.split(/[,，、;；\n]+/).map((n) => n.trim()).filter(Boolean);
  const input = { transcript: text.value, ...(date ? { date } : {}), ...(language ? { language } : {}), ...(names.length ? { attendees: names } : {}) };
  return post(`/v1/apps/${APP}`, { input, async: true });
}

const list = (items, empty) => (items.length
  ? h("ul", {}, ...items.map((n) => h("li", {}, n.stamp ? h("time", {}, n.stamp) : null, n.stamp ? " " : null, n.text)))
  : h("p", { class: "hint" }, empty));

function stampOf(at) {
  if (at == null) return "";
  const s = Math.floor(at);
  const p = (n) => String(n).padStart(2, "0");
  return s >= 3600 ? `[${Math.floor(s / 3600)}:${p(Math.floor(s / 60) % 60)}:${p(s % 60)}]` : `[${p(Math.floor(s / 60))}:${p(s % 60)}]`;
}

function show(run, box) {
  const res = run.result || {};
  const none = t("minutes.none");
  const notes = (xs) => (xs || []).map((n) => ({ text: n.text, stamp: stampOf(n.at) }));
  const actions = res.action_items || [];
  const table = actions.length
    ? h("div", { class: "table-wrap" }, h("table", { id: "minutes-actions" },
        h("thead", {}, h("tr", {}, ...["owner", "task", "due", "time"].map((c) => h("th", { scope: "col" }, t(`minutes.${c}`))))),
        h("tbody", {}, ...actions.map((a) => h("tr", {},
          h("td", {}, a.owner || "—"),
          h("td", {}, a.task, ...(a.flags || []).map((f) => h("span", { class: "tag", title: f }, ` ⚠ ${f}`))),
          h("td", {}, a.due || "—"),
          h("td", {}, stampOf(a.at)))))))
    : h("p", { class: "hint" }, none);
  const failed = (res.checks || []).filter((c) => !c.ok);
  const files = [res.markdown_file, res.docx].filter(Boolean);
  box.append(
    h("h2", {}, t("minutes.summary")), h("p", { class: "output", id: "minutes-summary" }, res.summary || ""),
    (res.attendees || []).length ? h("p", {}, h("strong", {}, `${t("minutes.attendees")}: `), res.attendees.join(", ")) : null,
    h("h2", {}, t("minutes.decisions")), list(notes(res.decisions), none),
    h("h2", {}, t("minutes.actions")), table,
    h("h2", {}, t("minutes.questions")), list(notes(res.open_questions), none),
    failed.length ? h("details", { class: "checks" }, h("summary", {}, t("minutes.checks_failed", { n: failed.length })),
      h("ul", {}, ...failed.map((c) => h("li", {}, `${c.name}: ${c.detail}`)))) : null,
    h("h2", {}, t("minutes.files")), h("div", { class: "variants", id: "minutes-files" }, ...files.map((a) => h("figure", {}, preview(a)))),
    h("h2", {}, t("minutes.transcript")),
    h("ol", { class: "subtitles", id: "minutes-transcript" }, ...(res.transcript || []).map((l) => h("li", {},
      l.stamp ? h("time", {}, l.stamp) : null, l.stamp ? " " : null, l.speaker ? h("strong", {}, `${l.speaker}: `) : null, l.text))));
}
