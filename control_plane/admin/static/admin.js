// The admin pages' shell: the desk's token login, who may administer (everyone else gets
// a clear "not allowed"), the operator's choice of tenant, and one section per resource
// picked from the navigation (the URL's #fragment).
"use strict";

(() => {
  const { el } = Live;
  const { $, state, can, fail } = Admin;
  // Whoever may change any of these administers the center; the API still checks each call.
  const ADMIN = ["queues.write", "agents.write", "skills.write", "seats.write", "dids.write",
                 "ivr.write"];
  let visible = [];

  async function show() {
    const key = location.hash.slice(1);
    const section = visible.find((s) => s.key === key) || visible[0];
    for (const b of $("nav").querySelectorAll("button")) {
      if (b.dataset.section === section.key) b.setAttribute("aria-current", "page");
      else b.removeAttribute("aria-current");
    }
    Admin.clear();
    $("view").dataset.section = section.key;
    $("view").replaceChildren();
    await Crud.section(section)($("view"));
  }

  async function pickTenant() {
    const page = await Live.api("GET", "/api/v1/tenants?limit=200");
    $("tenant").replaceChildren(...page.items.map((t) => el("option", { value: t.id },
      `${t.name} (${t.id})`)));
    // After a new login the tenant picked before stays picked.
    const ids = page.items.map((t) => t.id);
    if (!ids.includes(state.tenant)) state.tenant = ids.length ? ids[0] : null;
    $("tenant").value = state.tenant || "";
    $("tenant-pick").hidden = false;
  }

  async function start() {
    const me = await Live.api("GET", "/api/v1/auth/me");
    state.me = me;
    $("who").textContent = `${me.user.username} · ${me.user.role}`
      + (me.user.tenant ? ` · ${me.user.tenant}` : " · operator");
    $("login").hidden = true;
    $("signout").hidden = false;
    $("denied").hidden = true;
    if (!ADMIN.some(can)) {
      $("denied").hidden = false;
      $("denied-text").textContent = `Not allowed: the role ${me.user.role} does not `
        + "administer the center. Ask an administrator of your tenant.";
      return;
    }
    if (!me.user.tenant) await pickTenant();
    visible = [...Resources.all].filter((s) => can(s.read));
    $("nav").replaceChildren(...visible.map((s) => {
      const b = el("button", { type: "button", class: "secondary", id: `nav-${s.key}`,
                               "data-section": s.key }, s.title);
      b.addEventListener("click", () => {
        if (location.hash === `#${s.key}`) show().catch(fail);
        else location.hash = s.key;
      });
      return b;
    }));
    $("nav").hidden = false;
    $("view").hidden = false;
    await show();
  }

  $("tenant").addEventListener("change", () => {
    state.tenant = $("tenant").value;
    show().catch(fail);
  });
  // Registered once: a second login after an expired session must not show sections twice.
  window.addEventListener("hashchange", () => { if (visible.length) show().catch(fail); });
  $("login").addEventListener("submit", async (e) => {
    e.preventDefault();
    Admin.clear();
    try {
      await Live.login($("login-tenant").value.trim(), $("login-user").value.trim(),
        $("login-password").value);
      await start();
    } catch (err) { fail(err); }
  });
  $("signout").addEventListener("click", async () => {
    await Live.logout();
    location.reload();
  });
  if (Live.token()) start().catch((err) => { $("login").hidden = false; fail(err); });
  else $("login").hidden = false;
})();
