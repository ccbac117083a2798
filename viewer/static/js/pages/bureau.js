// Bureau: the intake tray (accept / return with a note) and the consolidation (the five
// departments' opinions, confirmed findings, the consolidated opinion with its code and PDF).

import { api } from "../api.js";
import { errorBox, errorText, frame, route } from "../app.js";
import { h, linkCell, pill, replace, table, when } from "../dom.js";
import { currentLang, t, tv } from "../i18n.js";
import { processingPill, statusPill } from "./applicant.js";
import { duePill } from "./reviewer.js";
import { DEPARTMENTS, findingMessage, opinionsList, pdfButton, severityPill } from "./submission.js";

route("/intake", ["bureau"], async (user) => {
  const main = frame(user, "/intake");
  const body = h("div", { class: "stack" }, h("div", { class: "loading" }, t("common.loading")));
  replace(main, h("div", { class: "page-head" }, h("h1", null, t("nav.intake"))), body);
  try {
    const subs = await api("GET", "/api/submissions");
    const groups = [
      ["bureau.tray_intake", subs.filter((s) => s.status === "intake")],
      ["bureau.tray_consolidation", subs.filter((s) => s.status === "consolidation")],
      ["bureau.tray_review", subs.filter((s) => s.status === "in_review")],
      ["bureau.tray_closed", subs.filter((s) => !["intake", "consolidation", "in_review"].includes(s.status))],
    ];
    replace(
      body,
      groups.map(([key, rows]) =>
        h(
          "section",
          { class: "card", "data-testid": key },
          h("h2", null, t(key), " ", h("small", null, String(rows.length))),
          rows.length
            ? table(
                ["col.project", "col.organization", "col.round", "col.status", "col.processing", "col.due", ""].map((k) => (k ? t(k) : "")),
                rows.map((s) => [s.project_name, s.organization, t("round.n", { n: s.round }), statusPill(s.status), processingPill(s.processing), duePill(s.due_at), linkCell(`#/submissions/${s.id}`, t("action.open"), `tray-open-${s.id}`)]),
                { rowAttrs: { "data-testid": "tray-row" } },
              )
            : h("p", { class: "muted" }, t("bureau.tray_empty")),
        ),
      ),
    );
  } catch (err) {
    replace(body, errorBox(err));
  }
});

/** Accept the package for joint review, or return it with one notice. */
export function intakePanel(sub, onDone) {
  const note = h("textarea", { rows: 3, maxlength: 5000, placeholder: t("intake.note_hint"), "data-testid": "intake-note" });
  const error = h("div", { class: "form-error", role: "alert" });
  const ready = sub.processing === "done";
  async function decide(decision) {
    replace(error);
    if (decision === "return" && !note.value.trim()) {
      replace(error, t("intake.note_required"));
      return;
    }
    try {
      await api("POST", `/api/submissions/${sub.id}/intake`, { decision, note: note.value });
      onDone();
    } catch (err) {
      replace(error, errorText(err));
    }
  }
  return h(
    "section",
    { class: "card accent" },
    h("h2", null, t("intake.title")),
    ready ? null : h("p", { class: "warn-text" }, t("intake.wait_processing")),
    h("label", null, t("intake.note"), note),
    h(
      "div",
      { class: "row" },
      h("button", { class: "primary", type: "button", disabled: !ready, "data-testid": "intake-accept", onclick: () => decide("accept") }, t("intake.accept")),
      h("button", { class: "danger", type: "button", "data-testid": "intake-return", onclick: () => decide("return") }, t("intake.return")),
    ),
    error,
  );
}

/** What was issued: the decision, its verification code, the PDF and where to verify it. */
function issuedBox(decision, code, pdfUrl, id, verifyUrl) {
  return h(
    "div",
    { class: "issued" },
    h("strong", null, t("consolidation.issued", { decision: tv("decision", decision) })),
    h("div", null, t("doc.code"), " ", h("code", { "data-testid": "issued-code" }, code)),
    h("div", null, t("doc.pdf"), " ", h("code", null, pdfUrl), " ", pdfButton(pdfUrl, `opinion-${id}.pdf`)),
    /^(https?:\/\/|\/)/.test(verifyUrl || "") ? h("div", null, t("doc.verify"), " ", h("a", { href: verifyUrl, target: "_blank", rel: "noopener" }, verifyUrl)) : null,
  );
}

