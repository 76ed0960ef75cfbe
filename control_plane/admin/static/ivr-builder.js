// The IVR builder ("IVR generator"): a flow's document edited as a tree of nodes from its
// start, saved as a new version (the API validates it; its error is shown next to the node
// at fault), with the flow's versions to open again or activate.
"use strict";

const IvrBuilder = (() => {
  const { el } = Live;
  const { call, all, fail, notify, clear, labelled, errorText } = Admin;
  const { TYPES } = IvrModel;

  /** Open `flow` in `box`: the document callers hear (or the newest, or a blank one). */
  async function open(flow, box, changed = async () => {}) {
    const base = `/api/v1/ivr-flows/${flow.id}`;
    const names = {
      prompt: (await all("/api/v1/prompts")).map((p) => p.name),
      queue: (await all("/api/v1/queues")).map((q) => q.name),
      priority: IvrModel.PRIORITIES,
    };
    const ui = { doc: IvrModel.blank(), error: null, version: null };
    const tree = el("div", { id: "ivr-tree" });
    const start = el("select");
    const language = el("input", { size: 6 });
    const save = el("button", { type: "button", id: "ivr-save" }, "Save as new version");
    const loose = Admin.select(Object.entries(TYPES).map(([t, s]) => [t, s.label]), "play");
    const addLoose = el("button", { type: "button", class: "secondary", id: "ivr-add" },
      "Add node");
    const versions = el("table", { class: "list versions", id: "ivr-versions" });
    const pager = Admin.pager("ivr-versions", (o) => listVersions(o).catch(fail));
    const editing = el("p", { class: "muted", id: "ivr-editing" });
    box.append(el("section", { "aria-label": "IVR builder", id: "ivr-builder" },
      el("h3", {}, `IVR builder: ${flow.name}`), editing,
      el("div", { class: "ivr-head" }, labelled("Start at", start, "ivr-start"),
        labelled("Language", language, "ivr-language"), labelled("New node", loose, "ivr-new"),
        addLoose, save),
      tree, el("h3", {}, "Versions"), versions, pager.node));

    start.addEventListener("change", () => { ui.doc.start = start.value; render(); });
    language.addEventListener("change", () => {
      if (language.value.trim()) ui.doc.language = language.value.trim();
      else delete ui.doc.language;
    });
    addLoose.addEventListener("click", () => { IvrModel.add(ui.doc, loose.value); render(); });
    save.addEventListener("click", () => publish().catch(fail));

    function input(id, node, [field, kind]) {
      let control;
      if (names[kind]) {
        control = Admin.select(names[kind].map((n) => [n, n]), node[field], { blank: "(none)" });
        // A name the tenant no longer has stays visible (the API will say so).
        if (node[field] && !names[kind].includes(node[field])) {
          control.append(el("option", { value: node[field], selected: "" }, node[field]));
        }
      } else {
        control = el("input", { type: kind === "number" ? "number" : "text", size: 10 });
        if (kind === "number") control.step = "any";
        if (node[field] !== undefined) control.value = node[field];
      }
      control.addEventListener("change", () => {
        const raw = control.value.trim();
        if (raw === "") delete node[field];
        else node[field] = kind === "number" && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
      });
      return labelled(field.replace(/_/g, " "), control, `n-${id}-${field}`);
    }

    function slotPick(id, target, none) {
      const pick = el("select", { id });
      if (none) pick.append(el("option", { value: "" }, "(none)"));
      for (const n of Object.keys(ui.doc.nodes)) pick.append(el("option", { value: n }, n));
      for (const [t, spec] of Object.entries(TYPES)) {
        pick.append(el("option", { value: `new:${t}` }, `New ${spec.label} node`));
      }
      pick.value = target && ui.doc.nodes[target] ? target : "";
      return pick;
    }

    function chosen(pick) {
      return pick.value.startsWith("new:") ? IvrModel.add(ui.doc, pick.value.slice(4))
        : pick.value;
    }

    function slot(parent, { id, label, target, assign, extra = [], seen }) {
      const pick = slotPick(`n-${id}`, target, true);
      pick.addEventListener("change", () => { assign(chosen(pick)); render(); });
      const wrap = el("div", { class: "slot" },
        el("div", { class: "row" }, labelled(label, pick, `n-${id}`), ...extra));
      if (target && ui.doc.nodes[target]) {
        wrap.append(seen.has(target) ? el("div", { class: "goto" }, `↪ goes to ${target}`)
          : card(target, seen));
      }
      parent.append(wrap);
    }

    function card(id, seen) {
      seen.add(id);
      const node = ui.doc.nodes[id];
      const spec = TYPES[node.type] || { fields: [], slots: [] };
      const box = el("section", { class: "node", "data-node": id, "aria-label": `Node ${id}` });
      const name = el("input", { value: id, size: 12 });
      name.addEventListener("change", () => {
        try { IvrModel.rename(ui.doc, id, name.value.trim()); } catch (err) { fail(err); }
        render();
      });
      const type = Admin.select(Object.entries(TYPES).map(([t, s]) => [t, s.label]), node.type);
      type.addEventListener("change", () => { IvrModel.retype(ui.doc, id, type.value); render(); });
      const drop = el("button", { type: "button", class: "secondary",
                                  "aria-label": `Delete node ${id}` }, "Delete node");
      drop.addEventListener("click", () => { IvrModel.remove(ui.doc, id); render(); });
      box.append(el("div", { class: "node-head" }, labelled("Node", name, `n-${id}-id`),
        labelled("Type", type, `n-${id}-type`), ...spec.fields.map((f) => input(id, node, f)),
        drop));
      if (ui.error && ui.error.node === id) {
        box.classList.add("invalid");
        box.append(el("div", { class: "node-error", id: `n-${id}-error`, role: "alert",
                               "data-error-id": ui.error.id, "data-field": ui.error.field },
          ui.error.text));
      }
      for (const link of IvrModel.links(node)) {
        const word = IvrModel.SLOT_LABELS[link.table || link.key];
        const label = link.table ? `${word} ${link.key}` : word;
        const slotId = `${id}-${link.table || "slot"}-${link.key}`;
        const extra = [];
        if (link.table) {
          const del = el("button", { type: "button", class: "secondary",
                                     "aria-label": `Remove ${label} of ${id}` }, "Remove");
          del.addEventListener("click", () => { delete node[link.table][link.key]; render(); });
          extra.push(del);
        }
        slot(box, { id: slotId, label, target: link.target, seen, extra, assign: (v) => {
          if (link.table) node[link.table][link.key] = v;
          else if (v) node[link.key] = v;
          else delete node[link.key];
        } });
      }
      if (spec.table) box.append(newEntry(id, node, spec.table));
      return box;
    }

    /** A new option (menu digit) or branch (web hook answer) and the node it leads to. */
    function newEntry(id, node, table) {
      const key = el("input", { size: 6 });
      const pick = slotPick(`n-${id}-${table}-new`, null, false);
      pick.value = "new:queue";
      const add = el("button", { type: "button", id: `n-${id}-${table}-add` },
        table === "options" ? "Add option" : "Add branch");
      add.addEventListener("click", () => {
        if (!key.value.trim()) return;
        node[table][key.value.trim()] = chosen(pick);
        render();
      });
      return el("div", { class: "row slot" },
        labelled(table === "options" ? "New digit" : "New answer", key, `n-${id}-${table}-key`),
        labelled("Leads to", pick, `n-${id}-${table}-new`), add);
    }

    function render() {
      const seen = new Set();
      start.replaceChildren(...Object.keys(ui.doc.nodes).map((n) => el("option", { value: n }, n)));
      start.value = ui.doc.start;
      language.value = ui.doc.language || "";
      tree.replaceChildren(ui.doc.nodes[ui.doc.start] ? card(ui.doc.start, seen)
        : el("p", { class: "node-error" }, "The start names no node"));
      const rest = Object.keys(ui.doc.nodes).filter((n) => !seen.has(n));
      if (rest.length) tree.append(el("h4", {}, "Not reached from the start"));
      for (const n of rest) if (!seen.has(n)) tree.append(card(n, seen));
      editing.textContent = ui.version ? `Editing from version ${ui.version}` : "A new flow";
    }

    async function publish() {
      clear();
      try {
        const saved = await call("POST", `${base}/versions`, { document: ui.doc });
        ui.error = null;
        ui.version = saved.version;
        notify(`Saved ${flow.name} as version ${saved.version}`);
        await listVersions(0);
      } catch (err) {
        const field = err.details && err.details.field;
        ui.error = { node: IvrModel.nodeAt(ui.doc, field), id: err.id, field: field || "",
                     text: errorText(err) };
        fail(err);
      }
      render();
    }

    async function listVersions(offset) {
      const page = await call("GET", `${base}/versions?limit=${pager.limit()}&offset=${offset}`);
      let active = null;
      try { active = (await call("GET", `${base}/active`)).version; } catch (err) {
        if (err.status !== 409) throw err;  // 409: no version activated yet
      }
      versions.replaceChildren(el("tr", {}, ...["Version", "Saved", "Callers hear it", ""]
        .map((h) => el("th", { scope: "col" }, h))), ...page.items.map((v) => {
        const openIt = el("button", { type: "button", class: "secondary",
                                      "aria-label": `Open version ${v.version}` }, "Open");
        openIt.addEventListener("click", () => load(v.version).catch(fail));
        const activate = el("button", { type: "button",
                                        "aria-label": `Activate version ${v.version}` },
          "Activate");
        activate.addEventListener("click", async () => {
          clear();
          try {
            await call("POST", `${base}/versions/${v.version}/activate`);
            notify(`Callers of ${flow.name} now hear version ${v.version}`);
            await listVersions(offset);
            await changed();
          } catch (err) { fail(err); }
        });
        return el("tr", { "data-version": v.version, "data-active": String(v.version === active) },
          el("td", {}, v.version), el("td", {}, Live.when(v.created_at)),
          el("td", {}, v.version === active ? "yes" : ""), el("td", { class: "actions" }, openIt,
            activate));
      }));
      pager.show(page);
      return { page, active };
    }

    async function load(version) {
      const v = await call("GET", `${base}/versions/${version}`);
      ui.doc = v.document;
      ui.version = version;
      ui.error = null;
      render();
    }

    const { page, active } = await listVersions(0);
    const first = active || (page.items[0] && page.items[0].version);
    if (first) await load(first); else render();
  }

  return { open };
})();
