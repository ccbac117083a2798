// Applicant: projects, and the upload of a package with upload progress.

import { api, upload } from "../api.js";
import { errorBox, errorText, frame, go, route } from "../app.js";
import { h, linkCell, pill, replace, table, when } from "../dom.js";
import { currentLang, t, tv } from "../i18n.js";

/** A status pill of a workflow state. */
export function statusPill(status) {
  const kind = { approved: "ok", in_review: "info", consolidation: "info", intake: "wait", revising: "warn", returned: "warn" }[status] || "plain";
  return pill(tv("status", status), kind);
}

/** A pill of the automated processing state. */
export function processingPill(processing) {
  const kind = { done: "ok", failed: "bad" }[processing] || "wait";
  return pill(tv("processing", processing), kind);
}

function uploadForm(project, onDone) {
  const file = h("input", { type: "file", accept: ".zip,application/zip", "data-testid": "package-file" });
  const bar = h("div", { class: "bar-fill" });
  const label = h("span", { class: "bar-label" }, "");
  const progress = h("div", { class: "bar hidden", "data-testid": "upload-progress" }, bar, label);
  const message = h("div", { class: "form-error", role: "alert" });
  const button = h("button", { class: "primary", type: "submit", "data-testid": "upload-submit" }, t("upload.submit"));
  return h(
    "form",
    {
      class: "upload",
      onsubmit: async (e) => {
        e.preventDefault();
        replace(message);
        const f = file.files && file.files[0];
        if (!f) {
          replace(message, t("upload.choose"));
          return;
        }
        button.disabled = true;
        progress.classList.remove("hidden");
        try {
          const sub = await upload(`/api/projects/${project.id}/submissions`, "package", f, (loaded, total) => {
            const share = total ? loaded / total : 0;
            bar.style.width = `${(share * 100).toFixed(1)}%`;
            replace(label, t("upload.progress", { percent: Math.round(share * 100) }));
          });
          bar.style.width = "100%";
          replace(label, t("upload.done"));
          onDone(sub);
        } catch (err) {
          replace(message, errorText(err));
          progress.classList.add("hidden");
        } finally {
          button.disabled = false;
        }
      },
    },
    h("label", { class: "file" }, t("upload.package"), file),
    button,
    progress,
    message,
    h("p", { class: "hint" }, t("upload.hint")),
  );
}

function projectCard(project) {
  const rounds = project.submissions.length
    ? table(
        [t("col.round"), t("col.status"), t("col.processing"), ""],
        project.submissions
          .slice()
          .reverse()
          .map((s) => [t("round.n", { n: s.round }), statusPill(s.status), processingPill(s.processing), linkCell(`#/submissions/${s.id}`, t("action.open"), `open-submission-${s.id}`)]),
        { compact: true },
      )
    : h("p", { class: "muted" }, t("project.no_rounds"));
  const slot = h("div");
  const toggle = h(
    "button",
    {
      class: "secondary",
      type: "button",
      "data-testid": `upload-open-${project.id}`,
      onclick: () => {
        replace(slot, uploadForm(project, (sub) => go(`/submissions/${sub.id}`)));
        toggle.remove();
      },
    },
    t("upload.open"),
  );
  return h(
    "section",
    { class: "card", "data-testid": "project-card" },
    h("div", { class: "card-head" }, h("h2", null, project.name), h("span", { class: "muted" }, project.organization, " · ", when(project.created_at, currentLang()))),
    rounds,
    h("div", { class: "card-actions" }, toggle),
    slot,
  );
}

route("/projects", ["applicant"], async (user) => {
  const main = frame(user, "/projects");
  const list = h("div", { class: "stack" }, h("div", { class: "loading" }, t("common.loading")));
  const name = h("input", { name: "name", required: true, maxlength: 200, placeholder: t("project.name_hint"), "data-testid": "project-name" });
  const error = h("div", { class: "form-error", role: "alert" });
  const create = h(
    "form",
    {
      class: "inline-form card",
      onsubmit: async (e) => {
        e.preventDefault();
        replace(error);
        try {
          await api("POST", "/api/projects", { name: name.value });
          name.value = "";
          await load();
        } catch (err) {
          replace(error, errorText(err));
        }
      },
    },
    h("label", null, t("project.new"), name),
    h("button", { class: "primary", type: "submit", "data-testid": "project-create" }, t("project.create")),
    error,
  );
  async function load() {
    try {
      const projects = await api("GET", "/api/projects");
      replace(list, projects.length ? projects.map(projectCard) : h("div", { class: "empty" }, t("project.none")));
    } catch (err) {
      replace(list, errorBox(err));
    }
  }
  replace(main, h("div", { class: "page-head" }, h("h1", null, t("nav.projects"))), create, list);
  await load();
});
