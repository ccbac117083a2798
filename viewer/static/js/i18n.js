// One translation mechanism for the whole interface: t("key", {name: value}).
// Simplified Chinese by default; English switchable; the choice is remembered.

const LANGS = ["zh-CN", "en"];
let lang = "zh-CN";
let table = {};
let fallback = {};

async function loadTable(code) {
  const r = await fetch(`/static/i18n/${code}.json`);
  if (!r.ok) throw new Error(`translations ${code}: ${r.status}`);
  return r.json();
}

/** Load the remembered language (or Chinese) before the first page is drawn. */
export async function initI18n() {
  const saved = localStorage.getItem("lianshen.lang");
  lang = LANGS.includes(saved) ? saved : "zh-CN";
  fallback = await loadTable("zh-CN");
  table = lang === "zh-CN" ? fallback : await loadTable(lang);
  document.documentElement.lang = lang;
}

/** Switch the language; the caller redraws the page. */
export async function setLang(code) {
  if (!LANGS.includes(code)) return;
  table = code === "zh-CN" ? fallback : await loadTable(code);
  lang = code;
  localStorage.setItem("lianshen.lang", code);
  document.documentElement.lang = code;
}

/** The current language code. */
export function currentLang() {
  return lang;
}

/** The translation of ``key`` with ``{name}`` placeholders filled in (as plain text). */
export function t(key, vars) {
  let s = table[key] ?? fallback[key] ?? key;
  if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
  return s;
}

/** The translation of ``prefix.value``, or the value itself when there is none. */
export function tv(prefix, value) {
  if (value === null || value === undefined) return "—";
  const key = `${prefix}.${value}`;
  return table[key] ?? fallback[key] ?? String(value);
}
