// The application: login, the frame (top bar, navigation, language), and the router.
// Routes live in the URL's hash (#/projects, #/submissions/7, #/drawings/12 …) so that the
// server serves one static page and every view can be bookmarked.

import { api, currentUser, fetchEarly, forgetLogin, saveLogin, setUnauthorisedHandler, ApiError } from "./api.js";
import { h, replace } from "./dom.js";
import { currentLang, initI18n, setLang, t, tv } from "./i18n.js";

const routes = [];
let cleanup = null;

/** Register a page: ``pattern`` like "/submissions/:id", ``roles`` allowed (empty: all). */
export function route(pattern, roles, render) {
  const names = [];
  const re = new RegExp(
    "^" + pattern.replace(/:(\w+)/g, (_, n) => (names.push(n), "([^/]+)")) + "$",
  );
  routes.push({ re, names, roles, render });
}

/** Go to a route (``#/...``). */
export function go(path) {
  if (location.hash === `#${path}`) show();
  else location.hash = path;
}

/** The home route of a role. */
export function home(user) {
  return (
    { applicant: "/projects", reviewer: "/queue", bureau: "/intake", supervisor: "/overview" }[user.role] ||
    "/admin"
  );
}

const NAV = {
  applicant: [["/projects", "nav.projects"]],
  reviewer: [["/queue", "nav.queue"]],
  bureau: [["/intake", "nav.intake"], ["/overview", "nav.overview"]],
  supervisor: [["/overview", "nav.overview"]],
  admin: [["/admin", "nav.admin"]],
};

/** A readable message of an error (the server's detail, in both languages as it sends it). */
export function errorText(err) {
  if (err instanceof ApiError) {
    const d = err.detail;
    if (typeof d === "string") return d;
    if (Array.isArray(d)) return d.map((x) => (x && x.msg) || JSON.stringify(x)).join("; ");
    if (d && d.problems) return [d.message, ...d.problems.map((p) => `${p.where}: ${p.message}`)].join("\n");
    if (d && d.detail) return String(d.detail) + (d.reason ? ` (${d.reason})` : "");
    return err.message;
  }
  return String(err && err.message ? err.message : err);
}

/** An error box (role="alert") with the message as text. */
export function errorBox(err) {
  return h("div", { class: "error", role: "alert" }, errorText(err));
}

function langSwitch() {
  const other = currentLang() === "en" ? "zh-CN" : "en";
  return h(
    "button",
    {
      class: "link lang",
      type: "button",
      "data-testid": "lang-switch",
      onclick: async () => {
        await setLang(other);
        show();
      },
    },
    other === "en" ? "English" : "中文",
  );
}

/** The frame around every logged-in page; returns the element the page fills. */
export function frame(user, active, options = {}) {
  const root = document.getElementById("app");
  const main = h("main", { class: options.wide ? "main wide" : "main" });
  const nav = (NAV[user.role] || []).map(([path, key]) =>
    h("a", { href: `#${path}`, class: active === path ? "active" : null }, t(key)),
  );
  const who = [user.real_name, user.department ? tv("dept", user.department) : tv("role", user.role)].join(" · ");
  const header = h(
    "header",
    { class: "topbar" },
    h("a", { class: "brand", href: `#${home(user)}` }, h("span", { class: "logo" }, "联"), t("app.name")),
    h("nav", { class: "nav" }, nav),
    h("div", { class: "spacer" }),
    h("span", { class: "who", "data-testid": "who" }, who),
    langSwitch(),
    h(
      "button",
      {
        class: "link",
        type: "button",
        onclick: async () => {
          try {
            await api("POST", "/api/auth/logout");
          } catch (e) {
            /* logged out anyway */
          }
          forgetLogin();
          go("/login");
        },
      },
      t("nav.logout"),
    ),
  );
  replace(root, header, main);
  root.className = options.wide ? "app app-wide" : "app";
  return main;
}

function loginPage() {
  const root = document.getElementById("app");
  root.className = "app";
  const error = h("div", { class: "form-error", role: "alert" });
  const username = h("input", { name: "username", autocomplete: "username", required: true, "data-testid": "login-username" });
  const password = h("input", { name: "password", type: "password", autocomplete: "current-password", required: true, "data-testid": "login-password" });
  const form = h(
    "form",
    {
      class: "login-card",
      onsubmit: async (e) => {
        e.preventDefault();
        replace(error);
        try {
          const answer = await api("POST", "/api/auth/login", { username: username.value, password: password.value });
          saveLogin(answer);
          const back = sessionStorage.getItem("lianshen.back");
          sessionStorage.removeItem("lianshen.back");
          go(back && back !== "/login" ? back : home(answer.user));
        } catch (err) {
          replace(error, errorText(err));
        }
      },
    },
    h("div", { class: "login-brand" }, h("span", { class: "logo big" }, "联"), h("div", null, h("h1", null, t("app.name")), h("p", null, t("app.tagline")))),
    h("label", null, t("login.username"), username),
    h("label", null, t("login.password"), password),
    error,
    h("button", { class: "primary", type: "submit", "data-testid": "login-submit" }, t("login.submit")),
    h("p", { class: "hint" }, t("login.hint")),
    h("div", { class: "login-lang" }, langSwitch()),
  );
  replace(root, h("div", { class: "login-page" }, form));
  username.focus();
}

route("/admin", ["admin"], (user) => {
  const main = frame(user, "/admin");
  replace(
    main,
    h("div", { class: "page-head" }, h("h1", null, t("nav.admin"))),
    h("section", { class: "card" }, h("p", null, t("admin.text")), h("a", { href: "/api/docs", target: "_blank", rel: "noopener" }, "/api/docs")),
  );
});

async function show() {
  if (cleanup) {
    try {
      cleanup();
    } catch (e) {
      /* a page's cleanup must not stop the next page */
    }
    cleanup = null;
  }
  let path = location.hash.replace(/^#/, "") || "/";
  const direct = location.pathname.match(/^\/viewer\/(\d+)$/);
  if (path === "/" && direct) path = `/drawings/${direct[1]}`;
  if (path === "/login") return loginPage();
  const user = currentUser();
  if (!user) {
    sessionStorage.setItem("lianshen.back", path);
    return go("/login");
  }
  if (path === "/") return go(home(user));
  for (const r of routes) {
    const m = path.match(r.re);
    if (!m) continue;
    if (r.roles.length && !r.roles.includes(user.role)) return go(home(user));
    const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    const result = await r.render(user, params);
    if (typeof result === "function") cleanup = result;
    return;
  }
  const main = frame(user, null);
  replace(main, h("div", { class: "empty" }, t("page.not_found")));
}

async function boot() {
  setUnauthorisedHandler(() => {
    forgetLogin();
    if (location.hash !== "#/login") {
      sessionStorage.setItem("lianshen.back", location.hash.replace(/^#/, ""));
      go("/login");
    }
  });
  const drawing = location.hash.match(/^#\/drawings\/(\d+)/) || location.pathname.match(/^\/viewer\/(\d+)$/);
  if (drawing) fetchEarly(`/api/drawings/${drawing[1]}/vector`);
  await initI18n();
  await Promise.all([
    import("./pages/applicant.js"),
    import("./pages/submission.js"),
    import("./pages/reviewer.js"),
    import("./pages/bureau.js"),
    import("./pages/supervisor.js"),
    import("./viewer/page.js"),
  ]);
  window.addEventListener("hashchange", show);
  show();
}

boot();
