// The IVR document the builder edits, as the API takes it ({start, language, nodes}),
// and what each node type holds: its fields and the slots that lead to further nodes.
// Nothing here validates: the API does, and its error names the node and field at fault.
"use strict";

const IvrModel = (() => {
  const TYPES = {
    menu: { label: "Menu", fields: [["prompt", "prompt"], ["invalid_prompt", "prompt"],
      ["timeout_s", "number"], ["retries", "number"]], slots: ["on_fail"], table: "options" },
    play: { label: "Play", fields: [["prompt", "prompt"]], slots: ["next"] },
    collect: { label: "Collect digits", fields: [["prompt", "prompt"], ["variable", "text"],
      ["max_digits", "number"], ["terminator", "text"], ["timeout_s", "number"],
      ["inter_digit_timeout_s", "number"], ["retries", "number"]],
      slots: ["next"] },
    set: { label: "Set priority / skill / language", fields: [["priority", "priority"],
      ["skill", "text"], ["language", "text"]], slots: ["next"] },
    queue: { label: "Queue", fields: [["queue", "queue"]], slots: [] },
    voicemail: { label: "Voicemail", fields: [["queue", "queue"]], slots: [] },
    transfer: { label: "Transfer", fields: [["number", "text"]], slots: [] },
    webhook: { label: "Web hook", fields: [["url", "text"], ["timeout_s", "number"]],
      slots: ["default"], table: "branches" },
    hangup: { label: "Hang up", fields: [["prompt", "prompt"]], slots: [] },
  };
  const SLOT_LABELS = { next: "Then", on_fail: "On failure", default: "Otherwise",
                        options: "Digit", branches: "Answer" };
  const PRIORITIES = ["normal", "important", "vip"];

  const blank = () => ({ start: "main", language: "en",
                         nodes: { main: { type: "menu", options: {} } } });

  function add(doc, type) {
    let i = 1;
    while (doc.nodes[`${type}_${i}`]) i += 1;
    const id = `${type}_${i}`;
    doc.nodes[id] = { type };
    if (TYPES[type].table) doc.nodes[id][TYPES[type].table] = {};
    return id;
  }

  /** Every reference a node makes: [{table?, key, target}] (table rows first). */
  function links(node) {
    const spec = TYPES[node.type] || { slots: [] };
    const out = Object.entries((spec.table && node[spec.table]) || {})
      .map(([key, target]) => ({ table: spec.table, key, target }));
    return out.concat(spec.slots.map((key) => ({ key, target: node[key] })));
  }

  function forEachRef(doc, visit) {
    for (const node of Object.values(doc.nodes)) {
      for (const key of ["next", "on_fail", "default"]) {
        if (key in node) visit(node, key, node[key], null);
      }
      for (const table of ["options", "branches"]) {
        for (const [k, v] of Object.entries(node[table] || {})) visit(node, k, v, table);
      }
    }
  }

  function rename(doc, from, to) {
    if (!to || to === from) return;
    if (doc.nodes[to]) throw new Error(`a node ${to} exists already`);
    doc.nodes[to] = doc.nodes[from];
    delete doc.nodes[from];
    if (doc.start === from) doc.start = to;
    forEachRef(doc, (node, key, target, table) => {
      if (target === from) (table ? node[table] : node)[key] = to;
    });
  }

  /** Delete a node and every reference to it (so no slot names a missing node). */
  function remove(doc, id) {
    delete doc.nodes[id];
    if (doc.start === id) doc.start = Object.keys(doc.nodes)[0] || "";
    forEachRef(doc, (node, key, target, table) => {
      if (target === id) delete (table ? node[table] : node)[key];
    });
  }

  /** Change a node's type, keeping the fields and slots the new type also has. */
  function retype(doc, id, type) {
    const old = doc.nodes[id];
    const spec = TYPES[type];
    const keep = new Set([...spec.fields.map(([f]) => f), ...spec.slots]);
    const node = { type };
    for (const [k, v] of Object.entries(old)) if (keep.has(k)) node[k] = v;
    if (spec.table) node[spec.table] = old[spec.table] || {};
    doc.nodes[id] = node;
  }

  /** The node an API error's field names ("document.nodes.main.options.1" -> "main"). */
  function nodeAt(doc, field) {
    const prefix = "document.nodes.";
    if (!field || !field.startsWith(prefix)) return null;
    const rest = field.slice(prefix.length);
    let best = null;
    for (const id of Object.keys(doc.nodes)) {
      if ((rest === id || rest.startsWith(`${id}.`)) && (!best || id.length > best.length)) {
        best = id;
      }
    }
    return best;
  }

  return { TYPES, SLOT_LABELS, PRIORITIES, blank, add, links, rename, remove, retype, nodeAt };
})();
