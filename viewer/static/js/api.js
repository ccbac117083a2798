// The platform's HTTP API: bearer token, JSON calls, uploads with progress, live events.

const TOKEN = "lianshen.token";
const USER = "lianshen.user";

/** An answer that was not 2xx: ``status`` and the server's ``detail`` (text or object). */
export class ApiError extends Error {
  constructor(status, detail) {
    super(typeof detail === "string" ? detail : (detail && detail.message) || `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
  }
}

let onUnauthorised = () => {};

/** What to do when the server says the login is gone (go to the login page). */
export function setUnauthorisedHandler(fn) {
  onUnauthorised = fn;
}

export function token() {
  return sessionStorage.getItem(TOKEN);
}

/** The logged-in user, as /api/auth/login answered it. */
export function currentUser() {
  const raw = sessionStorage.getItem(USER);
  return raw ? JSON.parse(raw) : null;
}

export function saveLogin(answer) {
  sessionStorage.setItem(TOKEN, answer.access_token);
  sessionStorage.setItem(USER, JSON.stringify(answer.user));
}

export function forgetLogin() {
  sessionStorage.removeItem(TOKEN);
  sessionStorage.removeItem(USER);
}

function headers(extra) {
  const out = { Accept: "application/json", ...extra };
  const tk = token();
  if (tk) out.Authorization = `Bearer ${tk}`;
  return out;
}

async function failure(r) {
  let detail = `HTTP ${r.status}`;
  try {
    const body = await r.json();
    detail = body.detail ?? body;
  } catch (e) {
    /* not JSON */
  }
  if (r.status === 401) onUnauthorised();
  return new ApiError(r.status, detail);
}

/** Call the API; JSON in and out. Throws ApiError for any non-2xx answer. */
export async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }) };
  if (body !== undefined) init.body = JSON.stringify(body);
  const r = await fetch(path, init);
  if (!r.ok) throw await failure(r);
  if (r.status === 204) return null;
  const type = r.headers.get("content-type") || "";
  return type.includes("json") ? r.json() : r.text();
}

/** Fetch binary content (payloads, pictures, PDFs) with the login. */
export async function fetchBinary(path) {
  const r = await fetch(path, { headers: headers({ Accept: "*/*" }) });
  if (!r.ok) throw await failure(r);
  return r;
}

const early = new Map();

/**
 * Start downloading binary content before the page that needs it has loaded (the viewer's
 * payload while the scripts and translations load); ``takeEarly`` hands it over.
 */
export function fetchEarly(path) {
  if (!token() || early.has(path)) return;
  const pending = fetchBinary(path).then((r) => r.arrayBuffer());
  pending.catch(() => {});
  early.set(path, pending);
}

/** The early download of ``path`` (an ArrayBuffer promise), or a new one. */
export function takeEarly(path) {
  const pending = early.get(path);
  early.delete(path);
  return pending || fetchBinary(path).then((r) => r.arrayBuffer());
}

/** An object URL of an authorised download (pictures, PDFs); revoke it when done. */
export async function blobUrl(path) {
  const r = await fetchBinary(path);
  return URL.createObjectURL(await r.blob());
}

/** Upload a file as multipart field ``field``; ``onProgress(loaded, total)`` while it goes. */
export function upload(path, field, file, onProgress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    const tk = token();
    if (tk) xhr.setRequestHeader("Authorization", `Bearer ${tk}`);
    xhr.setRequestHeader("Accept", "application/json");
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("load", () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch (e) {
        body = { detail: xhr.responseText };
      }
      if (xhr.status >= 200 && xhr.status < 300) resolve(body);
      else {
        if (xhr.status === 401) onUnauthorised();
        reject(new ApiError(xhr.status, body && body.detail !== undefined ? body.detail : body));
      }
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network error")));
    const form = new FormData();
    form.append(field, file, file.name);
    xhr.send(form);
  });
}

/**
 * Follow a submission's server-sent events (fetch streaming, so the token goes in a header,
 * not in the URL). ``handlers``: {change(data), status(data), connection(bool)}. Reconnects
 * from the last event id. Returns {close()}.
 */
export function followEvents(submissionId, handlers) {
  let closed = false;
  let since = null;
  let controller = null;
  let delay = 1000;

  function dispatch(block) {
    let event = "message";
    let data = "";
    let id = null;
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const at = line.indexOf(":");
      const field = at < 0 ? line : line.slice(0, at);
      const value = at < 0 ? "" : line.slice(at + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data += value;
      else if (field === "id") id = value;
    }
    if (id !== null && /^\d+$/.test(id)) since = Number(id);
    if (!data) return;
    let parsed = null;
    try {
      parsed = JSON.parse(data);
    } catch (e) {
      return;
    }
    const fn = handlers[event];
    if (fn) fn(parsed);
  }

  async function run() {
    while (!closed) {
      controller = new AbortController();
      try {
        const url = `/api/submissions/${submissionId}/events` + (since === null ? "" : `?since=${since}`);
        const r = await fetch(url, { headers: headers({ Accept: "text/event-stream" }), signal: controller.signal });
        if (r.status === 401) {
          onUnauthorised();
          return;
        }
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        handlers.connection && handlers.connection(true);
        delay = 1000;
        const reader = r.body.getReader();
        const decoder = new TextDecoder();
        let buffer = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
          let cut;
          while ((cut = buffer.indexOf("\n\n")) >= 0) {
            dispatch(buffer.slice(0, cut));
            buffer = buffer.slice(cut + 2);
          }
        }
      } catch (e) {
        if (closed) return;
        handlers.connection && handlers.connection(false);
        await new Promise((ok) => setTimeout(ok, delay));
        delay = Math.min(delay * 2, 10000);
      }
    }
  }

  run();
  return {
    close() {
      closed = true;
      if (controller) controller.abort();
    },
  };
}
