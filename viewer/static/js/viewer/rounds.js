// Revision rounds in the viewer: switch to the same drawing of another round, overlay the
// entity-level comparison with it (added / removed / modified / moved in their own colours),
// and the items carried from the previous round at their mapped place, which a reviewer of
// the item's discipline closes or keeps open.

import { api } from "../api.js";
import { errorText } from "../app.js";
import { h, pill } from "../dom.js";
import { t, tv } from "../i18n.js";
import { bounds } from "./geometry.js";

export const CHANGE_COLOURS = {
  added: "#1e8e3e",
  removed: "#d93025",
  modified: "#f29900",
  moved: "#1a73e8",
};
const CARRIED_COLOUR = "#8e24aa";
const KINDS = ["added", "removed", "modified", "moved"];
const MAX_LISTED = 200;

/** Load the items carried into this round that sit on this drawing. */
export async function loadCarried(v) {
  try {
    const all = await api("GET", `/api/submissions/${v.submission.id}/carried`);
    v.carried = all.filter((c) => c.drawing_id === v.drawingId);
  } catch (err) {
    v.carried = [];
  }
}

async function compareWith(v, other) {
  v.comparison = { loading: true, other };
  v.renderPanel();
  try {
    const diff = await api("GET", `/api/drawings/${v.drawingId}/compare?with=${other.drawing_id}`);
    v.comparison = { other, diff };
  } catch (err) {
    v.comparison = { other, error: errorText(err) };
  }
  v.renderPanel();
  v.canvas.overlayChanged();
}

function zoomTo(v, geom) {
  const b = bounds(geom);
  if (!b) return;
  const pad = Math.max(b[2] - b[0], b[3] - b[1], 6) * 0.8;
  const cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
  v.canvas.fitDrawingBox([cx - pad, cy - pad, cx + pad, cy + pad], 0);
}

function roundList(v) {
  const rounds = v.context.rounds || [];
  if (!rounds.length) return h("p", { class: "muted" }, t("rounds.none"));
  return h(
    "ul",
    { class: "item-list" },
    rounds.map((r) =>
      h(
        "li",
        { class: "item", "data-testid": "round-row" },
        h("strong", null, t("rounds.round", { n: r.round })),
        " ",
        h("a", { href: `#/drawings/${r.drawing_id}`, "data-testid": "round-open" }, t("rounds.open")),
        " ",
        r.status === "ingested" && v.context.drawing.status === "ingested"
          ? h("button", { type: "button", "data-testid": "round-compare", onclick: () => compareWith(v, r) }, t("rounds.compare"))
          : null,
      ),
    ),
  );
}

function comparisonCard(v) {
  const c = v.comparison;
  if (!c) return null;
  if (c.loading) return h("p", { class: "muted" }, t("common.loading"));
  if (c.error) return h("p", { class: "error" }, c.error);
  const counts = KINDS.map((k) =>
    h("span", { class: "legend-item", "data-testid": `diff-count-${k}` }, h("i", { class: `swatch swatch-${k}` }), `${tv("change", k)} ${c.diff[k].length}`),
  );
  const changes = KINDS.flatMap((k) => c.diff[k].map((ch) => ({ kind: k, ...ch })));
  const renumbered = c.diff.sheets.filter((p) => p.renumbered);
  return h(
    "div",
    { class: "card-lite", "data-testid": "comparison" },
    h("h3", null, t("rounds.compared", { n: c.other.round })),
    h("div", { class: "legend" }, counts),
    renumbered.length
      ? h("p", { class: "muted" }, t("rounds.renumbered", { list: renumbered.map((p) => `${p.old} → ${p.new}`).join("，") }))
      : null,
    changes.length
      ? h(
          "ul",
          { class: "item-list" },
          changes.slice(0, MAX_LISTED).map((ch) =>
            h(
              "li",
              { class: "item", "data-testid": "change-row", onclick: () => zoomTo(v, ch.location) },
              h("span", { class: `pill change-${ch.kind}` }, tv("change", ch.kind)),
              " ",
              `${ch.group} · ${ch.kind === "removed" ? ch.old_handle || ch.handle : ch.handle}`,
              ch.detail ? h("div", { class: "muted" }, ch.detail) : null,
            ),
          ),
        )
      : h("p", { class: "muted", "data-testid": "no-changes" }, t("rounds.no_changes")),
  );
}

