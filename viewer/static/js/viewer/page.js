// The shared drawing viewer: sheet picker, pan and zoom, layer groups, coordinates and scale
// bar, distance and area, findings at their place, the departments' annotations with
// threads, and live updates from the other reviewers.

import { api, followEvents, takeEarly } from "../api.js";
import { errorBox, errorText, frame, route } from "../app.js";
import { h, num, pill, replace, when } from "../dom.js";
import { currentLang, t, tv } from "../i18n.js";
import { findingMessage, replyForm, reviewPill, severityPill, thread } from "../pages/submission.js";
import { DrawingCanvas, FONT_STACK } from "./canvas.js";
import { area, bounds, formatLength, length, niceLength, parts, screenDistance } from "./geometry.js";
import { readPayload } from "./payload.js";
import { drawRounds, loadCarried, roundsPanel } from "./rounds.js";

export const DEPT_COLOURS = {
  planning: "#2e7d32",
  architecture: "#1565c0",
  fire: "#ef6c00",
  civil_defence: "#6a1b9a",
  lightning: "#00838f",
};
const FINDING_COLOUR = "#e00000";
const ANNOTATE_STATES = ["intake", "in_review", "consolidation"];
const DRAG_TOOLS = ["cloud", "rectangle", "arrow"];
const CLICK_TOOLS = ["polyline", "distance", "area"];
const HIT_PX = 7;

/** Everything the viewer page knows; one object, so handlers share it. */
class Viewer {
  constructor(user, drawingId, focus) {
    this.user = user;
    this.drawingId = drawingId;
    this.focus = focus;
    this.context = null;
    this.findings = [];
    this.annotations = [];
    this.selected = null; // {type: "finding" | "annotation", id}
    this.tool = "pan";
    this.draft = null; // {tool, points (drawing coords), cursor}
    this.measure = null; // {kind, points, value}
    this.pending = null; // a new annotation's geometry awaiting its text
    this.filters = { dept: "", status: "open" };
    this.tab = "findings";
    this.live = false;
  }

  get submission() {
    return this.context.submission;
  }

  canAnnotate() {
    return this.user.role === "reviewer" && ANNOTATE_STATES.includes(this.submission.status);
  }

  canReviewFinding(f) {
    return (
      this.user.role === "reviewer" &&
      this.submission.status === "in_review" &&
      (f.discipline === this.user.department || f.discipline === "joint")
    );
  }

  // --- loading ---------------------------------------------------------------------------

  async load(main) {
    this.main = main;
    replace(main, h("div", { class: "viewer-loading", "data-testid": "viewer-loading" }, t("viewer.loading")));
    performance.mark("viewer:start");
    const payload = takeEarly(`/api/drawings/${this.drawingId}/vector`);
    payload.catch(() => {});
    try {
      this.context = await api("GET", `/api/drawings/${this.drawingId}/context`);
    } catch (err) {
      replace(main, errorBox(err));
      return;
    }
    this.build();
    await Promise.all([this.loadPayload(payload), this.loadFindings(), this.loadAnnotations(), loadCarried(this)]);
    this.applyFocus();
    this.events = followEvents(this.submission.id, {
      change: (e) => this.onChange(e),
      status: (s) => {
        const before = this.submission.status;
        this.submission.status = s.status;
        if (before !== s.status) this.renderToolbar();
      },
      connection: (up) => this.setLive(up),
    });
  }

  async loadPayload(pending) {
    try {
      const buf = await pending;
      performance.mark("viewer:payload-received");
      this.data = readPayload(buf);
    } catch (err) {
      replace(this.stage, errorBox(err));
      return;
    }
    this.canvas.setPayload(this.data);
    performance.mark("viewer:payload-indexed");
    const head = this.data.head;
    this.renderSheets();
    if (this.tab === "layers") this.renderPanel();
    if (head.bbox) this.canvas.fitDrawingBox(head.bbox);
  }

  async loadFindings() {
    try {
      this.findings = await api("GET", `/api/submissions/${this.submission.id}/findings?drawing_id=${this.drawingId}`);
    } catch (err) {
      this.findings = [];
    }
    if (this.tab === "findings") this.renderPanel();
    this.canvas.overlayChanged();
  }

  async loadAnnotations() {
    try {
      this.annotations = await api("GET", `/api/drawings/${this.drawingId}/annotations`);
    } catch (err) {
      this.annotations = [];
    }
    if (this.tab === "annotations" && !this.panelBusy()) this.renderPanel();
    this.canvas.overlayChanged();
  }

  /** Whether the user is typing in the side panel (a redraw would lose the text). */
  panelBusy() {
    const a = document.activeElement;
    return Boolean(a && this.panel.contains(a) && (a.tagName === "TEXTAREA" || a.tagName === "INPUT") && a.value);
  }

  onChange(e) {
    const mine = e.drawing_id === this.drawingId || e.drawing_id === null;
    if (!mine) return;
    clearTimeout(this.reloadTimer);
    this.reloadTimer = setTimeout(() => {
      if (e.object_type === "finding") this.loadFindings();
      else if (e.object_type === "annotation" || e.object_type === "reply") this.loadAnnotations();
    }, 150);
  }

  setLive(up) {
    this.live = up;
    if (this.liveBadge) {
      this.liveBadge.className = up ? "live on" : "live off";
      replace(this.liveBadge, up ? t("viewer.live_on") : t("viewer.live_off"));
    }
  }

