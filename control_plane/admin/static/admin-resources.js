// The admin sections over the API's configuration resources: their fields, list columns
// and linked settings. Enumerations (strategies, overflow actions) come from the API's own
// OpenAPI document, so the pages offer exactly what the server accepts.
"use strict";

const Resources = (() => {
  const fromEnum = (model, prop) => async () =>
    (await Admin.enumOf(model, prop)).map((v) => [v, v]);
  const rows = (path, name) => async () => (await Admin.all(path)).map((r) => [r.id, name(r)]);

  const text = (name, label, extra = {}) => ({ name, label, type: "text", ...extra });
  const int = (name, label, extra = {}) => ({ name, label, type: "int", ...extra });
  const named = [text("name", "Name", { required: true })];
  const col = (name, label, show) => ({ name, label, show });
  const nameOf = (names, id) => (id ? names.get(id) || `#${id}` : "–");

  const QUEUE = [
    ...named,
    { name: "strategy", label: "Strategy", type: "select", required: true,
      default: "longest_idle", choices: fromEnum("QueueIn", "strategy") },
    int("sla_target_seconds", "SLA target (seconds)", { default: 20 }),
    int("sla_target_percent", "SLA target (% answered in time)", { default: 80 }),
    int("max_wait_seconds", "Max wait (seconds)", { nullable: true }),
    int("max_length", "Max callers waiting", { nullable: true }),
    { name: "overflow_action", label: "Overflow action", type: "select", nullable: true,
      choices: fromEnum("QueueIn", "overflow_action") },
    text("overflow_target", "Overflow target (queue, flow or agent id, or number)",
      { nullable: true }),
    int("ring_timeout_seconds", "Ring timeout (seconds)", { default: 20 }),
    int("wrap_up_seconds", "Wrap-up (seconds)", { default: 0 }),
    int("announce_period_seconds", "Announce position every (seconds)", { nullable: true }),
    int("callback_offer_seconds", "Offer a callback after (seconds)", { nullable: true }),
    text("music_class", "Music on hold", { default: "default" }),
    text("language", "Announcement language", { default: "en" }),
  ];

  const AGENT = [
    ...named,
    text("extension", "Extension", { nullable: true }),
    { name: "seat_id", label: "Seat", type: "select", nullable: true, numeric: true,
      choices: rows("/api/v1/seat-configs", (s) => `${s.sip_username}@${s.domain}`) },
    { name: "team_id", label: "Team", type: "select", nullable: true, numeric: true,
      choices: rows("/api/v1/teams", (t) => t.name) },
    int("wrap_up_seconds", "Wrap-up (seconds)", { default: 0 }),
    int("max_concurrent_offers", "Offers at once", { default: 1 }),
    { name: "active", label: "Active", type: "bool", default: true },
  ];

  const SEAT = [
    text("sip_username", "SIP user", { required: true, fixed: true }),
    text("domain", "SIP domain (realm)", { required: true, fixed: true }),
    text("label", "Label", { nullable: true }),
    { name: "password", label: "SIP password", type: "password", required: true },
  ];

  const all = [
    { key: "queues", title: "Queues", noun: "queue", path: "/api/v1/queues",
      read: "queues.read", write: "queues.write", fields: QUEUE,
      columns: [QUEUE[0], QUEUE[1],
        col("sla", "SLA", (q) => `${q.sla_target_percent}% in ${q.sla_target_seconds} s`),
        col("overflow", "Overflow", (q) => (q.overflow_action
          ? `${q.overflow_action}${q.overflow_target ? ` → ${q.overflow_target}` : ""}` : "–")),
        col("announce", "Announce every",
          (q) => (q.announce_period_seconds ? `${q.announce_period_seconds} s` : "–"))],
      details: async (q, box) => {
        await Links.editor({ key: "queue-skills", title: "Required skills",
          path: `/api/v1/queues/${q.id}/skills`, targets: "/api/v1/skills",
          targetKey: "skill_id", amount: { name: "min_proficiency",
            label: "Minimum proficiency", target: "Skill", default: 1 } })(box);
        await Links.editor({ key: "queue-members", title: "Members",
          path: `/api/v1/queues/${q.id}/members`, targets: "/api/v1/agents",
          targetKey: "agent_id", amount: { name: "penalty", label: "Penalty",
            target: "Agent", default: 0 } })(box);
      } },
    { key: "agents", title: "Agents", noun: "agent", path: "/api/v1/agents",
      read: "agents.read", write: "agents.write", fields: AGENT,
      names: async () => ({ seat: new Map(await AGENT[2].choices()),
                            team: new Map(await AGENT[3].choices()) }),
      columns: [AGENT[0], AGENT[1],
        col("seat_id", "Seat", (a, n) => nameOf(n.seat, a.seat_id)),
        col("team_id", "Team", (a, n) => nameOf(n.team, a.team_id)),
        AGENT[6]],
      details: (a, box) => Links.editor({ key: "agent-skills", title: "Skills",
        path: `/api/v1/agents/${a.id}/skills`, targets: "/api/v1/skills",
        targetKey: "skill_id", amount: { name: "proficiency", label: "Proficiency",
          target: "Skill", default: 3 } })(box) },
    { key: "skills", title: "Skills", noun: "skill", path: "/api/v1/skills",
      read: "skills.read", write: "skills.write", fields: named, columns: named },
    { key: "teams", title: "Teams", noun: "team", path: "/api/v1/teams",
      read: "agents.read", write: "agents.write", fields: named, columns: named },
    { key: "seats", title: "Seats", noun: "seat", path: "/api/v1/seat-configs",
      read: "seats.write", write: "seats.write", fields: SEAT,
      // The password is never shown back: the API keeps only its digest hashes.
      columns: [SEAT[0], SEAT[1], SEAT[2],
        col("credential_id", "SIP credentials", (s) => (s.credential_id ? "set" : "none"))] },
    { key: "dids", title: "DIDs", noun: "DID", path: "/api/v1/dids",
      read: "dids.read", write: "dids.write",
      fields: [text("number", "Number (E.164)", { required: true, fixed: true }),
        text("description", "Description", { nullable: true })],
      columns: [text("number", "Number"), text("description", "Description")],
      details: (d, box) => Links.didRoute(d, box) },
    { key: "pause-reasons", title: "Pause reasons", noun: "pause reason",
      path: "/api/v1/pause-reasons", read: "agents.state", write: "agents.write",
      fields: [text("code", "Code", { required: true }), text("label", "Label", { required: true }),
        { name: "paid", label: "Paid", type: "bool", default: false },
        { name: "active", label: "Active", type: "bool", default: true }],
      columns: [text("code", "Code"), text("label", "Label"), text("paid", "Paid"),
        text("active", "Active")] },
    { key: "prompts", title: "Prompts", noun: "prompt", path: "/api/v1/prompts",
      read: "ivr.read", write: "ivr.write",
      fields: [...named, text("language", "Language", { required: true, default: "en" }),
        text("file_path", "File", { required: true })],
      columns: [...named, text("language", "Language"), text("file_path", "File")] },
    { key: "ivr", title: "IVR flows", noun: "IVR flow", path: "/api/v1/ivr-flows",
      read: "ivr.read", write: "ivr.write", fields: named,
      columns: [...named, col("active_version_id", "Active version",
        (f) => (f.active_version_id ? "yes" : "none"))],
      details: (f, box, changed) => IvrBuilder.open(f, box, changed) },
  ];

  return { all };
})();
