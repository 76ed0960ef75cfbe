// One admin section over a CRUD resource of the API: a form to create or change a row,
// the paginated list with edit and delete, and the row's linked settings (skills, route)
// while it is being edited. Bad input is left to the API, whose error (message, id,
// field) is shown as it is.
"use strict";

const Crud = (() => {
  const { el } = Live;
  const { call, fail, notify, clear, labelled } = Admin;

  const rowName = (row) => row.name || row.number || row.code || row.sip_username || `#${row.id}`;

  function shown(field, row, names) {
    if (field.show) return field.show(row, names);
    const v = row[field.name];
    if (v === null || v === undefined) return "–";
    if (typeof v === "boolean") return v ? "yes" : "no";
    return String(v);
  }

  async function control(res, field, row) {
    const id = `f-${res.key}-${field.name}`;
    const value = row ? row[field.name] : field.default;
    let node;
    if (field.type === "bool") {
      node = el("input", { type: "checkbox" });
      node.checked = value ?? false;
    } else if (field.type === "select") {
      node = Admin.select(await field.choices(), value,
        { blank: field.required ? undefined : "(none)" });
    } else {
      const type = { int: "number", password: "password" }[field.type] || "text";
      node = el("input", { type });
      if (value !== null && value !== undefined && field.type !== "password") node.value = value;
      if (field.type === "password") node.autocomplete = "new-password";
    }
    // A password is set once at creation; later an empty one leaves it as it is.
    if (field.required && !(row && field.type === "password")) node.required = true;
    if (row && field.fixed) node.disabled = true;
    const text = row && field.type === "password" ? `${field.label} (empty: unchanged)`
      : field.label;
    return labelled(text, node, id);
  }

  /** The request body: creates leave empty fields to the API's defaults; changes clear
   *  nullable ones and never send the fields fixed at creation. */
  function read(res, form, row) {
    const body = {};
    for (const field of res.fields) {
      if (row && field.fixed) continue;
      const node = form.querySelector(`#f-${res.key}-${field.name}`);
      if (field.type === "bool") { body[field.name] = node.checked; continue; }
      const raw = field.type === "password" ? node.value : node.value.trim();
      if (raw === "") {
        if (row && field.nullable) body[field.name] = null;
        continue;
      }
      body[field.name] = field.type === "int" || field.numeric ? Number(raw) : raw;
    }
    return body;
  }

  /** The section renderer of resource `res` (see admin-resources.js). */
  function section(res) {
    return async (view) => {
      const writable = Admin.can(res.write);
      const form = el("form", { class: "edit", id: `form-${res.key}`,
                                "aria-label": `${res.title}: create or change` });
      const details = el("div", { class: "links", id: `links-${res.key}` });
      const table = el("table", { class: "list", id: `list-${res.key}` });
      let editing = null;
      let offset = 0;
      const pager = Admin.pager(res.key, (o) => load(o));
      view.replaceChildren(el("h2", {}, res.title));
      if (writable) view.append(form, details);
      view.append(table, pager.node);

      async function fill(row) {
        editing = row;
        const controls = await Promise.all(res.fields.map((f) => control(res, f, row)));
        const submit = el("button", { type: "submit", id: `save-${res.key}` },
          row ? `Save ${res.noun} ${rowName(row)}` : `Create ${res.noun}`);
        form.replaceChildren(...controls, submit);
        form.dataset.editing = row ? String(row.id) : "";
        if (row) {
          const fresh = el("button", { type: "button", class: "secondary",
                                       id: `new-${res.key}` }, `New ${res.noun}`);
          fresh.addEventListener("click", () => fill(null).catch(fail));
          form.append(fresh);
        }
        details.replaceChildren();
        // The linked settings may change the row's list entry (a flow's active version).
        if (row && res.details) await res.details(row, details, () => load(offset));
      }

      async function load(from) {
        try {
          const page = await call("GET", `${res.path}?limit=${pager.limit()}&offset=${from}`);
          // Names of the rows this list refers to by id (an agent's seat and team).
          const names = res.names ? await res.names() : {};
          offset = page.offset;
          const head = el("tr", {}, ...res.columns.map((f) => el("th", { scope: "col" }, f.label)),
            el("th", { scope: "col" }, el("span", { class: "muted" }, "Actions")));
          table.replaceChildren(el("thead", {}, head), el("tbody", {},
            ...page.items.map((row) => line(row, names))));
          pager.show(page);
        } catch (err) { fail(err); }
      }

      function line(row, names) {
        const tr = el("tr", { "data-id": row.id, "data-name": rowName(row) },
          ...res.columns.map((f) => el("td", { "data-field": f.name }, shown(f, row, names))));
        const actions = el("td", { class: "actions" });
        if (writable) {
          const edit = el("button", { type: "button", class: "secondary",
                                      "aria-label": `Edit ${res.noun} ${rowName(row)}` }, "Edit");
          edit.addEventListener("click", () => { clear(); fill(row).catch(fail); });
          const del = el("button", { type: "button", class: "secondary",
                                     "aria-label": `Delete ${res.noun} ${rowName(row)}` },
            "Delete");
          del.addEventListener("click", () => remove(row));
          actions.append(edit, del);
        }
        tr.append(actions);
        return tr;
      }

      async function remove(row) {
        // eslint-disable-next-line no-alert
        if (!window.confirm(`Delete ${res.noun} ${rowName(row)}?`)) return;
        clear();
        try {
          await call("DELETE", `${res.path}/${row.id}`);
          notify(`Deleted ${res.noun} ${rowName(row)}`);
          if (editing && editing.id === row.id) await fill(null);
          await load(offset);
        } catch (err) { fail(err); }
      }

      form.addEventListener("submit", async (e) => {
        e.preventDefault();
        clear();
        try {
          const body = read(res, form, editing);
          const saved = editing ? await call("PATCH", `${res.path}/${editing.id}`, body)
            : await call("POST", res.path, body);
          notify(`${editing ? "Saved" : "Created"} ${res.noun} ${rowName(saved)}`);
          await load(offset);
          await fill(saved);  // a new row opens for its linked settings (skills, route)
        } catch (err) { fail(err); }
      });

      if (writable) await fill(null);
      await load(0);
    };
  }

  return { section, rowName };
})();