function canDecide(v, item) {
  return (
    v.user.role === "reviewer" &&
    v.submission.status === "in_review" &&
    (item.discipline === v.user.department || item.discipline === "joint")
  );
}

async function decide(v, item, status, reason, errorEl) {
  try {
    await api("PATCH", `/api/carried/${item.id}`, { status, reason: reason || "" });
    await loadCarried(v);
  } catch (err) {
    if (errorEl) errorEl.textContent = errorText(err);
    return;
  }
  v.renderPanel();
  v.canvas.overlayChanged();
}

/** Close (with a reason unless the rule now passes there) or reopen one carried item. */
function decision(v, c) {
  const error = h("div", { class: "error", "data-testid": "carried-error" });
  if (c.status !== "open") {
    return h("div", { class: "row" },
      h("button", { type: "button", "data-testid": "carried-reopen", onclick: (e) => { e.stopPropagation(); decide(v, c, "open", "", error); } }, t("rounds.reopen")),
      error);
  }
  const reason = c.rule_now === "passes" ? null : h("input", { type: "text", maxlength: "500", placeholder: t("rounds.reason"), "data-testid": "carried-reason", onclick: (e) => e.stopPropagation() });
  return h("div", { class: "row" },
    reason,
    h("button", { type: "button", "data-testid": "carried-close", onclick: (e) => { e.stopPropagation(); decide(v, c, "closed", reason ? reason.value : "", error); } }, t("rounds.close")),
    error);
}

function carriedCard(v) {
  const items = v.carried || [];
  if (!items.length) return null;
  const rule = { fails: "bad", passes: "ok", "n/a": "plain" };
  return h(
    "div",
    { class: "card-lite" },
    h("h3", null, t("rounds.carried", { n: items.length })),
    h(
      "ul",
      { class: "item-list" },
      items.map((c) =>
        h(
          "li",
          { class: "item", "data-testid": "carried-row", onclick: () => c.location && zoomTo(v, c.location) },
          h("div", null, pill(tv("dept", c.discipline), "plain"), " ", c.code ? h("code", null, c.code) : null, " ", c.text),
          h("div", { class: "muted" }, `${t("rounds.raised_by")}：${c.raised_by}`),
          h("div", null, t("rounds.rule_now"), " ", pill(tv("rule_now", c.rule_now), rule[c.rule_now] || "plain"), " ",
            t("rounds.nearby", { n: c.changes_nearby.length })),
          c.answer ? h("div", null, `${t("rounds.answer")}（${tv("answer", c.answer.status)}）：${c.answer.text}`) : h("div", { class: "muted" }, t("rounds.no_answer")),
          h("div", null, pill(tv("item_status", c.status), c.status === "closed" ? "ok" : "warn"), c.reason ? ` ${c.reason}` : ""),
          canDecide(v, c)
            ? decision(v, c)
            : null,
        ),
      ),
    ),
  );
}

/** The "rounds" tab of the side panel. */
export function roundsPanel(v) {
  return h("div", { "data-testid": "rounds-panel" }, carriedCard(v), roundList(v), comparisonCard(v));
}

/** Draw the comparison and the carried items over the drawing. */
export function drawRounds(v, ctx, toScreen, strokeGeometry) {
  const c = v.comparison;
  if (c && c.diff) {
    for (const k of KINDS) {
      for (const ch of c.diff[k]) {
        if (k === "moved" && ch.old_location) {
          strokeGeometry(ctx, ch.old_location, toScreen, { colour: "#9aa0a6", width: 1.2, dash: [4, 3] });
        }
        strokeGeometry(ctx, ch.location, toScreen, {
          colour: CHANGE_COLOURS[k],
          width: 2.4,
          dash: k === "removed" ? [5, 3] : null,
          fill: null,
        });
      }
    }
  }
  for (const item of v.carried || []) {
    if (!item.location) continue;
    strokeGeometry(ctx, item.location, toScreen, {
      colour: CARRIED_COLOUR,
      width: item.status === "open" ? 2.6 : 1.2,
      dash: item.status === "open" ? null : [3, 3],
      fill: "rgba(142,36,170,0.08)",
    });
  }
}
