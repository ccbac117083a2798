// One submission, as each of its parties sees it: state and live processing progress, the
// drawings, the findings, the annotation threads (with replies), the departments' opinions,
// the issued documents; plus the actions of the role (intake, opinion, consolidation).

import { api, blobUrl, followEvents } from "../api.js";
import { errorBox, errorText, frame, route } from "../app.js";
import { h, num, pill, replace, when } from "../dom.js";
import { currentLang, t, tv } from "../i18n.js";
import { processingPill, statusPill } from "./applicant.js";
import { consolidationPanel, intakePanel } from "./bureau.js";
import { opinionForm } from "./reviewer.js";

export const DEPARTMENTS = ["planning", "architecture", "fire", "civil_defence", "lightning"];

/** The message of a finding in the interface's language. */
export function findingMessage(f) {
  return currentLang() === "en" && f.message_en ? f.message_en : f.message;
}

export function severityPill(severity) {
  return pill(tv("severity", severity), { error: "bad", warning: "warn", info: "info" }[severity]);
}

export function reviewPill(status) {
  return pill(tv("review", status), { confirmed: "bad", dismissed: "plain", open: "wait" }[status]);
}

/** A download button for an authorised PDF (fetched with the login, saved as a file). */
export function pdfButton(url, name) {
  return h(
    "button",
    {
      class: "secondary",
      type: "button",
      "data-testid": "pdf-download",
      onclick: async (e) => {
        const button = e.currentTarget;
        button.disabled = true;
        try {
          const href = await blobUrl(url);
          const a = h("a", { href, download: name });
          document.body.append(a);
          a.click();
          a.remove();
          setTimeout(() => URL.revokeObjectURL(href), 60000);
        } finally {
          button.disabled = false;
        }
      },
    },
    t("doc.download"),
  );
}

function progressBar(sub) {
  const p = sub.progress || { done: 0, total: 1 };
  const share = p.total ? p.done / p.total : 0;
  const fill = h("div", { class: "bar-fill" });
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  return h(
    "div",
    { class: "processing" },
    h("div", { class: "bar", "data-testid": "processing-bar" }, fill, h("span", { class: "bar-label" }, t("processing.progress", { done: p.done, total: p.total }))),
    h("span", { "data-testid": "processing-state" }, processingPill(sub.processing)),
    sub.processing_error ? h("span", { class: "warn-text" }, sub.processing_error) : null,
  );
}

function headSection(sub) {
  const deadlines = (sub.deadlines || []).filter((d) => !d.ended_at && d.due_at);
  return h(
    "section",
    { class: "card" },
    h(
      "div",
      { class: "card-head" },
      h("h1", null, sub.project_name, " ", h("small", null, t("round.n", { n: sub.round }))),
      h("span", { "data-testid": "submission-status" }, statusPill(sub.status)),
    ),
    progressBar(sub),
    sub.note ? h("p", { class: "note" }, h("strong", null, t("submission.note"), " "), sub.note) : null,
    deadlines.length
      ? h(
          "p",
          { class: "muted" },
          t("submission.deadlines"),
          " ",
          deadlines.map((d) => `${tv("step", d.step)}${d.department ? "·" + tv("dept", d.department) : ""} ${when(d.due_at, currentLang())}`).join("；"),
        )
      : null,
  );
}

function drawingsSection(sub) {
  const cards = sub.drawings.map((d) => {
    const img = h("img", { class: "thumb", alt: d.file });
    if (d.status === "ingested") {
      blobUrl(`/api/drawings/${d.id}/thumbnail.png`)
        .then((u) => {
          img.src = u;
        })
        .catch(() => img.classList.add("thumb-missing"));
    } else img.classList.add("thumb-missing");
    const open = d.status === "ingested";
    return h(
      open ? "a" : "div",
      { class: "drawing-card", href: open ? `#/drawings/${d.id}` : null, "data-testid": `drawing-${d.discipline}` },
      img,
      h("div", { class: "drawing-meta" }, h("strong", null, tv("dept", d.discipline)), h("span", { class: "muted file" }, d.file), pill(tv("drawing", d.status), { ingested: "ok", failed: "bad" }[d.status] || "wait")),
      d.error ? h("div", { class: "warn-text" }, d.error) : null,
    );
  });
  return h("section", { class: "card" }, h("h2", null, t("submission.drawings")), h("div", { class: "drawing-grid" }, cards));
}

