// One JSON Schema → form generator, used for template variables and app inputs alike, so a
// new field in a schema appears in the studio without UI code. Supports string (enum → select,
// long → textarea), integer/number (min/max), boolean, arrays of strings or enums, nested
// objects, nullable (anyOf with null) and $ref into $defs. Titles may be strings or {zh, en}.
import { h, nextId } from "./ui.js";
import { pick, t } from "./i18n.js";

function resolve(schema, root) {
  if (schema && schema.$ref) {
    const name = schema.$ref.split("/").pop();
    return { ...(root.$defs || root.definitions || {})[name], ...schema, $ref: undefined };
  }
  const alts = schema && (schema.anyOf || schema.oneOf);
  if (alts) {
    const real = alts.filter((s) => s.type !== "null");
    if (real.length === 1) return { ...resolve(real[0], root), ...schema, anyOf: undefined, oneOf: undefined, nullable: true };
  }
  return schema || {};
}

const typeOf = (s) => (Array.isArray(s.type) ? s.type.find((x) => x !== "null") : s.type) || (s.enum ? "string" : s.properties ? "object" : "string");

function label(key, s) { return pick(s["x-title"]) || pick(s.title) || key.replaceAll("_", " "); }
const help = (s) => pick(s["x-description"]) || pick(s.description);

// enum labels: "x-enum-titles" as {zh: [...], en: [...]} or as a list of strings or {zh, en}
function enumTitle(s, i) {
  const titles = s["x-enum-titles"];
  if (!titles) return "";
  return Array.isArray(titles) ? pick(titles[i]) : pick(Object.fromEntries(Object.entries(titles).map(([k, v]) => [k, v[i]])));
}

function control(path, s, value, required, root) {
  const type = typeOf(s);
  const id = nextId("in");
  const common = { id, name: path, required: required || null };
  if (s.enum) {
    const opts = (required ? [] : [["", "—"]]).concat(s.enum.map((v, i) => [v, enumTitle(s, i) || String(v)]));
    const el = h("select", common);
    for (const [v, l] of opts) el.append(h("option", { value: v, selected: String(v) === String(value ?? "") }, l));
    el.dataset.type = type;
    return el;
  }
  if (type === "boolean") return h("input", { ...common, type: "checkbox", checked: Boolean(value), required: null, "data-type": "boolean" });
  if (type === "integer" || type === "number") {
    return h("input", { ...common, type: "number", value: value ?? "", min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum,
      step: type === "integer" ? 1 : "any", "data-type": type });
  }
  if (type === "array") {
    const items = resolve(s.items || {}, root);
    if (items.enum) {
      const box = h("div", { id, "data-name": path, "data-type": "multi", role: "group" });
      for (const v of items.enum) {
        box.append(h("label", { class: "inline" }, h("input", { type: "checkbox", value: v, checked: (value || []).includes(v) }), String(v)));
      }
      return box;
    }
    return h("textarea", { ...common, rows: 3, "data-type": `list:${typeOf(items)}` }, (value || []).join("\n"));
  }
  const long = (s.maxLength ?? 1000) > 400 || s.format === "textarea" || s["x-multiline"];
  const el = long ? h("textarea", { ...common, rows: 3, maxlength: s.maxLength }, value ?? "")
    : h("input", { ...common, type: "text", value: value ?? "", maxlength: s.maxLength, minlength: s.minLength });
  el.dataset.type = "string";
  return el;
}

function build(schema, root, values, prefix, container) {
  const required = new Set(schema.required || []);
  for (const [key, raw] of Object.entries(schema.properties || {})) {
    const s = resolve(raw, root);
    const path = prefix ? `${prefix}.${key}` : key;
    const value = values?.[key] ?? s.default;
    if (typeOf(s) === "object" && s.properties) {
      const fs = h("fieldset", { "data-object": path }, h("legend", {}, label(key, s)));
      build(s, root, value || {}, path, fs);
      container.append(fs);
      continue;
    }
    const el = control(path, s, value, required.has(key), root);
    const note = help(s);
    const hid = note ? nextId("hint") : null;
    if (hid) el.setAttribute("aria-describedby", hid);
    const lab = el.dataset.type === "multi" ? h("span", { class: "label", id: `${el.id}-l` }, label(key, s)) : h("label", { for: el.id }, label(key, s), required.has(key) ? " *" : "");
    if (el.dataset.type === "multi") el.setAttribute("aria-labelledby", `${el.id}-l`);
    if (el.type === "checkbox") container.append(h("div", { class: "field" }, h("label", { class: "inline", for: el.id }, el, label(key, s)), hid && h("p", { class: "hint", id: hid }, note)));
    else container.append(h("div", { class: "field" }, lab, el, hid && h("p", { class: "hint", id: hid }, note)));
  }
}

function readValue(el) {
  const type = el.dataset.type;
  if (type === "boolean") return el.checked;
  if (type === "multi") return [...el.querySelectorAll("input:checked")].map((c) => c.value);
  const v = el.value;
  if (v === "") return undefined;
  if (type === "integer") return parseInt(v, 10);
  if (type === "number") return parseFloat(v);
  if (type && type.startsWith("list:")) {
    const items = v.split("\n").map((x) => x.trim()).filter(Boolean);
    return type.endsWith("number") || type.endsWith("integer") ? items.map(Number) : items;
  }
  return v;
}

// schemaForm(schema, values) → {el, read(), fill(values)}
export function schemaForm(schema, values = {}) {
  const el = h("div", { class: "schema-form" });
  build(schema || {}, schema || {}, values, "", el);
  const controls = () => el.querySelectorAll("[data-type]");
  return {
    el,
    read() {
      const out = {};
      for (const c of controls()) {
        const path = c.getAttribute("name") || c.dataset.name;
        const v = readValue(c);
        if (v === undefined) continue;
        const keys = path.split(".");
        let o = out;
        for (const k of keys.slice(0, -1)) o = o[k] ??= {};
        o[keys.at(-1)] = v;
      }
      return out;
    },
    fill(vals) {
      el.replaceChildren();
      build(schema || {}, schema || {}, vals, "", el);
    },
  };
}

// "Fill with: Example 1, Example 2" buttons that put an example's values into a schema form.
export function exampleButtons(examples, form) {
  if (!examples || !examples.length) return null;
  return h("div", { class: "row" }, h("span", {}, t("templates.examples")), ...examples.map((ex, i) => {
    const b = h("button", { type: "button" }, t("templates.example", { n: i + 1 }));
    b.addEventListener("click", () => form.fill(ex));
    return b;
  }));
}
