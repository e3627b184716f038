// Knowledge bases: create one, upload files with progress (upload, then ingest), list its files and
// their chunks, and test a search; delete a knowledge base, or a file from everywhere. Every text from a file is shown as text, never as HTML.
import { h, field, errorBox, showError, busy, select } from "../ui.js";
import { t } from "../i18n.js";
import { ApiError, get, post, del } from "../api.js";

const POLL_MS = 500;

// POST a file to /v1/files with upload progress (fetch has none); resolves with the file object.
function upload(file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append("purpose", "assistants");
    form.append("file", file, file.name);
    xhr.open("POST", "/v1/files");
    xhr.upload.addEventListener("progress", (ev) => ev.lengthComputable && onProgress(ev.loaded / ev.total));
    xhr.addEventListener("load", () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else reject(new ApiError((body && body.error && body.error.message) || String(xhr.status), { status: xhr.status, param: "file" }));
    });
    xhr.addEventListener("error", () => reject(new ApiError(t("kb.upload_failed"), { param: "file" })));
    xhr.send(form);
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function where(x) {
  return [x.filename, x.page ? `p.${x.page}` : null, x.sheet ? `[${x.sheet}]` : null].filter(Boolean).join(" ");
}

export async function render(main, params) {
  let stores = [];
  try { stores = (await get("/v1/vector_stores")).data; } catch (e) { main.append(h("h1", {}, t("nav.knowledge")), h("p", { class: "notice" }, e.message)); return null; }
  const picker = select(stores.map((s) => [s.id, `${s.name || s.id}`]), params.store || (stores[0] && stores[0].id) || "", { name: "vector_store_id" });
  const name = h("input", { name: "name", maxlength: 255, placeholder: t("kb.name_placeholder") });
  const create = h("button", { type: "submit" }, t("kb.create"));
  const createErr = errorBox();
  const createForm = h("form", { class: "panel", id: "kb-create" }, field(t("kb.name"), name), createErr, h("div", { class: "row" }, create));

  const files = h("input", { type: "file", name: "file", multiple: true, accept: ".pdf,.docx,.xlsx,.pptx,.html,.htm,.md,.txt,.csv" });
  const send = h("button", { type: "submit", class: "primary" }, t("kb.upload"));
  const bar = h("progress", { max: 1, value: 0, hidden: true, id: "kb-progress", "aria-label": t("kb.progress") });
  const status = h("p", { class: "hint", id: "kb-status", "aria-live": "polite" });
  const uploadErr = errorBox();
  const dropStore = h("button", { type: "button", id: "kb-delete-store", class: "danger" }, t("kb.delete_store"));
  const uploadForm = h("form", { class: "panel", id: "kb-upload" }, field(t("kb.store"), picker), h("div", { class: "row" }, dropStore), field(t("kb.files"), files, t("kb.files_hint")), bar, status, uploadErr, h("div", { class: "row" }, send));

  const table = h("div", { id: "kb-files" });
  const chunks = h("div", { id: "kb-chunks" });
  const query = h("input", { name: "query", maxlength: 2000, placeholder: t("kb.query_placeholder") });
  const search = h("button", { type: "submit" }, t("common.search"));
  const results = h("ol", { id: "kb-results", class: "results" });
  const searchErr = errorBox();
  const searchForm = h("form", { class: "panel", id: "kb-search" }, field(t("kb.query"), query), searchErr, h("div", { class: "row" }, search), results);

  main.append(h("h1", {}, t("nav.knowledge")), h("p", { class: "hint" }, t("kb.about")), createForm, uploadForm,
    h("h2", {}, t("kb.files_title")), table, chunks, h("h2", {}, t("kb.test_search")), searchForm);

  async function showFiles() {
    table.replaceChildren();
    chunks.replaceChildren();
    if (!picker.value) return;
    const rows = (await get(`/v1/vector_stores/${encodeURIComponent(picker.value)}/files`)).data;
    if (!rows.length) { table.append(h("p", { class: "hint" }, t("kb.no_files"))); return; }
    table.append(h("table", { class: "list" },
      h("thead", {}, h("tr", {}, h("th", {}, t("kb.file")), h("th", {}, t("kb.status")), h("th", {}, t("kb.chunks")), h("th", {}, ""))),
      h("tbody", {}, ...rows.map((r) => h("tr", { "data-file": r.filename },
        h("td", {}, r.filename || r.id), h("td", {}, r.status === "failed" ? `${t("kb.failed")}: ${r.last_error ? r.last_error.message : ""}` : t(`kb.state_${r.status}`)),
        h("td", {}, String(r.chunks ?? "")),
        h("td", {}, r.status === "completed" ? h("button", { type: "button", onclick: () => showChunks(r) }, t("kb.show_chunks")) : "",
          h("button", { type: "button", onclick: () => remove(r) }, t("kb.remove")),
          h("button", { type: "button", class: "danger", onclick: () => deleteFile(r) }, t("kb.delete_file"))))))));
  }

  async function showChunks(row) {
    const body = await get(`/v1/vector_stores/${encodeURIComponent(picker.value)}/files/${encodeURIComponent(row.id)}/content`);
    chunks.replaceChildren(h("h3", {}, body.filename), h("ol", { class: "chunks" },
      ...body.content.map((c) => h("li", {}, h("div", { class: "hint" }, [where({ filename: "", ...c }), (c.heading_path || []).join(" › ")].filter(Boolean).join(" · ")), h("div", { class: "chunk" }, c.text)))));
  }

  async function remove(row) {
    await del(`/v1/vector_stores/${encodeURIComponent(picker.value)}/files/${encodeURIComponent(row.id)}`);
    await showFiles();
  }

  async function deleteFile(row) {
    if (!confirm(t("kb.delete_file_confirm", { name: row.filename || row.id }))) return;
    await del(`/v1/files/${encodeURIComponent(row.id)}`);
    await showFiles();
  }

  dropStore.addEventListener("click", () => busy(dropStore, uploadErr, uploadForm, async () => {
    if (!picker.value) throw new ApiError(t("kb.pick_store"), { param: "vector_store_id" });
    const option = picker.selectedOptions[0];
    if (!confirm(t("kb.delete_store_confirm", { name: option ? option.textContent : picker.value }))) return;
    await del(`/v1/vector_stores/${encodeURIComponent(picker.value)}`);
    option.remove();
    results.replaceChildren();
    await showFiles();
  }));

  createForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(create, createErr, createForm, async () => {
      const store = await post("/v1/vector_stores", { name: name.value.trim() || null });
      picker.append(h("option", { value: store.id }, store.name || store.id));
      picker.value = store.id;
      name.value = "";
      await showFiles();
    });
  });

  uploadForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(send, uploadErr, uploadForm, async () => {
      if (!picker.value) throw new ApiError(t("kb.pick_store"), { param: "vector_store_id" });
      if (!files.files.length) throw new ApiError(t("kb.pick_files"), { param: "file" });
      const list = [...files.files];
      bar.hidden = false;
      const ids = [];
      for (const [i, file] of list.entries()) {  // uploading is the first half of the bar, ingest the second
        status.textContent = t("kb.uploading", { name: file.name });
        const uploaded = await upload(file, (f) => { bar.value = ((i + f) / list.length) / 2; });
        ids.push(uploaded.id);
      }
      status.textContent = t("kb.ingesting");
      let batch = await post(`/v1/vector_stores/${encodeURIComponent(picker.value)}/file_batches`, { file_ids: ids });
      while (batch.status === "in_progress") {
        const done = batch.file_counts.completed + batch.file_counts.failed + batch.file_counts.cancelled;
        bar.value = 0.5 + 0.5 * (done / Math.max(1, batch.file_counts.total));
        await sleep(POLL_MS);
        batch = await get(`/v1/vector_stores/${encodeURIComponent(picker.value)}/file_batches/${encodeURIComponent(batch.id)}`);
      }
      bar.value = 1;
      status.textContent = t("kb.ingested", { done: batch.file_counts.completed, total: batch.file_counts.total });
      files.value = "";
      await showFiles();
    });
  });

  searchForm.addEventListener("submit", (ev) => {
    ev.preventDefault();
    busy(search, searchErr, searchForm, async () => {
      if (!picker.value) throw new ApiError(t("kb.pick_store"), { param: "vector_store_id" });
      const body = await post(`/v1/vector_stores/${encodeURIComponent(picker.value)}/search`, { query: query.value, max_num_results: 5 });
      results.replaceChildren(...body.data.map((r) => h("li", {},
        h("div", { class: "hint" }, `${where({ filename: r.filename, ...(r.attributes || {}) })} · ${r.score.toFixed(3)}`),
        h("div", { class: "chunk" }, r.content.map((c) => c.text).join("\n")))));
      if (!body.data.length) results.append(h("li", {}, t("kb.nothing_found")));
    });
  });

  picker.addEventListener("change", () => showFiles());
  await showFiles();
  return null;
}