function findingsSection(sub, findings) {
  const byDiscipline = h(
    "select",
    { "data-testid": "findings-filter" },
    h("option", { value: "" }, t("filter.all_disciplines")),
    [...DEPARTMENTS, "joint"].map((d) => h("option", { value: d }, tv("dept", d))),
  );
  const body = h("tbody");
  function fill() {
    const rows = findings.filter((f) => !byDiscipline.value || f.discipline === byDiscipline.value);
    replace(
      body,
      rows.length
        ? rows.map((f) =>
            h(
              "tr",
              { "data-testid": "finding-row" },
              h("td", null, h("code", null, f.code)),
              h("td", null, severityPill(f.severity)),
              h("td", null, tv("dept", f.discipline)),
              h("td", { class: "message" }, findingMessage(f), f.clause ? h("div", { class: "muted small" }, f.clause) : null),
              h("td", null, f.measured !== null && f.measured !== undefined ? `${num(f.measured)} / ${num(f.limit)} ${f.unit || ""}` : "—"),
              h("td", null, reviewPill(f.review_status), f.review_reason ? h("div", { class: "muted small" }, f.review_reason) : null),
              h("td", { class: "right" }, f.drawing_id ? h("a", { href: `#/drawings/${f.drawing_id}/finding/${f.id}` }, t("finding.locate")) : "—"),
            ),
          )
        : h("tr", null, h("td", { colspan: 7, class: "muted" }, t("finding.none"))),
    );
  }
  byDiscipline.addEventListener("change", fill);
  fill();
  return h(
    "section",
    { class: "card" },
    h("div", { class: "card-head" }, h("h2", null, t("submission.findings"), " ", h("small", null, String(findings.length))), byDiscipline),
    h(
      "table",
      { class: "table" },
      h("thead", null, h("tr", null, ["col.code", "col.severity", "col.discipline", "col.message", "col.measured", "col.review", ""].map((k) => h("th", null, k ? t(k) : "")))),
      body,
    ),
  );
}

/** A form whose submit runs ``send`` and shows what went wrong (as text) under its fields. */
export function sendingForm(cls, send, ...children) {
  const error = h("div", { class: "form-error", role: "alert" });
  const submit = async (e) => {
    e.preventDefault();
    replace(error);
    try {
      await send();
    } catch (err) {
      replace(error, errorText(err));
    }
  };
  return h("form", { class: cls, onsubmit: submit }, ...children, error);
}

/** A reply form under an annotation. */
export function replyForm(annotation, onDone) {
  const text = h("input", { placeholder: t("reply.placeholder"), maxlength: 5000, required: true, "data-testid": "reply-text" });
  const send = async () => {
    await api("POST", `/api/annotations/${annotation.id}/replies`, { text: text.value });
    text.value = "";
    onDone();
  };
  return sendingForm("reply-form", send, text, h("button", { class: "secondary", type: "submit", "data-testid": "reply-submit" }, t("reply.submit")));
}

/** The thread of an annotation: its replies as text. */
export function thread(a) {
  return h(
    "ul",
    { class: "thread" },
    a.replies.map((r) =>
      h("li", null, h("span", { class: "who" }, r.author, r.department ? ` · ${tv("dept", r.department)}` : r.role ? ` · ${tv("role", r.role)}` : ""), h("span", { class: "muted small" }, " ", when(r.created_at, currentLang())), h("div", null, r.text)),
    ),
  );
}