  applyFocus() {
    if (!this.focus) return;
    const { type, id } = this.focus;
    const list = type === "finding" ? this.findings : this.annotations;
    const item = list.find((x) => x.id === id);
    if (item) {
      this.tab = type === "finding" ? "findings" : "annotations";
      this.select(type, id, true);
    }
    this.focus = null;
  }

  // --- layout ----------------------------------------------------------------------------

  build() {
    const c = this.context;
    this.toolbar = h("div", { class: "viewer-toolbar" });
    this.stage = h("div", { class: "viewer-stage", "data-testid": "viewer-stage" });
    this.coords = h("div", { class: "viewer-coords", "data-testid": "viewer-coords" }, "");
    this.hint = h("div", { class: "viewer-hint" }, "");
    this.panel = h("aside", { class: "viewer-panel" });
    this.tabs = h("div", { class: "tabs" });
    this.panelBody = h("div", { class: "panel-body" });
    this.panel.append(this.tabs, this.panelBody);
    const title = h(
      "div",
      { class: "viewer-title" },
      h("a", { href: `#/submissions/${c.submission.id}`, class: "back" }, "← ", c.submission.project_name, " · ", t("round.n", { n: c.submission.round })),
      h("strong", { "data-testid": "viewer-file" }, tv("dept", c.drawing.discipline), " · ", c.drawing.file),
    );
    replace(
      this.main,
      h(
        "div",
        { class: "viewer" },
        h("div", { class: "viewer-head" }, title, this.toolbar),
        h("div", { class: "viewer-body" }, h("div", { class: "viewer-canvas-wrap" }, this.stage, this.coords, this.hint), this.panel),
      ),
    );
    this.canvas = new DrawingCanvas(this.stage, {
      overlay: (ctx) => this.drawOverlay(ctx),
      fullDraw: (cv) => this.firstView(cv),
    });
    this.bindPointer();
    this.renderToolbar();
    this.renderTabs();
    this.renderPanel();
  }

  firstView(cv) {
    if (cv.fullDraws !== 1 || !this.data) return;
    performance.mark("viewer:drawn");
    cv.flush();
    performance.mark("viewer:flushed");
    requestAnimationFrame(() => {
      window.__firstViewMs = performance.now();
      this.stage.dataset.ready = "1";
    });
  }

  renderToolbar() {
    const tools = [["pan", "tool.pan"], ["distance", "tool.distance"], ["area", "tool.area"]];
    if (this.canAnnotate()) {
      tools.push(["cloud", "tool.cloud"], ["rectangle", "tool.rectangle"], ["arrow", "tool.arrow"], ["text", "tool.text"], ["polyline", "tool.polyline"]);
    }
    if (!tools.some(([k]) => k === this.tool)) this.tool = "pan";
    this.sheetSelect = this.sheetSelect || h("select", { class: "sheet-picker", "data-testid": "sheet-picker", title: t("viewer.sheet") });
    this.drawingSelect = h(
      "select",
      { "data-testid": "drawing-picker", title: t("viewer.drawing"), onchange: (e) => (location.hash = `#/drawings/${e.target.value}`) },
      this.context.drawings
        .filter((d) => d.status === "ingested")
        .map((d) => h("option", { value: String(d.id), selected: d.id === this.drawingId }, `${tv("dept", d.discipline)} · ${d.file}`)),
    );
    this.liveBadge = h("span", { class: this.live ? "live on" : "live off", "data-testid": "live" }, this.live ? t("viewer.live_on") : t("viewer.live_off"));
    replace(
      this.toolbar,
      this.drawingSelect,
      this.sheetSelect,
      h(
        "div",
        { class: "toolgroup", role: "toolbar" },
        tools.map(([k, label]) =>
          h("button", { type: "button", class: k === this.tool ? "tool active" : "tool", "data-tool": k, "data-testid": `tool-${k}`, onclick: () => this.setTool(k) }, t(label)),
        ),
      ),
      h("button", { type: "button", class: "tool", "data-testid": "fit", onclick: () => this.fitCurrent() }, t("tool.fit")),
      this.liveBadge,
    );
  }

  renderSheets() {
    const head = this.data.head;
    replace(
      this.sheetSelect,
      h("option", { value: "" }, t("viewer.whole")),
      head.sheets.map((s) =>
        h("option", { value: String(s.index) }, [s.sheetNo || s.label || `#${s.index + 1}`, s.title, s.floor ? `(${s.floor})` : ""].filter(Boolean).join(" ")),
      ),
    );
    this.sheetSelect.onchange = () => this.fitCurrent();
  }

  fitCurrent() {
    if (!this.data) return;
    const v = this.sheetSelect.value;
    const head = this.data.head;
    const sheet = v === "" ? null : head.sheets.find((s) => String(s.index) === v);
    const box = sheet ? sheet.bbox : head.bbox;
    if (box) this.canvas.fitDrawingBox(box);
  }

  setTool(k) {
    this.tool = k;
    this.draft = null;
    if (k !== "distance" && k !== "area") this.measure = null;
    for (const b of this.toolbar.querySelectorAll("[data-tool]")) b.classList.toggle("active", b.dataset.tool === k);
    this.stage.dataset.tool = k;
    replace(this.hint, k === "pan" ? "" : t(`hint.${k}`));
    this.canvas.overlayChanged();
  }

  renderTabs() {
    const tab = (k, label) =>
      h("button", { type: "button", class: this.tab === k ? "tab active" : "tab", "data-testid": `tab-${k}`, onclick: () => { this.tab = k; this.renderTabs(); this.renderPanel(); } }, t(label));
    replace(this.tabs, tab("findings", "viewer.tab_findings"), tab("annotations", "viewer.tab_annotations"), tab("layers", "viewer.tab_layers"), tab("rounds", "viewer.tab_rounds"));
  }

