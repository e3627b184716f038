// Jobs: a live list (refreshed every second while the page is open) with progress and cancel.
import { h, stateTag, fmtTime, select, field } from "../ui.js";
import { t } from "../i18n.js";
import { get, del } from "../api.js";

const STATES = ["", "queued", "running", "succeeded", "failed", "cancelled"];

export function render(main) {
  const state = select(STATES.map((s) => [s, s ? t(`state.${s}`) : t("jobs.all")]), "", { name: "state" });
  const body = h("tbody", { id: "job-rows" });
  const status = h("p", { class: "hint", "aria-live": "polite" });
  main.append(h("h1", {}, t("nav.jobs")), h("div", { class: "panel" }, field(t("jobs.state"), state)),
    h("div", { class: "panel table-wrap" }, h("table", {}, h("caption", { class: "sr-only" }, t("nav.jobs")),
      h("thead", {}, h("tr", {}, ...["jobs.kind", "jobs.state", "jobs.progress", "jobs.created", "jobs.actions"].map((k) => h("th", { scope: "col" }, t(k))))),
      body), status));
  const rows = new Map();

  function row(job) {
    let r = rows.get(job.id);
    if (!r) {
      const cancel = h("button", { type: "button", class: "danger", "aria-label": `${t("jobs.cancel")} ${job.id}` }, t("jobs.cancel"));
      cancel.addEventListener("click", async () => { cancel.disabled = true; await del(`/v1/jobs/${job.id}`).catch(() => {}); refresh(); });
      r = { tr: h("tr", { "data-job": job.id }), kind: h("td"), state: h("td"), bar: h("progress", { max: 1, "aria-label": t("jobs.progress") }),
        msg: h("span", { class: "hint" }), created: h("td"), actions: h("td"), cancel, results: h("div", { class: "thumbs" }) };
      r.tr.append(r.kind, r.state, h("td", {}, r.bar, " ", r.msg), r.created, r.actions);
      r.actions.append(cancel, r.results);
      rows.set(job.id, r);
    }
    r.kind.textContent = job.kind;
    r.state.replaceChildren(stateTag(job.state));
    r.tr.dataset.state = job.state;
    r.bar.value = job.progress || 0;
    r.msg.textContent = job.error || job.message || "";
    r.created.textContent = fmtTime(job.created_at);
    r.cancel.hidden = !["queued", "running"].includes(job.state);
    const arts = (job.result && job.result.artifacts) || [];
    if (arts.length && !r.results.childElementCount) {
      r.results.append(...arts.map((a, i) => {
        const id = typeof a === "string" ? a : a.id;
        return h("a", { href: `/v1/artifacts/${id}`, target: "_blank", rel: "noopener" }, `${t("jobs.result")} ${i + 1}`);
      }));
    }
    return r.tr;
  }

  let timer = null;
  let stopped = false;
  async function refresh() {
    try {
      const q = state.value ? `&state=${state.value}` : "";
      const jobs = (await get(`/v1/jobs?limit=50${q}`)).data;
      body.replaceChildren(...jobs.map(row));
      status.textContent = jobs.length ? "" : t("jobs.none");
    } catch (e) { status.textContent = e.message; }
    if (!stopped) timer = setTimeout(refresh, 1000);
  }
  state.addEventListener("change", () => { clearTimeout(timer); refresh(); });
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