/** The consolidation: opinions by department, confirmed findings, and the decision. */
export async function consolidationPanel(user, sub, onDone) {
  let view;
  try {
    view = await api("GET", `/api/submissions/${sub.id}/consolidation`);
  } catch (err) {
    return errorBox(err);
  }
  const given = new Map(view.opinions.map((o) => [o.department, o]));
  const board = h(
    "div",
    { class: "dept-board" },
    DEPARTMENTS.map((d) => {
      const o = given.get(d);
      return h(
        "div",
        { class: `dept-cell dept-${d}`, "data-testid": `dept-cell-${d}` },
        h("span", { class: `swatch dept-bg-${d}` }),
        h("strong", null, tv("dept", d)),
        o ? pill(tv("verdict", o.verdict), o.verdict === "pass" ? "ok" : "warn") : pill(t("consolidation.missing"), "wait"),
        o ? h("div", { class: "muted small" }, o.author, " · ", when(o.created_at, currentLang())) : null,
      );
    }),
  );
  const confirmed = view.confirmed_findings.length
    ? table(
        ["col.code", "col.severity", "col.discipline", "col.message"].map((k) => t(k)),
        view.confirmed_findings.map((f) => [h("code", null, f.code), severityPill(f.severity), tv("dept", f.discipline), findingMessage(f)]),
        { compact: true },
      )
    : h("p", { class: "muted" }, t("consolidation.no_confirmed"));
  const result = h("div", { "data-testid": "consolidation-result" });
  if (sub.status !== "consolidation") {
    const docs = await api("GET", `/api/submissions/${sub.id}/documents`).catch(() => []);
    const last = docs[docs.length - 1];
    if (last) replace(result, issuedBox(last.decision || (last.kind === "certificate" ? "approve" : "revise"), last.verification_code, last.url, last.id, last.verify_url));
  }
  let form = null;
  if (user.role === "bureau" && sub.status === "consolidation") {
    const decision = h(
      "select",
      { "data-testid": "consolidation-decision" },
      h("option", { value: "revise" }, tv("decision", "revise")),
      h("option", { value: "approve" }, tv("decision", "approve")),
    );
    const note = h("textarea", { rows: 3, maxlength: 5000, placeholder: t("consolidation.note_hint"), "data-testid": "consolidation-note" });
    const error = h("div", { class: "form-error", role: "alert" });
    form = h(
      "form",
      {
        class: "stack",
        onsubmit: async (e) => {
          e.preventDefault();
          replace(error);
          try {
            const doc = await api("POST", `/api/submissions/${sub.id}/consolidated-opinion`, { decision: decision.value, note: note.value });
            replace(result, issuedBox(doc.decision, doc.verification_code, doc.pdf_url, doc.id, doc.verify_url));
            form.remove();
            onDone();
          } catch (err) {
            replace(error, errorText(err));
          }
        },
      },
      h("div", { class: "row" }, h("label", null, t("consolidation.decision"), decision)),
      h("label", null, t("consolidation.note"), note),
      h("div", { class: "row" }, h("button", { class: "primary", type: "submit", "data-testid": "consolidation-issue" }, t("consolidation.issue"))),
      error,
    );
  }
  return h(
    "section",
    { class: "card accent", "data-testid": "consolidation" },
    h("h2", null, t("consolidation.title")),
    board,
    h("h3", null, t("consolidation.opinions")),
    view.opinions.length ? opinionsList(view.opinions) : h("p", { class: "muted" }, t("consolidation.none")),
    h("h3", null, t("consolidation.confirmed"), " ", h("small", null, String(view.confirmed_findings.length))),
    confirmed,
    form,
    result,
  );
}