  renderPanel() {
    if (!this.panelBody) return;
    const top = this.pending ? this.pendingForm() : this.measure ? this.measureCard() : null;
    let body;
    if (this.tab === "findings") body = this.findingsPanel();
    else if (this.tab === "annotations") body = this.annotationsPanel();
    else if (this.tab === "rounds") body = roundsPanel(this);
    else body = this.layersPanel();
    replace(this.panelBody, top, body);
  }

  // --- findings --------------------------------------------------------------------------

  findingsPanel() {
    const list = this.findings;
    const sel = this.selected && this.selected.type === "finding" ? list.find((f) => f.id === this.selected.id) : null;
    return h(
      "div",
      null,
      sel ? this.findingDetail(sel) : null,
      list.length
        ? h(
            "ul",
            { class: "item-list", "data-testid": "finding-list" },
            list.map((f) =>
              h(
                "li",
                {
                  class: sel && sel.id === f.id ? "item selected" : "item",
                  "data-testid": "finding-item",
                  "data-id": String(f.id),
                  onclick: () => this.select("finding", f.id, true),
                },
                h("div", { class: "item-head" }, h("code", null, f.code), severityPill(f.severity), reviewPill(f.review_status), f.location ? null : h("span", { class: "muted small" }, t("finding.no_location"))),
                h("div", { class: "item-text" }, findingMessage(f)),
              ),
            ),
          )
        : h("p", { class: "muted" }, t("finding.none_here")),
    );
  }

  findingDetail(f) {
    const reason = h("textarea", { rows: 2, maxlength: 5000, placeholder: t("finding.reason"), "data-testid": "finding-reason" });
    const error = h("div", { class: "form-error", role: "alert" });
    const decide = async (status) => {
      replace(error);
      if (status === "dismissed" && !reason.value.trim()) {
        replace(error, t("finding.reason_required"));
        return;
      }
      try {
        await api("PATCH", `/api/findings/${f.id}`, { review_status: status, reason: reason.value });
        await this.loadFindings();
      } catch (err) {
        replace(error, errorText(err));
      }
    };
    return h(
      "div",
      { class: "detail", "data-testid": "finding-detail" },
      h("div", { class: "item-head" }, h("code", null, f.code), severityPill(f.severity), tv("dept", f.discipline)),
      h("p", null, findingMessage(f)),
      f.clause ? h("p", { class: "muted small" }, t("finding.clause"), " ", f.clause) : null,
      f.measured !== null && f.measured !== undefined ? h("p", { class: "small" }, t("finding.measured"), " ", num(f.measured), " / ", t("finding.limit"), " ", num(f.limit), " ", f.unit || "") : null,
      f.sheet ? h("p", { class: "small" }, t("finding.sheet"), " ", f.sheet) : null,
      h("p", null, reviewPill(f.review_status), f.review_reason ? h("span", { class: "muted small" }, " ", f.review_reason) : null),
      this.canReviewFinding(f)
        ? h(
            "div",
            { class: "stack" },
            reason,
            h(
              "div",
              { class: "row" },
              h("button", { class: "primary", type: "button", "data-testid": "finding-confirm", onclick: () => decide("confirmed") }, t("finding.confirm")),
              h("button", { class: "secondary", type: "button", "data-testid": "finding-dismiss", onclick: () => decide("dismissed") }, t("finding.dismiss")),
              f.review_status !== "open" ? h("button", { class: "link", type: "button", onclick: () => decide("open") }, t("finding.reopen")) : null,
            ),
            error,
          )
        : null,
    );
  }

  // --- annotations -----------------------------------------------------------------------

  visibleAnnotations() {
    return this.annotations.filter(
      (a) =>
        a.status !== "withdrawn" &&
        (!this.filters.dept || a.department === this.filters.dept) &&
        (!this.filters.status || a.status === this.filters.status),
    );
  }

  annotationsPanel() {
    const dept = h(
      "select",
      { "data-testid": "annotation-filter-dept", onchange: (e) => { this.filters.dept = e.target.value; this.renderPanel(); this.canvas.overlayChanged(); } },
      h("option", { value: "" }, t("filter.all_departments")),
      Object.keys(DEPT_COLOURS).map((d) => h("option", { value: d, selected: this.filters.dept === d }, tv("dept", d))),
    );
    const status = h(
      "select",
      { "data-testid": "annotation-filter-status", onchange: (e) => { this.filters.status = e.target.value; this.renderPanel(); this.canvas.overlayChanged(); } },
      h("option", { value: "" }, t("filter.all_status")),
      ["open", "resolved"].map((s) => h("option", { value: s, selected: this.filters.status === s }, tv("astatus", s))),
    );
    const list = this.visibleAnnotations();
    const sel = this.selected && this.selected.type === "annotation" ? this.annotations.find((a) => a.id === this.selected.id) : null;
    return h(
      "div",
      null,
      h("div", { class: "row filters" }, dept, status),
      sel ? this.annotationDetail(sel) : null,
      list.length
        ? h(
            "ul",
            { class: "item-list", "data-testid": "annotation-list" },
            list.map((a) =>
              h(
                "li",
                { class: sel && sel.id === a.id ? "item selected" : "item", "data-testid": "annotation-item", "data-id": String(a.id), onclick: () => this.select("annotation", a.id, true) },
                h("div", { class: "item-head" }, h("span", { class: `swatch dept-bg-${a.department}` }), h("strong", null, tv("dept", a.department)), h("span", { class: "muted small" }, a.author, " · ", tv("kind", a.kind)), pill(tv("astatus", a.status), a.status === "resolved" ? "ok" : "wait"), a.internal ? pill(t("annotation.internal_short"), "info") : null),
                h("div", { class: "item-text" }, a.text || "—"),
                a.replies.length ? h("div", { class: "muted small" }, t("annotation.replies", { n: a.replies.length })) : null,
              ),
            ),
          )
        : h("p", { class: "muted" }, t("annotation.none_filtered")),
    );
  }

