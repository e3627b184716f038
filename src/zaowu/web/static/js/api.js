// The studio's HTTP client: JSON calls, streamed POSTs (server-sent events) and job events.
// Errors arrive as ApiError with the server's message and the field it names (param).
export class ApiError extends Error {
  constructor(message, { status = 0, param = null, code = null } = {}) {
    super(message);
    this.status = status;
    this.param = param;
    this.code = code;
  }
}

let onAuthNeeded = () => {};
export function setAuthHandler(fn) { onAuthNeeded = fn; }

async function failure(r) {
  let body = null;
  try { body = await r.json(); } catch { /* not JSON */ }
  const e = body && body.error ? body.error : { message: `${r.status} ${r.statusText}` };
  if (r.status === 401) onAuthNeeded(e.message);
  return new ApiError(e.message || String(r.status), { status: r.status, param: e.param, code: e.code });
}

export async function request(path, { method = "GET", json, form, signal } = {}) {
  const init = { method, signal, credentials: "same-origin", headers: {} };
  if (json !== undefined) { init.body = JSON.stringify(json); init.headers["Content-Type"] = "application/json"; }
  if (form) init.body = form;
  const r = await fetch(path, init);
  if (!r.ok) throw await failure(r);
  return r;
}

export async function get(path, opts) { return (await request(path, opts)).json(); }
export async function post(path, json, opts = {}) { return (await request(path, { ...opts, method: "POST", json })).json(); }
export async function del(path) { return (await request(path, { method: "DELETE" })).json(); }

// POST and read `data: {...}` events as they arrive; onData gets each parsed payload.
export async function stream(path, json, onData, signal) {
  const r = await request(path, { method: "POST", json, signal });
  const reader = r.body.getReader();
  const decoder = new TextDecoder();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, cut);
      buf = buf.slice(cut + 2);
      for (const line of block.split("\n")) {
        if (!line.startsWith("data:")) continue;
        const data = line.slice(5).trim();
        if (data === "[DONE]") return;
        const payload = JSON.parse(data);
        if (payload.error) throw new ApiError(payload.error.message, payload.error);
        onData(payload);
      }
    }
  }
}

// Follow a job's events until it ends; resolves with the final job object.
export function followJob(id, { onProgress, onState, onArtifact } = {}) {
  return new Promise((resolve) => {
    const es = new EventSource(`/v1/jobs/${encodeURIComponent(id)}/events`);
    const parse = (ev) => JSON.parse(ev.data);
    es.addEventListener("progress", (ev) => onProgress && onProgress(parse(ev)));
    es.addEventListener("state", (ev) => onState && onState(parse(ev)));
    es.addEventListener("artifact", (ev) => onArtifact && onArtifact(parse(ev)));
    es.addEventListener("end", (ev) => { es.close(); resolve(parse(ev)); });
    es.onerror = async () => {  // the server closed the stream or went away: ask once for the job itself
      if (es.readyState === EventSource.CLOSED) {
        try { resolve(await get(`/v1/jobs/${encodeURIComponent(id)}`)); } catch (e) { resolve({ state: "failed", error: e.message }); }
      }
    };
  });
}
