// Reviewer: the department's queue with deadlines, and the department's opinion form.

import { api } from "../api.js";
import { errorBox, errorText, frame, route } from "../app.js";
import { h, linkCell, pill, replace, table, when } from "../dom.js";
import { currentLang, t, tv } from "../i18n.js";
import { statusPill } from "./applicant.js";

/** Time left until ``due`` as a coloured pill (red when overdue, yellow within a day). */
export function duePill(due) {
  if (!due) return pill(t("due.none"), "plain");
  const left = new Date(due).getTime() - Date.now();
  const kind = left < 0 ? "bad" : left < 24 * 3600 * 1000 ? "warn" : "ok";
  return pill(when(due, currentLang()), kind);
}

route("/queue", ["reviewer"], async (user) => {
  const main = frame(user, "/queue");
  const body = h("div", { class: "stack" }, h("div", { class: "loading" }, t("common.loading")));
  replace(main, h("div", { class: "page-head" }, h("h1", null, t("nav.queue")), h("span", { class: "muted" }, tv("dept", user.department))), body);
  try {
    const subs = await api("GET", "/api/submissions");
    const open = subs.filter((s) => s.status === "in_review");
    const rest = subs.filter((s) => s.status !== "in_review");
    const listing = (rows, empty) =>
      rows.length
        ? table(
            ["col.project", "col.organization", "col.round", "col.status", "col.due", ""].map((k) => (k ? t(k) : "")),
            rows.map((s) => [s.project_name, s.organization, t("round.n", { n: s.round }), statusPill(s.status), duePill(s.due_at), linkCell(`#/submissions/${s.id}`, t("action.open"))]),
            { rowAttrs: { "data-testid": "queue-row" } },
          )
        : h("div", { class: "empty" }, t(empty));
    replace(body, h("section", { class: "card" }, h("h2", null, t("queue.open")), listing(open, "queue.empty")), rest.length ? h("section", { class: "card" }, h("h2", null, t("queue.other")), listing(rest, "queue.empty")) : null);
  } catch (err) {
    replace(body, errorBox(err));
  }
});

/** The department's opinion: pass, or revise with items linked to findings / annotations. */
export function opinionForm(user, sub, findings, annotations, onDone) {
  const own = findings.filter((f) => f.discipline === user.department || f.discipline === "joint");
  const mine = annotations.filter((a) => a.department === user.department && a.status !== "withdrawn");
  const items = h("ol", { class: "items" });
  const verdict = h(
    "select",
    { "data-testid": "opinion-verdict" },
    h("option", { value: "pass" }, tv("verdict", "pass")),
    h("option", { value: "revise" }, tv("verdict", "revise")),
  );
  const error = h("div", { class: "form-error", role: "alert" });
  function addItem(text = "", findingId = "", annotationId = "") {
    const input = h("input", { class: "item-text", value: text, maxlength: 5000, placeholder: t("opinion.item_text"), "data-testid": "opinion-item-text" });
    const finding = h(
      "select",
      { class: "item-finding" },
      h("option", { value: "" }, t("opinion.no_finding")),
      own.map((f) => h("option", { value: String(f.id), selected: String(f.id) === String(findingId) }, `#${f.id} ${f.code} ${f.message.slice(0, 40)}`)),
    );
    const annotation = h(
      "select",
      { class: "item-annotation" },
      h("option", { value: "" }, t("opinion.no_annotation")),
      mine.map((a) => h("option", { value: String(a.id), selected: String(a.id) === String(annotationId) }, `#${a.id} ${tv("kind", a.kind)} ${a.text.slice(0, 40)}`)),
    );
    const li = h("li", { class: "item" }, input, finding, annotation, h("button", { class: "link", type: "button", onclick: () => li.remove() }, t("action.remove")));
    items.append(li);
  }
  const confirmed = own.filter((f) => f.review_status === "confirmed");
  return h(
    "section",
    { class: "card accent" },
    h("h2", null, t("opinion.title", { dept: tv("dept", user.department) })),
    h(
      "form",
      {
        class: "opinion-form",
        onsubmit: async (e) => {
          e.preventDefault();
          replace(error);
          const body = {
            department: user.department,
            verdict: verdict.value,
            items: [...items.querySelectorAll("li")]
              .map((li) => ({
                text: li.querySelector(".item-text").value.trim(),
                finding_id: Number(li.querySelector(".item-finding").value) || null,
                annotation_id: Number(li.querySelector(".item-annotation").value) || null,
              }))
              .filter((i) => i.text),
          };
          try {
            await api("POST", `/api/submissions/${sub.id}/opinions`, body);
            onDone();
          } catch (err) {
            replace(error, errorText(err));
          }
        },
      },
      h("label", null, t("opinion.verdict"), verdict),
      items,
      h(
        "div",
        { class: "row" },
        h("button", { class: "secondary", type: "button", "data-testid": "opinion-add-item", onclick: () => addItem() }, t("opinion.add_item")),
        confirmed.length
          ? h("button", { class: "secondary", type: "button", onclick: () => confirmed.forEach((f) => addItem(`${f.code}：${f.message}`, f.id)) }, t("opinion.from_confirmed", { n: confirmed.length }))
          : null,
        h("div", { class: "spacer" }),
        h("button", { class: "primary", type: "submit", "data-testid": "opinion-submit" }, t("opinion.submit")),
      ),
      error,
    ),
  );
}
