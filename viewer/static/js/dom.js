// Small DOM helpers. Every string from data goes in as text (textContent / attributes set
// through the DOM), never as HTML: layer names, texts and file names come from untrusted
// drawings.

/**
 * Create an element: h("div", {class: "x", onclick: fn}, "text", child, [more]).
 * Attribute values are set with setAttribute (or as listeners for on*), children are text
 * nodes or elements; null/false children are skipped.
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
      else if (k === "class") el.className = v;
      else if (k === "dataset") Object.assign(el.dataset, v);
      else if (k === "value") el.value = v;
      else if (k === "checked" || k === "disabled" || k === "selected") el[k] = Boolean(v);
      else el.setAttribute(k, v === true ? "" : String(v));
    }
  }
  append(el, children);
  return el;
}

/** Append children (strings become text nodes; arrays are flattened). */
export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** Remove every child of ``el``. */
export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

/** Replace the children of ``el``. */
export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

/** A date-time in the user's locale, or "—". */
export function when(value, lang) {
  if (!value) return "—";
  const d = new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(lang === "en" ? "en-GB" : "zh-CN", {
    year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
  });
}

/** A number with at most ``digits`` decimals (whole numbers without), or "—". */
export function num(value, digits = 2) {
  if (typeof value !== "number" || !Number.isFinite(value)) return "—";
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}

/** A coloured status pill. */
export function pill(text, kind) {
  return h("span", { class: `pill pill-${kind || "plain"}` }, text);
}

/**
 * A table from header labels and rows of cells. A cell is text, an element (put in a <td>),
 * or a ready <td> (for alignment). ``rowAttrs`` are the attributes of every row.
 */
export function table(heads, rows, { compact = false, rowAttrs = null } = {}) {
  const cell = (c) => (c instanceof HTMLElement && c.tagName === "TD" ? c : h("td", null, c));
  return h(
    "table",
    { class: compact ? "table compact" : "table" },
    h("thead", null, h("tr", null, heads.map((x) => h("th", null, x)))),
    h("tbody", null, rows.map((cells) => h("tr", rowAttrs, cells.map(cell)))),
  );
}

/** A right-aligned cell with a link. */
export function linkCell(href, text, testid) {
  return h("td", { class: "right" }, h("a", { href, "data-testid": testid || null }, text));
}