  annotationDetail(a) {
    const own = this.user.role === "reviewer" && this.user.department === a.department && ANNOTATE_STATES.includes(this.submission.status);
    const author = this.user.id === a.author_id && ANNOTATE_STATES.includes(this.submission.status);
    const error = h("div", { class: "form-error", role: "alert" });
    const act = async (method, body) => {
      replace(error);
      try {
        await api(method, `/api/annotations/${a.id}`, body);
        await this.loadAnnotations();
        this.renderPanel();
      } catch (err) {
        replace(error, errorText(err));
      }
    };
    const canReply = this.user.role === "reviewer" || this.user.role === "applicant";
    return h(
      "div",
      { class: `detail dept-${a.department}`, "data-testid": "annotation-detail" },
      h("div", { class: "item-head" }, h("span", { class: `swatch dept-bg-${a.department}` }), h("strong", null, tv("dept", a.department)), h("span", null, a.author), h("span", { class: "muted small" }, when(a.created_at, currentLang()))),
      h("p", { class: "annotation-text" }, a.text || "—"),
      a.finding_id ? h("p", { class: "muted small" }, t("opinion.finding"), ` #${a.finding_id}`) : null,
      thread(a),
      canReply ? replyForm(a, () => this.loadAnnotations().then(() => this.renderPanel())) : null,
      h(
        "div",
        { class: "row" },
        own ? h("button", { class: "link", type: "button", "data-testid": "annotation-edit", onclick: () => this.editAnnotation(a) }, t("annotation.edit")) : null,
        own ? h("button", { class: "link", type: "button", "data-testid": "annotation-resolve", onclick: () => act("PATCH", { status: a.status === "resolved" ? "open" : "resolved" }) }, a.status === "resolved" ? t("annotation.reopen") : t("annotation.resolve")) : null,
        author ? h("button", { class: "link danger-text", type: "button", "data-testid": "annotation-withdraw", onclick: () => act("DELETE") }, t("annotation.withdraw")) : null,
      ),
      error,
    );
  }