function annotationsSection(user, sub, annotations, reload) {
  const canReply = user.role === "reviewer" || user.role === "applicant";
  const items = annotations.filter((a) => a.status !== "withdrawn");
  return h(
    "section",
    { class: "card", "data-section": "annotations" },
    h("h2", null, t("submission.annotations"), " ", h("small", null, String(items.length))),
    items.length
      ? h(
          "ul",
          { class: "annotation-list" },
          items.map((a) =>
            h(
              "li",
              { class: `annotation dept-${a.department}`, "data-testid": "annotation-item" },
              h(
                "div",
                { class: "annotation-head" },
                h("span", { class: `swatch dept-bg-${a.department}` }),
                h("strong", null, tv("dept", a.department)),
                h("span", null, " · ", a.author, " · ", tv("kind", a.kind)),
                h("span", { class: "muted small" }, " ", when(a.created_at, currentLang())),
                pill(tv("astatus", a.status), a.status === "resolved" ? "ok" : "wait"),
                a.internal ? pill(t("annotation.internal_short"), "info") : null,
                h("a", { href: `#/drawings/${a.drawing_id}/annotation/${a.id}`, class: "small" }, t("finding.locate")),
              ),
              h("div", { class: "annotation-text" }, a.text || "—"),
              thread(a),
              canReply ? replyForm(a, reload) : null,
            ),
          ),
        )
      : h("p", { class: "muted" }, t("annotation.none")),
  );
}

export function opinionsList(opinions) {
  return opinions.map((o) =>
    h(
      "div",
      { class: "opinion", "data-testid": `opinion-${o.department}` },
      h("div", { class: "opinion-head" }, h("strong", null, tv("dept", o.department)), " ", pill(tv("verdict", o.verdict), o.verdict === "pass" ? "ok" : "warn"), h("span", { class: "muted small" }, " ", o.author, " · ", when(o.created_at, currentLang()))),
      o.items.length ? h("ol", null, o.items.map((i) => h("li", null, i.text, i.finding_id ? h("span", { class: "muted small" }, ` [${t("opinion.finding")} #${i.finding_id}]`) : null, i.annotation_id ? h("span", { class: "muted small" }, ` [${t("opinion.annotation")} #${i.annotation_id}]`) : null))) : null,
    ),
  );
}

/** Where an open item is on its drawing (a finding or annotation selected in the viewer). */
function itemLink(item) {
  if (!item.drawing_id) return null;
  const kind = { finding: "finding", annotation: "annotation" }[item.source_type];
  const href = kind ? `#/drawings/${item.drawing_id}/${kind}/${item.source_id}` : `#/drawings/${item.drawing_id}`;
  return h("a", { href, class: "small" }, t("finding.locate"));
}

/** The applicant's answer to one open item: fixed, or explained, with a text. */
function answerForm(sub, item, onDone) {
  const status = h(
    "select",
    { "data-testid": "answer-status" },
    ["fixed", "explained"].map((k) => h("option", { value: k, selected: item.answer && item.answer.status === k }, tv("answer", k))),
  );
  const text = h("input", { maxlength: 5000, required: true, placeholder: t("answer.placeholder"), "data-testid": "answer-text" });
  if (item.answer) text.value = item.answer.text;
  const send = async () => {
    const path = `/api/submissions/${sub.id}/items/${item.source_type}/${item.source_id}/answer`;
    await api("PUT", path, { status: status.value, text: text.value });
    text.blur(); // the section redraws with the answer
    onDone();
  };
  return sendingForm("reply-form", send, status, text, h("button", { class: "secondary", type: "submit", "data-testid": "answer-submit" }, t("answer.submit")));
}

/** The items of the round the applicant must answer, with their answers. */
function itemsSection(user, sub, items, reload) {
  if (!items.length || !["revising", "resubmitted"].includes(sub.status)) return null;
  const answering = user.role === "applicant" && sub.status === "revising";
  return h(
    "section",
    { class: "card", "data-testid": "open-items" },
    h("h2", null, t("submission.items"), " ", h("small", null, String(items.length))),
    h(
      "ol",
      { class: "annotation-list items-to-answer" },
      items.map((it) =>
        h(
          "li",
          { class: `annotation dept-${it.discipline}`, "data-testid": "open-item" },
          h("div", { class: "annotation-head" }, h("strong", null, tv("dept", it.discipline)), it.code ? h("code", null, it.code) : null, h("span", { class: "muted small" }, it.raised_by), itemLink(it)),
          h("div", { class: "annotation-text" }, it.text),
          it.answer ? h("div", { class: "answer", "data-testid": "item-answer" }, pill(tv("answer", it.answer.status), it.answer.status === "fixed" ? "ok" : "info"), " ", it.answer.text) : null,
          answering ? answerForm(sub, it, reload) : null,
        ),
      ),
    ),
  );
}

