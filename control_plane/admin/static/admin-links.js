// Settings that link two rows, edited under the row being edited: an agent's skills with
// their proficiency, a queue's required skills with the least proficiency and its members,
// and where a DID's calls go (its inbound route).
"use strict";

const Links = (() => {
  const { el } = Live;
  const { call, all, fail, notify, clear, labelled } = Admin;

  const choices = async (path) => (await all(path)).map((r) => [r.id, r.name]);

  /**
   * A list of links under `path` (GET lists them, PUT path/{target} sets one with its
   * `amount`, DELETE removes it); `targets` are the rows one may link to.
   */
  function editor({ key, title, path, targets, targetKey, amount }) {
    return async (box) => {
      const names = new Map(await choices(targets));
      const list = el("ul", { class: "compact", id: `${key}-items` });
      const pick = Admin.select([...names], null);
      const level = el("input", { type: "number", value: String(amount.default) });
      const set = el("button", { type: "button", id: `${key}-set` }, `Set ${amount.label}`);
      set.disabled = names.size === 0;
      box.append(el("section", { "aria-label": title }, el("h3", {}, title), list,
        el("div", { class: "row" }, labelled(amount.target, pick, `${key}-target`),
          labelled(amount.label, level, `${key}-amount`), set)));

      async function refresh() {
        const got = await call("GET", path);
        list.replaceChildren(...got.items.map((item) => {
          const name = names.get(item[targetKey]) || `#${item[targetKey]}`;
          const drop = el("button", { type: "button", class: "secondary",
                                      "aria-label": `Remove ${name}` }, "Remove");
          drop.addEventListener("click", () => change("DELETE", item[targetKey]));
          return el("li", { "data-target": item[targetKey], "data-amount": item[amount.name] },
            `${name} — ${amount.label} ${item[amount.name]} `, drop);
        }));
        if (!got.items.length) list.append(el("li", { class: "muted" }, "none"));
      }

      async function change(method, target) {
        clear();
        try {
          await call(method, `${path}/${target}`,
            method === "PUT" ? { [amount.name]: Number(level.value) } : undefined);
          notify(`${title}: ${method === "PUT" ? "set" : "removed"} ${names.get(Number(target))}`);
          await refresh();
        } catch (err) { fail(err); }
      }
      set.addEventListener("click", () => change("PUT", pick.value));
      await refresh().catch(fail);
    };
  }

  const SOURCES = { ivr: "/api/v1/ivr-flows", queue: "/api/v1/queues",
                    voicemail: "/api/v1/queues", agent: "/api/v1/agents" };

  /** Where calls to a DID go: an IVR flow, a queue, an agent or a queue's voicemail. */
  async function didRoute(did, box) {
    const kinds = await Admin.enumOf("RouteIn", "kind");
    const now = el("p", { id: "route-now" });
    const kind = Admin.select(kinds.map((k) => [k, k]), "queue");
    const target = el("select");
    const save = el("button", { type: "button", id: "route-save" }, "Route calls here");
    const drop = el("button", { type: "button", class: "secondary", id: "route-clear" },
      "Remove route");
    box.append(el("section", { "aria-label": "Inbound route" }, el("h3", {}, "Inbound route"),
      now, el("div", { class: "row" }, labelled("Send calls to", kind, "route-kind"),
        labelled("Target", target, "route-target"), save, drop)));

    async function targets(selected) {
      const rows = await choices(SOURCES[kind.value]);
      target.replaceChildren(...rows.map(([id, name]) => el("option", { value: id }, name)));
      if (selected) target.value = String(selected);
      return new Map(rows);
    }

    async function refresh() {
      let route = null;
      try {
        route = await call("GET", `/api/v1/dids/${did.id}/route`);
      } catch (err) {
        if (err.status !== 404) throw err;  // 404: the number is not routed (yet)
      }
      if (route) kind.value = route.kind;
      const names = await targets(route && route.target_id);
      now.dataset.kind = route ? route.kind : "";
      now.textContent = route
        ? `Calls to ${did.number} go to ${route.kind} ${names.get(route.target_id)}`
        : `${did.number} is not routed: its calls are refused`;
    }

    async function act(method, body) {
      clear();
      try {
        await call(method, `/api/v1/dids/${did.id}/route`, body);
        notify(method === "PUT" ? "Route saved" : "Route removed");
        await refresh();
      } catch (err) { fail(err); }
    }
    kind.addEventListener("change", () => targets().catch(fail));
    save.addEventListener("click",
      () => act("PUT", { kind: kind.value, target_id: Number(target.value) }));
    drop.addEventListener("click", () => act("DELETE"));
    await refresh().catch(fail);
  }

  return { editor, didRoute, choices };
})();
