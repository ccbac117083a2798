// Supervisor (and bureau): running steps with green / yellow / red, and the audit trail with
// its verification.

import { api, blobUrl } from "../api.js";
import { errorBox, errorText, frame, route } from "../app.js";
import { h, linkCell, pill, replace, table, when } from "../dom.js";
import { currentLang, t, tv } from "../i18n.js";

const LIGHT = { green: "ok", yellow: "warn", red: "bad", paused: "plain" };

function stepsCard(steps) {
  const counts = { green: 0, yellow: 0, red: 0, paused: 0 };
  for (const s of steps) counts[s.status] = (counts[s.status] || 0) + 1;
  return h(
    "section",
    { class: "card" },
    h(
      "div",
      { class: "card-head" },
      h("h2", null, t("overview.steps")),
      h("div", { class: "lights" }, Object.entries(counts).map(([k, n]) => h("span", { class: `light light-${k}`, "data-testid": `light-${k}` }, h("i"), `${tv("light", k)} ${n}`))),
    ),
    steps.length
      ? table(
          ["col.light", "col.project", "col.step", "col.responsible", "col.started", "col.due", ""].map((k) => (k ? t(k) : "")),
          steps.map((s) => [
            pill(tv("light", s.status), LIGHT[s.status]),
            s.project,
            `${tv("step", s.step)}${s.department ? ` · ${tv("dept", s.department)}` : ""}`,
            tv("responsible", s.responsible),
            when(s.started_at, currentLang()),
            when(s.due_at, currentLang()),
            linkCell(`#/submissions/${s.submission_id}`, t("action.open")),
          ]),
          { rowAttrs: { "data-testid": "step-row" } },
        )
      : h("p", { class: "muted" }, t("overview.no_steps")),
  );
}

function auditCard(audit) {
  const result = h("span", { "data-testid": "audit-verify-result" });
  const verify = h(
    "button",
    {
      class: "primary",
      type: "button",
      "data-testid": "audit-verify",
      onclick: async () => {
        verify.disabled = true;
        replace(result, t("common.loading"));
        try {
          const r = await api("GET", "/api/audit/verify");
          replace(
            result,
            r.valid
              ? pill(t("audit.valid", { n: r.events }), "ok")
              : pill(t("audit.invalid", { seq: r.first_bad_event, reason: r.reason || "" }), "bad"),
          );
        } catch (err) {
          replace(result, errorText(err));
        } finally {
          verify.disabled = false;
        }
      },
    },
    t("audit.verify"),
  );
  return h(
    "section",
    { class: "card" },
    h("div", { class: "card-head" }, h("h2", null, t("overview.audit")), h("div", { class: "row" }, verify, result)),
    table(
      ["col.seq", "col.time", "col.actor", "col.action", "col.object", "col.hash"].map((k) => t(k)),
      audit.events
        .slice()
        .reverse()
        .map((e) => [
          String(e.seq),
          when(e.at, currentLang()),
          e.actor,
          tv("action", e.action),
          `${e.object_type} #${e.object_id}${e.submission_id ? ` (${t("audit.submission")} ${e.submission_id})` : ""}`,
          h("code", { class: "hash" }, e.hash.slice(0, 12)),
        ]),
      { compact: true },
    ),
  );
}

const CHARTS = ["now", "on_time", "duration", "open_by_age", "findings", "rounds", "satisfaction"];

/** The dashboard's charts (server-drawn PNGs, fetched with the login) and the CSV export. */
function chartsCard() {
  const grid = h("div", { class: "charts", "data-testid": "charts" });
  for (const name of CHARTS) {
    const img = h("img", { class: "chart", alt: t(`chart.${name}`), "data-testid": `chart-${name}` });
    grid.appendChild(h("figure", { class: "chart-box" }, img, h("figcaption", null, t(`chart.${name}`))));
    blobUrl(`/api/supervision/charts/${name}.png`)
      .then((url) => {
        img.src = url;
      })
      .catch(() => {
        img.alt = `${t(`chart.${name}`)} — ${t("chart.unavailable")}`;
      });
  }
  const csv = h(
    "button",
    {
      type: "button",
      "data-testid": "stats-csv",
      onclick: async () => {
        const url = await blobUrl("/api/supervision/stats?format=csv");
        const a = h("a", { href: url, download: "lianshen-statistics.csv" });
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10000);
      },
    },
    t("chart.csv"),
  );
  return h(
    "section",
    { class: "card" },
    h("div", { class: "card-head" }, h("h2", null, t("overview.charts")), h("div", { class: "row" }, csv)),
    grid,
  );
}

route("/overview", ["supervisor", "bureau"], async (user) => {
  const main = frame(user, "/overview");
  const body = h("div", { class: "stack" }, h("div", { class: "loading" }, t("common.loading")));
  replace(main, h("div", { class: "page-head" }, h("h1", null, t("nav.overview"))), body);
  try {
    const steps = await api("GET", "/api/supervision/steps");
    const cards = [stepsCard(steps)];
    if (user.role === "supervisor") {
      cards.push(chartsCard());
      const first = await api("GET", "/api/audit?limit=1000");
      let audit = first;
      while (audit.events.length === 1000) {
        const more = await api("GET", `/api/audit?limit=1000&after_seq=${audit.next}`);
        first.events = first.events.concat(more.events).slice(-300);
        audit = more;
      }
      first.events = first.events.slice(-300);
      cards.push(auditCard(first));
    }
    replace(body, cards);
  } catch (err) {
    replace(body, errorBox(err));
  }
});
