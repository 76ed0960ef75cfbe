// Shared by the admin sections: who is logged in and the tenant acted in, REST calls with
// the user's token, API errors shown with their message, error id and field, pagination,
// and the small form helpers every section uses.
"use strict";

const Admin = (() => {
  const { el } = Live;
  const $ = (id) => document.getElementById(id);
  const state = { me: null, tenant: null, schemas: null };

  /** Tenant users always act in their own tenant; the operator names one on each call. */
  function withTenant(path) {
    if (!state.me || state.me.user.tenant) return path;
    return path + (path.includes("?") ? "&" : "?") + "tenant="
      + encodeURIComponent(state.tenant || "");
  }

  function call(method, path, body) {
    return Live.api(method, withTenant(path), body);
  }

  /** Every row of a list, page by page (for the choices of a select). */
  async function all(path) {
    const rows = [];
    let offset = 0;
    while (offset !== null) {
      const sep = path.includes("?") ? "&" : "?";
      const page = await call("GET", `${path}${sep}limit=200&offset=${offset}`);
      rows.push(...page.items);
      offset = page.next_offset;
    }
    return rows;
  }

  const can = (permission) => !!state.me && state.me.permissions.includes(permission);

  function errorText(err) {
    const field = err.details && err.details.field;
    return `${err.message} (${err.id || "error"}${field ? `, field ${field}` : ""})`;
  }

  /** Show an API error (or any thrown error) in the page's alert box: never swallowed. */
  function fail(err) {
    const box = $("error");
    box.hidden = false;
    box.textContent = errorText(err);
    box.dataset.errorId = err.id || "error";
    box.dataset.field = (err.details && err.details.field) || "";
    $("notice").hidden = true;
    if (err.status === 401) {
      // The session ended (expired, logged out elsewhere): log in again, nothing shown.
      $("login").hidden = false;
      $("nav").hidden = true;
      $("view").hidden = true;
    }
  }

  function notify(text) {
    $("error").hidden = true;
    $("notice").hidden = false;
    $("notice").textContent = text;
  }

  function clear() { $("error").hidden = true; $("notice").hidden = true; }

  /** The API's own schemas (enums of strategies, overflow actions, route kinds). */
  async function schema(name) {
    if (!state.schemas) state.schemas = (await Live.api("GET", "/openapi.json")).components.schemas;
    return state.schemas[name];
  }

  async function enumOf(model, property) {
    const prop = (await schema(model)).properties[property];
    return (prop.enum || []).filter((v) => v !== null);
  }

  /** A labelled control; `control` gets `id` so the label and tests can find it. */
  function labelled(text, control, id) {
    control.id = id;
    return el("label", { for: id }, text, control);
  }

  function select(options, value, { blank } = {}) {
    const node = el("select");
    if (blank !== undefined) node.append(el("option", { value: "" }, blank));
    for (const [v, text] of options) {
      const opt = el("option", { value: String(v) }, text);
      if (String(v) === String(value ?? "")) opt.selected = true;
      node.append(opt);
    }
    return node;
  }

  /** Previous / next over a list with limit and offset; `load(offset)` fetches a page. */
  function pager(name, load) {
    const info = el("span", { class: "muted", id: `${name}-range` });
    const prev = el("button", { type: "button", class: "secondary", id: `${name}-prev` },
      "Previous page");
    const next = el("button", { type: "button", class: "secondary", id: `${name}-next` },
      "Next page");
    const size = select([[10, "10"], [20, "20"], [50, "50"], [200, "200"]], 20);
    const node = el("div", { class: "pager" }, prev, info, next,
      labelled("Rows per page", size, `${name}-size`));
    let page = null;
    prev.addEventListener("click", () => load(Math.max(0, page.offset - page.limit)));
    next.addEventListener("click", () => load(page.next_offset));
    size.addEventListener("change", () => load(0));
    return {
      node,
      limit: () => Number(size.value),
      show(p) {
        page = p;
        const last = p.offset + p.items.length;
        info.textContent = p.total ? `${p.offset + 1}–${last} of ${p.total}` : "none";
        prev.disabled = p.offset === 0;
        next.disabled = p.next_offset === null;
      },
    };
  }

  return { state, call, all, can, fail, notify, clear, errorText, schema, enumOf, labelled,
           select, pager, $ };
})();
