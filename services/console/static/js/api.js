// Calls to the Zhiban HTTP API. The bearer token lives in sessionStorage (this tab only) and travels only
// in the Authorization header — never in a URL.

const TOKEN_KEY = "zhiban.console.token";

export const session = {
  get token() { return sessionStorage.getItem(TOKEN_KEY); },
  set token(value) { sessionStorage.setItem(TOKEN_KEY, value); },
  clear() { sessionStorage.removeItem(TOKEN_KEY); },
};

/** A refusal from the API, with its Chinese message and, when the API names one, the field. */
export class ApiFailure extends Error {
  constructor(status, body) {
    // HTTPException bodies (401/403) nest {code, message} under "detail"; ApiError bodies are flat.
    const inner = body && typeof body.detail === "object" && body.detail !== null ? body.detail : body || {};
    super(inner.message || failureText(status));
    this.status = status;
    this.code = inner.code || "";
    this.field = inner.field || "";
    this.errors = Array.isArray(inner.errors) ? inner.errors : [];
  }

  get unauthenticated() { return this.status === 401; }
}

function failureText(status) {
  if (status === 401) return "身份凭证无效或已停用";
  if (status === 403) return "权限不足";
  if (status === 404) return "请求的内容不存在";
  if (status >= 500) return `服务器出错（HTTP ${status}），请稍后重试或联系系统管理员`;
  return `请求未成功（HTTP ${status}）`;
}

/** fetch with the session's token; resolves to the parsed JSON, rejects with ApiFailure. */
export async function call(path, { method = "GET", json, form, token = session.token } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = form; // FormData: the browser sets the multipart boundary
  }
  const response = await send(path, { method, headers, body, token });
  return parsed(await response.text());
}

/** A file the API keeps (e.g. a scanned original), read with the session's token; resolves to a Blob whose type
 * is the one the API sent. */
export async function callBlob(path, { token = session.token } = {}) {
  const response = await send(path, { method: "GET", headers: {}, token });
  return response.blob();
}

async function send(path, { method, headers, body, token }) {
  if (token) headers = { ...headers, Authorization: `Bearer ${token}` };
  let response;
  try {
    response = await fetch(path, { method, headers, body, cache: "no-store", credentials: "omit" });
  } catch (err) {
    throw new ApiFailure(0, { message: "无法连接服务器，请检查网络或稍后重试" });
  }
  if (!response.ok) throw new ApiFailure(response.status, parsed(await response.text()));
  return response;
}

function parsed(text) {
  try { return text ? JSON.parse(text) : null; } catch { return null; }
}

export function query(params) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (Array.isArray(value)) value.forEach((v) => search.append(key, v));
    else if (value !== "" && value !== null && value !== undefined) search.append(key, value);
  }
  const text = search.toString();
  return text ? `?${text}` : "";
}