  /** Replace the text of an annotation of the user's department (its geometry stays). */
  editAnnotation(a) {
    const detail = this.panel.querySelector("[data-testid=annotation-detail] .annotation-text");
    if (!detail) return;
    const text = h("textarea", { rows: 3, maxlength: 5000, "data-testid": "annotation-edit-text" });
    text.value = a.text;
    const error = h("div", { class: "form-error", role: "alert" });
    const form = h(
      "form",
      {
        class: "stack",
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            await api("PATCH", `/api/annotations/${a.id}`, { text: text.value });
            await this.loadAnnotations();
            this.renderPanel();
          } catch (err) {
            replace(error, errorText(err));
          }
        },
      },
      text,
      h("div", { class: "row" }, h("button", { class: "primary", type: "submit", "data-testid": "annotation-edit-save" }, t("action.save")), h("button", { class: "link", type: "button", onclick: () => this.renderPanel() }, t("action.cancel"))),
      error,
    );
    detail.replaceWith(form);
    text.focus();
  }

  pendingForm() {
    const p = this.pending;
    const text = h("textarea", { rows: 3, maxlength: 5000, placeholder: t("annotation.text_hint"), "data-testid": "annotation-text" });
    const internal = h("input", { type: "checkbox", "data-testid": "annotation-internal" });
    const finding = h(
      "select",
      { "data-testid": "annotation-finding" },
      h("option", { value: "" }, t("opinion.no_finding")),
      this.findings.map((f) => h("option", { value: String(f.id), selected: this.selected && this.selected.type === "finding" && this.selected.id === f.id }, `#${f.id} ${f.code}`)),
    );
    const error = h("div", { class: "form-error", role: "alert" });
    const save = async (e) => {
      e.preventDefault();
      replace(error);
      if (p.kind === "text" && !text.value.trim()) {
        replace(error, t("annotation.text_required"));
        return;
      }
      const body = {
        kind: p.kind,
        geometry: p.geometry,
        text: text.value,
        internal: internal.checked,
        finding_id: Number(finding.value) || null,
        client_key: p.key,
      };
      try {
        const a = await api("POST", `/api/drawings/${this.drawingId}/annotations`, body);
        this.pending = null;
        this.tab = "annotations";
        this.filters.status = "";
        await this.loadAnnotations();
        this.renderTabs();
        this.select("annotation", a.id, false);
      } catch (err) {
        replace(error, errorText(err));
      }
    };
    const form = h(
      "form",
      { class: "detail new-annotation", onsubmit: save, "data-testid": "annotation-form" },
      h("strong", null, t("annotation.new", { kind: tv("kind", p.kind) })),
      text,
      h("label", { class: "check" }, internal, t("annotation.internal")),
      h("label", null, t("annotation.link_finding"), finding),
      h(
        "div",
        { class: "row" },
        h("button", { class: "primary", type: "submit", "data-testid": "annotation-save" }, t("action.save")),
        h("button", { class: "link", type: "button", onclick: () => { this.pending = null; this.renderPanel(); this.canvas.overlayChanged(); } }, t("action.cancel")),
      ),
      error,
    );
    setTimeout(() => text.focus(), 0);
    return form;
  }

  measureCard() {
    const m = this.measure;
    const value = m.kind === "distance" ? formatLength(m.value) : `${num(m.value, 2)} m²`;
    return h(
      "div",
      { class: "detail measure", "data-testid": "measure-result" },
      h("strong", null, tv("tool", m.kind)),
      h("div", { class: "measure-value", "data-testid": "measure-value" }, value),
      m.kind === "area" ? h("div", { class: "muted small" }, t("measure.perimeter"), " ", formatLength(length([...m.points, m.points[0]]))) : null,
      this.canAnnotate()
        ? h(
            "button",
            {
              class: "link",
              type: "button",
              onclick: () => {
                const geometry = m.kind === "area" ? { type: "Polygon", coordinates: [[...m.points, m.points[0]]] } : { type: "LineString", coordinates: m.points };
                this.pending = { kind: "measure", geometry, key: newKey() };
                this.measure = null;
                this.renderPanel();
              },
            },
            t("measure.save"),
          )
        : null,
    );
  }

  // --- layers ----------------------------------------------------------------------------

  layersPanel() {
    if (!this.data) return h("p", { class: "muted" }, t("viewer.loading"));
    const layers = this.data.head.layers;
    const groups = new Map();
    layers.forEach((l, i) => {
      const key = l.group || "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(i);
    });
    const on = this.canvas.layerOn;
    const set = (indices, value) => {
      const next = on.slice();
      for (const i of indices) next[i] = value;
      this.canvas.setLayerVisibility(next);
      this.renderPanel();
    };
    const all = layers.map((_, i) => i);
    return h(
      "div",
      { class: "layers", "data-testid": "layer-panel" },
      h("div", { class: "row" }, h("button", { class: "link", type: "button", onclick: () => set(all, true) }, t("layers.all_on")), h("button", { class: "link", type: "button", onclick: () => set(all, false) }, t("layers.all_off"))),
      [...groups.entries()]
        .sort((a, b) => (a[0] === "" ? 1 : b[0] === "" ? -1 : a[0].localeCompare(b[0])))
        .map(([group, indices]) => {
          const count = indices.filter((i) => on[i]).length;
          const box = h("input", { type: "checkbox", checked: count === indices.length, "data-testid": "layer-group-toggle", onchange: (e) => set(indices, e.target.checked) });
          box.indeterminate = count > 0 && count < indices.length;
          const colour = h("span", { class: "swatch" });
          colour.style.background = this.data.head.palette[layers[indices[0]].colour] || "#888";
          const only = layers[indices[0]];
          if (group && indices.length === 1) {
            return h(
              "label",
              { class: "check layer-row", "data-testid": "layer-group" },
              box, colour, h("span", { class: "group-name" }, group),
              only.name !== group ? h("span", { class: "layer-name muted small", "data-testid": "layer-name" }, only.name) : null,
              h("span", { class: "muted small" }, ` ${only.paths + only.texts}`),
            );
          }
          return h(
            "details",
            { class: "layer-group", "data-testid": "layer-group" },
            h("summary", null, box, colour, h("span", { class: "group-name" }, group ? `${group} ${tv("group", group) !== group ? tv("group", group) : ""}` : t("layers.unmapped")), h("span", { class: "muted small" }, ` ${indices.length}`)),
            h(
              "ul",
              null,
              indices.map((i) =>
                h(
                  "li",
                  null,
                  h("label", { class: "check" }, h("input", { type: "checkbox", checked: on[i], onchange: (e) => set([i], e.target.checked) }), h("span", { class: "layer-name", "data-testid": "layer-name" }, layers[i].name), h("span", { class: "muted small" }, ` ${layers[i].paths + layers[i].texts}`)),
                ),
              ),
            ),
          );
        }),
    );
  }

  // --- selection -------------------------------------------------------------------------

  select(type, id, zoom) {
    this.selected = { type, id };
    const want = type === "finding" ? "findings" : "annotations";
    if (this.tab !== want) {
      this.tab = want;
      this.renderTabs();
    }
    this.renderPanel();
    const item = (type === "finding" ? this.findings : this.annotations).find((x) => x.id === id);
    if (zoom && item) {
      const geom = type === "finding" ? item.location : item.geometry;
      const b = bounds(geom);
      if (b) {
        const pad = Math.max(b[2] - b[0], b[3] - b[1], 8) * 0.6;
        const cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2;
        this.canvas.fitDrawingBox([cx - pad, cy - pad, cx + pad, cy + pad], 0);
      }
    }
    const row = this.panel.querySelector(`.item.selected`);
    if (row && row.scrollIntoView) row.scrollIntoView({ block: "nearest" });
    this.canvas.overlayChanged();
  }

  hitTest(sx, sy) {
    const toScreen = (x, y) => this.canvas.toScreen(...this.canvas.toLocal(x, y));
    let best = null;
    const consider = (type, id, geom, fill) => {
      const d = screenDistance(geom, [sx, sy], toScreen, fill);
      if (d <= HIT_PX && (!best || d < best.d)) best = { type, id, d };
    };
    for (const a of this.visibleAnnotations()) consider("annotation", a.id, a.geometry, a.kind !== "text");
    for (const f of this.findings) if (f.location) consider("finding", f.id, f.location, true);
    return best;
  }

  // --- pointer ---------------------------------------------------------------------------

  bindPointer() {
    const el = this.canvas.overlay;
    let drag = null;
    const at = (e) => {
      const r = el.getBoundingClientRect();
      return [e.clientX - r.left, e.clientY - r.top];
    };
    const drawingAt = (p) => this.canvas.toDrawing(...this.canvas.toWorld(p[0], p[1]));
    el.addEventListener("wheel", (e) => {
      e.preventDefault();
      const [sx, sy] = at(e);
      const dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
      this.canvas.zoomAt(sx, sy, Math.exp(-dy * 0.0015));
    }, { passive: false });
    el.addEventListener("pointerdown", (e) => {
      const p = at(e);
      el.setPointerCapture(e.pointerId);
      const pan = e.button === 1 || e.button === 2 || this.tool === "pan" || e.shiftKey;
      if (pan) drag = { kind: "pan", last: p, start: p, moved: false };
      else if (DRAG_TOOLS.includes(this.tool) && e.button === 0) {
        drag = { kind: "shape", start: p };
        this.draft = { tool: this.tool, points: [drawingAt(p), drawingAt(p)] };
      } else drag = { kind: "click", start: p };
    });
    el.addEventListener("pointermove", (e) => {
      const p = at(e);
      const [x, y] = drawingAt(p);
      this.coords.textContent = `X ${x.toFixed(3)}  Y ${y.toFixed(3)} m`;
      if (drag && drag.kind === "pan") {
        const dx = p[0] - drag.last[0], dy = p[1] - drag.last[1];
        if (Math.abs(p[0] - drag.start[0]) + Math.abs(p[1] - drag.start[1]) > 3) drag.moved = true;
        drag.last = p;
        if (drag.moved) this.canvas.panBy(dx, dy);
      } else if (drag && drag.kind === "shape" && this.draft) {
        this.draft.points[1] = [x, y];
        this.canvas.overlayChanged();
      } else if (this.draft && CLICK_TOOLS.includes(this.tool)) {
        this.draft.cursor = [x, y];
        this.canvas.overlayChanged();
      }
    });
    el.addEventListener("pointerup", (e) => {
      const p = at(e);
      const d = drag;
      drag = null;
      if (!d) return;
      if (d.kind === "pan") {
        if (!d.moved && e.button === 0) this.click(p);
      } else if (d.kind === "shape") {
        const moved = Math.hypot(p[0] - d.start[0], p[1] - d.start[1]);
        const pts = this.draft ? this.draft.points : null;
        this.draft = null;
        if (moved > 4 && pts) this.finishShape(this.tool, pts);
        this.canvas.overlayChanged();
      } else if (d.kind === "click") {
        this.click(p);
      }
    });
    el.addEventListener("dblclick", (e) => {
      e.preventDefault();
      if (this.draft && CLICK_TOOLS.includes(this.tool)) this.finishClicks();
    });
    el.addEventListener("contextmenu", (e) => e.preventDefault());
    this.keys = (e) => {
      if (e.target && (e.target.tagName === "INPUT" || e.target.tagName === "TEXTAREA" || e.target.tagName === "SELECT")) return;
      if (e.key === "Escape") {
        this.draft = null;
        this.canvas.overlayChanged();
      } else if (e.key === "Enter" && this.draft) this.finishClicks();
      else if (e.key === "+" || e.key === "=") this.canvas.zoomAt(this.canvas.width / 2, this.canvas.height / 2, 1.4);
      else if (e.key === "-") this.canvas.zoomAt(this.canvas.width / 2, this.canvas.height / 2, 1 / 1.4);
    };
    window.addEventListener("keydown", this.keys);
  }

  click(p) {
    const pt = this.canvas.toDrawing(...this.canvas.toWorld(p[0], p[1]));
    if (this.tool === "pan") {
      const hit = this.hitTest(p[0], p[1]);
      if (hit) this.select(hit.type, hit.id, false);
      else {
        this.selected = null;
        this.renderPanel();
        this.canvas.overlayChanged();
      }
    } else if (this.tool === "text") {
      this.pending = { kind: "text", geometry: { type: "Point", coordinates: pt }, key: newKey() };
      this.renderPanel();
      this.canvas.overlayChanged();
    } else if (CLICK_TOOLS.includes(this.tool)) {
      if (!this.draft) this.draft = { tool: this.tool, points: [] };
      const last = this.draft.points[this.draft.points.length - 1];
      if (!last || last[0] !== pt[0] || last[1] !== pt[1]) this.draft.points.push(pt);
      this.canvas.overlayChanged();
    }
  }

  finishShape(tool, [a, b]) {
    let geometry;
    if (tool === "arrow") geometry = { type: "LineString", coordinates: [a, b] };
    else {
      const [x0, x1] = [Math.min(a[0], b[0]), Math.max(a[0], b[0])];
      const [y0, y1] = [Math.min(a[1], b[1]), Math.max(a[1], b[1])];
      geometry = { type: "Polygon", coordinates: [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]] };
    }
    this.pending = { kind: tool, geometry, key: newKey() };
    this.renderPanel();
  }

  finishClicks() {
    const d = this.draft;
    this.draft = null;
    if (!d) return;
    const pts = d.points;
    if (d.tool === "distance" && pts.length >= 2) {
      this.measure = { kind: "distance", points: pts, value: length(pts) };
    } else if (d.tool === "area" && pts.length >= 3) {
      this.measure = { kind: "area", points: pts, value: area(pts) };
    } else if (d.tool === "polyline" && pts.length >= 2) {
      this.pending = { kind: "polyline", geometry: { type: "LineString", coordinates: pts }, key: newKey() };
    }
    this.renderPanel();
    this.canvas.overlayChanged();
  }

  // --- overlay ---------------------------------------------------------------------------

  drawOverlay(ctx) {
    if (!this.data) return;
    const cv = this.canvas;
    const toScreen = (x, y) => cv.toScreen(...cv.toLocal(x, y));
    const sel = this.selected;
    for (const f of this.findings) {
      if (!f.location) continue;
      const on = sel && sel.type === "finding" && sel.id === f.id;
      strokeGeometry(ctx, f.location, toScreen, { colour: FINDING_COLOUR, width: on ? 3.5 : 1.8, fill: "rgba(224,0,0,0.07)", dash: f.review_status === "dismissed" ? [4, 4] : null, halo: on });
    }
    drawRounds(this, ctx, toScreen, strokeGeometry);
    for (const a of this.visibleAnnotations()) {
      const on = sel && sel.type === "annotation" && sel.id === a.id;
      drawAnnotation(ctx, a.kind, a.geometry, a.text, toScreen, DEPT_COLOURS[a.department] || "#555", on);
    }
    const colour = this.user.department ? DEPT_COLOURS[this.user.department] : "#0057b8";
    if (this.pending) drawAnnotation(ctx, this.pending.kind, this.pending.geometry, "", toScreen, colour, true);
    if (this.draft) {
      const d = this.draft;
      const pts = d.cursor ? [...d.points, d.cursor] : d.points;
      if (DRAG_TOOLS.includes(d.tool)) {
        this.finishPreview(ctx, d, toScreen, colour);
      } else if (pts.length) {
        const geom = d.tool === "area" && pts.length > 2 ? { type: "Polygon", coordinates: [[...pts, pts[0]]] } : { type: "LineString", coordinates: pts };
        strokeGeometry(ctx, geom, toScreen, { colour: d.tool === "polyline" ? colour : "#0057b8", width: 2, fill: d.tool === "area" ? "rgba(0,87,184,0.08)" : null, dash: [6, 4] });
        const value = d.tool === "area" ? (pts.length > 2 ? `${num(area(pts), 2)} m²` : "") : formatLength(length(pts));
        if (value) label(ctx, toScreen(...pts[pts.length - 1]), value, "#0057b8");
      }
    }
    if (this.measure) {
      const m = this.measure;
      const geom = m.kind === "area" ? { type: "Polygon", coordinates: [[...m.points, m.points[0]]] } : { type: "LineString", coordinates: m.points };
      strokeGeometry(ctx, geom, toScreen, { colour: "#0057b8", width: 2, fill: m.kind === "area" ? "rgba(0,87,184,0.1)" : null });
      label(ctx, toScreen(...m.points[m.points.length - 1]), m.kind === "area" ? `${num(m.value, 2)} m²` : formatLength(m.value), "#0057b8");
    }
    this.scaleBar(ctx);
  }

  finishPreview(ctx, d, toScreen, colour) {
    const [a, b] = d.points;
    if (d.tool === "arrow") drawAnnotation(ctx, "arrow", { type: "LineString", coordinates: [a, b] }, "", toScreen, colour, false);
    else {
      const ring = [[a[0], a[1]], [b[0], a[1]], [b[0], b[1]], [a[0], b[1]], [a[0], a[1]]];
      drawAnnotation(ctx, d.tool, { type: "Polygon", coordinates: [ring] }, "", toScreen, colour, false);
    }
  }

  scaleBar(ctx) {
    const cv = this.canvas;
    const metres = niceLength(110 / cv.view.s);
    const px = metres * cv.view.s;
    const x = 16, y = cv.height - 22;
    ctx.save();
    ctx.fillStyle = "rgba(255,255,255,0.85)";
    ctx.fillRect(x - 8, y - 22, px + 16, 34);
    ctx.strokeStyle = "#222";
    ctx.fillStyle = "#222";
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(x, y - 5);
    ctx.lineTo(x, y);
    ctx.lineTo(x + px, y);
    ctx.lineTo(x + px, y - 5);
    ctx.moveTo(x + px / 2, y - 3);
    ctx.lineTo(x + px / 2, y);
    ctx.stroke();
    ctx.font = `12px ${FONT_STACK}`;
    ctx.textBaseline = "bottom";
    ctx.fillText(formatLength(metres), x, y - 7);
    ctx.restore();
    this.stage.dataset.scale = String(metres);
  }

  destroy() {
    if (this.events) this.events.close();
    if (this.canvas) this.canvas.destroy();
    if (this.keys) window.removeEventListener("keydown", this.keys);
    clearTimeout(this.reloadTimer);
  }
}