function documentsSection(documents) {
  if (!documents.length) return null;
  return h(
    "section",
    { class: "card" },
    h("h2", null, t("submission.documents")),
    documents.map((d) =>
      h(
        "div",
        { class: "document", "data-testid": "document" },
        h("strong", null, tv("dockind", d.kind)),
        h("span", null, " ", t("doc.code"), " "),
        h("code", { "data-testid": "verification-code" }, d.verification_code),
        h("span", { class: "muted small" }, " ", when(d.issued_at, currentLang()), " "),
        pdfButton(d.url, `${d.kind}-${d.id}.pdf`),
      ),
    ),
  );
}

/** Whether the user is typing in ``section`` (a redraw now would lose the text). */
function typing(section) {
  const a = document.activeElement;
  return Boolean(a && section.contains(a) && (a.tagName === "TEXTAREA" || a.tagName === "INPUT") && a.value);
}

route("/submissions/:id", [], async (user, params) => {
  const main = frame(user, null);
  const id = Number(params.id);
  const sections = {
    head: h("div"), actions: h("div"), items: h("div"), drawings: h("div"), findings: h("div"),
    annotations: h("div"), opinions: h("div"), documents: h("div"),
  };
  replace(main, Object.values(sections));
  let sub = null;
  let findings = [];
  let annotations = [];

  async function loadAnnotations() {
    const lists = await Promise.all(
      sub.drawings.filter((d) => d.status === "ingested").map((d) => api("GET", `/api/drawings/${d.id}/annotations`).catch(() => [])),
    );
    annotations = lists.flat();
    if (!typing(sections.annotations)) {
      replace(sections.annotations, annotationsSection(user, sub, annotations, loadAnnotations));
    }
  }

  async function load() {
    try {
      sub = await api("GET", `/api/submissions/${id}`);
    } catch (err) {
      replace(sections.head, errorBox(err));
      return;
    }
    replace(sections.head, headSection(sub));
    replace(sections.drawings, drawingsSection(sub));
    const [f, opinions, documents, items] = await Promise.all([
      api("GET", `/api/submissions/${id}/findings`).catch(() => []),
      api("GET", `/api/submissions/${id}/opinions`).catch(() => []),
      api("GET", `/api/submissions/${id}/documents`).catch(() => []),
      api("GET", `/api/submissions/${id}/items`).catch(() => []),
    ]);
    if (!typing(sections.items)) replace(sections.items, itemsSection(user, sub, items, load));
    findings = f;
    replace(sections.findings, findingsSection(sub, findings));
    replace(
      sections.opinions,
      opinions.length ? h("section", { class: "card" }, h("h2", null, t("submission.opinions")), opinionsList(opinions)) : null,
    );
    replace(sections.documents, documentsSection(documents));
    if (!typing(sections.actions)) replace(sections.actions, await actions());
    await loadAnnotations();
  }

  async function actions() {
    if (user.role === "bureau" && sub.status === "intake") return intakePanel(sub, load);
    if ((user.role === "bureau" || user.role === "supervisor") && ["consolidation", "revising", "approved"].includes(sub.status)) {
      return consolidationPanel(user, sub, load);
    }
    if (user.role === "reviewer" && sub.status === "in_review") return opinionForm(user, sub, findings, annotations, load);
    return null;
  }

  await load();
  let timer = 0;
  const later = () => {
    clearTimeout(timer);
    timer = setTimeout(load, 300);
  };
  const events = followEvents(id, {
    status: (s) => {
      if (!sub) return;
      const changed = s.status !== sub.status || s.processing !== sub.processing;
      Object.assign(sub, { status: s.status, processing: s.processing, progress: s.progress });
      replace(sections.head, headSection(sub));
      if (changed) later();
    },
    change: (e) => {
      if (e.object_type === "annotation" || e.object_type === "reply") loadAnnotations();
      else later();
    },
  });
  return () => {
    events.close();
    clearTimeout(timer);
  };
});
