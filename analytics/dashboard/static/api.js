// The BI page's plumbing: shared state, formatting, the JSON API (bearer token, errors in
// the control plane's one shape) and the login form. Plain script, no build step.
"use strict";

const bi = { loads: 0, me: null, charts: {}, league: [], sortKey: "answered", sortDesc: true };
window.bi = bi;

const $ = (id) => document.getElementById(id);
const pct = (v) => (v === null || v === undefined ? "–" : `${(v * 100).toFixed(1)} %`);
const secs = (v) => (v === null || v === undefined ? "–" : `${v.toFixed(1)} s`);
const hours = (v) => (v === null || v === undefined ? "–" : `${(v / 3600).toFixed(1)} h`);
// Buckets come as ISO strings with the tenant's offset: show their wall time, not the browser's.
const wall = (iso) => iso.slice(0, 16).replace("T", " ");

// Errors come in the control plane's one shape: {"error": {"id", "message", "details"}}.
class ApiError extends Error {
  constructor(body, status) {
    const error = body && body.error ? body.error : null;
    super(error ? error.message : `HTTP ${status}`);
    this.id = error ? error.id : null;
    this.field = error && error.details ? error.details.field : null;
    this.status = status;
  }
}

// The API's bearer token, kept for this browser tab only (see the login form).
const TOKEN_KEY = "callcenter.bi.token";

function authHeaders() {
  const token = sessionStorage.getItem(TOKEN_KEY);
  return token ? { Authorization: `Bearer ${token}` } : {};
}

async function api(path, params) {
  const query = new URLSearchParams();
  for (const [key, value] of params) {
    if (value !== "" && value !== null && value !== undefined) query.append(key, value);
  }
  const response = await fetch(`api/${path}?${query}`,
    { headers: { Accept: "application/json", ...authHeaders() } });
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(body, response.status);
  return body;
}

function showError(err) {
  const box = $("error");
  for (const el of document.querySelectorAll(".invalid")) el.classList.remove("invalid");
  if (!err) {
    box.hidden = true;
    box.textContent = "";
    return;
  }
  box.textContent = err.id ? `${err.message} [${err.id}]` : err.message;
  box.hidden = false;
  if (err.field && $(err.field)) $(err.field).classList.add("invalid");
}

// Log in against the control plane's API (../api/v1/auth/login) and keep the token.
async function login(event) {
  event.preventDefault();
  const form = $("login");
  const payload = { username: $("login-user").value, password: $("login-password").value };
  if ($("login-tenant").value.trim()) payload.tenant = $("login-tenant").value.trim();
  const response = await fetch("../api/v1/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    showError(new ApiError(body, response.status));
    return;
  }
  sessionStorage.setItem(TOKEN_KEY, body.token);
  form.hidden = true;
  showError(null);
  await start();
}
