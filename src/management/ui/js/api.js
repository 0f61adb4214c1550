// The HTTP API client: the credentials of this browser tab and one function per call.
/** Asks the API not to send a WWW-Authenticate challenge, which would make the browser prompt. */
const XHR = { "x-requested-with": "XMLHttpRequest" };
const KEY = "warren-auth";

export const auth = {
  get: () => sessionStorage.getItem(KEY),
  set: (v) => (v === null ? sessionStorage.removeItem(KEY) : sessionStorage.setItem(KEY, v)),
  /** Called when the API answers 401: the shell shows the login form. */
  onExpired: () => undefined,
};

/**
 * RabbitMQ's API HTML-escapes `<` and `>` in its reasons (its own UI shows them as HTML); this UI
 * writes reasons as text, so it turns the entities back first. A <textarea> parses entities without
 * running or loading anything.
 */
export function plainText(s) {
  const t = document.createElement("textarea");
  t.innerHTML = String(s ?? "");
  return t.value;
}

export class ApiError extends Error {
  constructor(status, reason) {
    super(plainText(reason));
    this.status = status;
  }
}

export const seg = (s) => encodeURIComponent(s);

/** One API call with the stored credentials; 401 sends the user back to the login form. */
export async function api(method, path, body, headers = {}) {
  const res = await fetch(`/api/${path}`, {
    method,
    headers: { ...XHR, authorization: `Basic ${auth.get()}`, ...(body !== undefined && { "content-type": "application/json" }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = { reason: text };
  }
  // only refused credentials end the session: a 401 for a missing tag (`Not administrator user`,
  // `Not monitor user`) or a vhost the user may not see is an answer the page shows
  if (res.status === 401 && path !== "whoami" && (json === null || json.reason === "Login failed")) {
    auth.set(null);
    auth.onExpired();
    throw new ApiError(401, json?.reason ?? "Login failed");
  }
  if (!res.ok) throw new ApiError(res.status, json?.reason ?? res.statusText);
  return json;
}

/** Tries the credentials; null when they are good, else the reason to show. */
export async function tryLogin(username, password) {
  const token = btoa(unescape(encodeURIComponent(`${username}:${password}`)));
  const res = await fetch("/api/whoami", { headers: { ...XHR, authorization: `Basic ${token}` } });
  if (!res.ok) {
    const body = await res.text();
    let reason = "Login failed";
    try {
      reason = body ? JSON.parse(body).reason : reason;
    } catch {}
    return plainText(reason);
  }
  auth.set(token);
  return null;
}