function newKey() {
  return crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random().toString(16).slice(2)}`;
}

/** Stroke a GeoJSON geometry (drawing coordinates) on the overlay. */
function strokeGeometry(ctx, geom, toScreen, { colour, width, fill, dash, halo }) {
  ctx.save();
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
  for (const part of parts(geom)) {
    const s = part.points.map(([x, y]) => toScreen(x, y));
    if (!s.length) continue;
    if (s.length === 1) {
      ctx.beginPath();
      ctx.arc(s[0][0], s[0][1], halo ? 9 : 6, 0, 2 * Math.PI);
      ctx.fillStyle = fill || "rgba(0,0,0,0.05)";
      ctx.fill();
      ctx.strokeStyle = colour;
      ctx.lineWidth = width;
      ctx.stroke();
      continue;
    }
    ctx.beginPath();
    ctx.moveTo(s[0][0], s[0][1]);
    for (let i = 1; i < s.length; i++) ctx.lineTo(s[i][0], s[i][1]);
    if (part.closed) ctx.closePath();
    if (fill && part.closed) {
      ctx.fillStyle = fill;
      ctx.fill();
    }
    if (halo) {
      ctx.strokeStyle = "rgba(255, 214, 0, 0.55)";
      ctx.lineWidth = width + 6;
      ctx.stroke();
    }
    ctx.setLineDash(dash || []);
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.restore();
}

/** A revision cloud along a closed ring (screen points): arcs bulging outwards. */
function cloudPath(ctx, s) {
  let signed = 0;
  for (let i = 0, j = s.length - 1; i < s.length; j = i++) signed += s[j][0] * s[i][1] - s[i][0] * s[j][1];
  const out = signed > 0 ? -1 : 1;
  ctx.moveTo(s[0][0], s[0][1]);
  for (let i = 1; i < s.length; i++) {
    const [ax, ay] = s[i - 1], [bx, by] = s[i];
    const len = Math.hypot(bx - ax, by - ay);
    const n = Math.max(1, Math.round(len / 16));
    const nx = (-(by - ay) / (len || 1)) * out, ny = ((bx - ax) / (len || 1)) * out;
    for (let k = 0; k < n; k++) {
      const x0 = ax + ((bx - ax) * k) / n, y0 = ay + ((by - ay) * k) / n;
      const x1 = ax + ((bx - ax) * (k + 1)) / n, y1 = ay + ((by - ay) * (k + 1)) / n;
      const bulge = (len / n) * 0.55;
      ctx.quadraticCurveTo((x0 + x1) / 2 + nx * bulge, (y0 + y1) / 2 + ny * bulge, x1, y1);
    }
  }
}

/** Draw one annotation in its department's colour (clouds, arrows, texts, lines). */
function drawAnnotation(ctx, kind, geom, text, toScreen, colour, selected) {
  const ps = parts(geom);
  if (!ps.length) return;
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = selected ? 3 : 2;
  ctx.lineJoin = "round";
  ctx.lineCap = "round";
  const first = toScreen(...ps[0].points[0]);
  if (kind === "cloud") {
    for (const part of ps) {
      const s = part.points.map(([x, y]) => toScreen(x, y));
      if (s.length < 3) continue;
      if (selected) {
        ctx.beginPath();
        cloudPath(ctx, s);
        ctx.strokeStyle = "rgba(255, 214, 0, 0.6)";
        ctx.lineWidth = 8;
        ctx.stroke();
        ctx.strokeStyle = colour;
        ctx.lineWidth = 3;
      }
      ctx.beginPath();
      cloudPath(ctx, s);
      ctx.stroke();
    }
  } else if (kind === "text") {
    ctx.beginPath();
    ctx.arc(first[0], first[1], 4, 0, 2 * Math.PI);
    ctx.fill();
  } else {
    strokeGeometry(ctx, geom, toScreen, { colour, width: selected ? 3 : 2, halo: selected, fill: kind === "rectangle" ? hexAlpha(colour, 0.06) : null, dash: kind === "measure" ? [6, 4] : null });
    if (kind === "arrow") {
      const pts = ps[0].points;
      if (pts.length >= 2) {
        const [ax, ay] = toScreen(...pts[pts.length - 2]);
        const [bx, by] = toScreen(...pts[pts.length - 1]);
        const ang = Math.atan2(by - ay, bx - ax);
        ctx.beginPath();
        ctx.moveTo(bx, by);
        ctx.lineTo(bx - 14 * Math.cos(ang - 0.4), by - 14 * Math.sin(ang - 0.4));
        ctx.lineTo(bx - 14 * Math.cos(ang + 0.4), by - 14 * Math.sin(ang + 0.4));
        ctx.closePath();
        ctx.fill();
      }
    }
  }
  if (text) label(ctx, kind === "arrow" ? toScreen(...ps[0].points[0]) : first, text.length > 40 ? text.slice(0, 39) + "…" : text, colour);
  ctx.restore();
}

function hexAlpha(hex, alpha) {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/** A text label with a white box, drawn on the canvas (never as markup). */
function label(ctx, [x, y], text, colour) {
  ctx.save();
  ctx.font = `13px ${FONT_STACK}`;
  const w = ctx.measureText(text).width;
  ctx.fillStyle = "rgba(255,255,255,0.92)";
  ctx.strokeStyle = colour;
  ctx.lineWidth = 1;
  ctx.fillRect(x + 6, y - 24, w + 10, 20);
  ctx.strokeRect(x + 6, y - 24, w + 10, 20);
  ctx.fillStyle = colour;
  ctx.textBaseline = "middle";
  ctx.fillText(text, x + 11, y - 14);
  ctx.restore();
}

function viewerRoute(focusType) {
  return async (user, params) => {
    const main = frame(user, null, { wide: true });
    const focus = focusType ? { type: focusType, id: Number(params.fid) } : null;
    const v = new Viewer(user, Number(params.id), focus);
    await v.load(main);
    return () => v.destroy();
  };
}

route("/drawings/:id", [], viewerRoute(null));
route("/drawings/:id/finding/:fid", [], viewerRoute("finding"));
route("/drawings/:id/annotation/:fid", [], viewerRoute("annotation"));
