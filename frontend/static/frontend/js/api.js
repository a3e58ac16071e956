// The only place that talks HTTP: the token header, the {code, data, error} envelope, errors.

import { describe } from "./messages.js";

const TOKEN = "luffy.token";
const USERNAME = "luffy.username";

export const session = {
  get token() {
    return localStorage.getItem(TOKEN);
  },
  get username() {
    return localStorage.getItem(USERNAME);
  },
  start(token, username) {
    localStorage.setItem(TOKEN, token);
    localStorage.setItem(USERNAME, username);
  },
  end() {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(USERNAME);
  },
};

export class ApiError extends Error {
  constructor(code, serverMessage, data = null, status = 0) {
    const { title, detail } = describe(code, serverMessage);
    super(title);
    this.code = code;
    this.detail = detail;
    this.data = data;
    this.status = status;
  }
}

/** Call `/api/<path>`; resolves with `data` when code is 1000, else throws ApiError. */
export async function api(method, path, body, { headers = {} } = {}) {
  const init = { method, headers: { Accept: "application/json", ...headers } };
  if (session.token) init.headers.Authorization = `Token ${session.token}`;
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(`/api/${path}`, init);
  } catch {
    throw new ApiError(0, "网络连接失败,请检查网络后重试 / network error");
  }
  let envelope;
  try {
    envelope = await response.json();
  } catch {
    throw new ApiError(0, `服务器返回了无法识别的内容 (HTTP ${response.status})`, null, response.status);
  }
  if (envelope.code === 1000) return envelope.data;
  if (envelope.code === 1001) {
    session.end();
    window.dispatchEvent(new CustomEvent("session-ended"));
  }
  throw new ApiError(envelope.code, envelope.error, envelope.data, response.status);
}

/** A fresh Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function idempotencyKey() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
