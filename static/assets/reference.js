// Renders the API reference from the OpenAPI document (paths, operations, schemas).
// Hand-written on purpose: the gateway has a handful of endpoints, and this stays a few KB
// where Swagger UI or Redoc would add ~0.5 MB (gzipped) to the page.

const METHODS = ["get", "post", "put", "patch", "delete", "options", "head"];

/** Creates an element; attrs set properties/attributes, children are nodes or strings. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : value);
  }
  el.append(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== ""));
  return el;
}

/** Text with `inline code` turned into <code>; everything else stays plain text. */
function richText(text) {
  return String(text)
    .split(/(`[^`]+`)/)
    .map((part) => (/^`[^`]+`$/.test(part) ? h("code", {}, part.slice(1, -1)) : part));
}

function paragraphs(text) {
  if (!text) return [];
  return text
    .split(/\n\s*\n/)
    .map((para) => para.trim())
    .filter(Boolean)
    .map((para) => h("p", {}, ...richText(para)));
}

function refName(ref) {
  return decodeURIComponent(ref.split("/").pop());
}

function schemaId(name) {
  return `schema-${name.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

/** A short, linked description of a schema's type: `ChatRequest`, `array of Message`, … */
function typeOf(schema) {
  if (!schema || typeof schema !== "object") return ["any"];
  if (schema.$ref) {
    const name = refName(schema.$ref);
    return [h("a", { href: `#${schemaId(name)}`, class: "schema-name" }, name)];
  }
  const union = schema.anyOf || schema.oneOf;
  if (union) return union.flatMap((s, i) => (i ? [" | ", ...typeOf(s)] : typeOf(s)));
  if (schema.allOf) return schema.allOf.flatMap((s, i) => (i ? [" & ", ...typeOf(s)] : typeOf(s)));
  if ("const" in schema) return [h("code", {}, JSON.stringify(schema.const))];
  if (schema.enum) return [h("code", {}, schema.enum.map((v) => JSON.stringify(v)).join(" | "))];
  if (schema.type === "array") return ["array of ", ...typeOf(schema.items)];
  if (Array.isArray(schema.type)) return [schema.type.join(" | ")];
  if (schema.type === "object" && schema.additionalProperties && !schema.properties) {
    return ["map of ", ...typeOf(schema.additionalProperties)];
  }
  const base = schema.type || (schema.properties ? "object" : "any");
  return [schema.format ? `${base} (${schema.format})` : base];
}

function constraints(schema) {
  const notes = [];
  const rules = {
    default: "default",
    minimum: "≥",
    maximum: "≤",
    exclusiveMinimum: ">",
    exclusiveMaximum: "<",
    minLength: "min length",
    maxLength: "max length",
    minItems: "min items",
    maxItems: "max items",
  };
  for (const [key, label] of Object.entries(rules)) {
    if (key in schema) notes.push(`${label} ${JSON.stringify(schema[key])}`);
  }
  return notes.length ? h("span", { class: "muted" }, ` (${notes.join(", ")})`) : null;
}

function propertiesTable(schema) {
  const props = Object.entries(schema.properties || {});
  if (!props.length) return h("p", { class: "muted" }, "Type: ", ...typeOf(schema));
  const required = new Set(schema.required || []);
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h("tr", {}, h("th", { scope: "col" }, "Field"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Description")),
    ),
    h(
      "tbody",
      {},
      props.map(([name, prop]) =>
        h(
          "tr",
          {},
          h("td", { class: "mono" }, name, required.has(name) ? h("span", { class: "req" }, " required") : null),
          h("td", {}, ...typeOf(prop)),
          h("td", {}, ...richText(prop.description || ""), constraints(prop)),
        ),
      ),
    ),
  );
}

function parametersTable(params) {
  return h(
    "table",
    {},
    h(
      "thead",
      {},
      h("tr", {}, h("th", { scope: "col" }, "Parameter"), h("th", { scope: "col" }, "In"), h("th", { scope: "col" }, "Type"), h("th", { scope: "col" }, "Description")),
    ),
    h(
      "tbody",
      {},
      params.map((p) =>
        h(
          "tr",
          {},
          h("td", { class: "mono" }, p.name, p.required ? h("span", { class: "req" }, " required") : null),
          h("td", {}, p.in),
          h("td", {}, ...typeOf(p.schema)),
          h("td", {}, ...richText(p.description || "")),
        ),
      ),
    ),
  );
}

function contentTypes(content) {
  return Object.entries(content || {}).map(([type, media]) =>
    h("li", {}, h("code", {}, type), media.schema ? [": ", ...typeOf(media.schema)] : null),
  );
}

function responsesTable(responses) {
  return h(
    "table",
    {},
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Status"), h("th", { scope: "col" }, "Meaning"), h("th", { scope: "col" }, "Body"))),
    h(
      "tbody",
      {},
      Object.entries(responses).map(([status, resp]) =>
        h(
          "tr",
          {},
          h("td", { class: "mono" }, status),
          h("td", {}, ...richText(resp.description || "")),
          h("td", {}, h("ul", { class: "plain" }, contentTypes(resp.content))),
        ),
      ),
    ),
  );
}

function needsKey(spec, op) {
  const security = op.security ?? spec.security ?? [];
  return security.some((req) => Object.keys(req).length > 0);
}

function operation(spec, path, method, op, pathParams) {
  const params = [...pathParams, ...(op.parameters || [])].map((p) =>
    p.$ref ? spec.components?.parameters?.[refName(p.$ref)] || p : p,
  );
  const body = op.requestBody;
  return h(
    "details",
    { class: "op", id: `op-${method}-${path.replace(/[^A-Za-z0-9]+/g, "-")}`, "data-path": path, "data-method": method },
    h(
      "summary",
      {},
      h("span", { class: `method ${method}` }, method),
      h("span", { class: "path" }, path),
      h("span", { class: "op-summary" }, op.summary || ""),
      needsKey(spec, op) ? h("span", { class: "badge" }, "needs key") : null,
      op.deprecated ? h("span", { class: "badge" }, "deprecated") : null,
    ),
    h(
      "div",
      { class: "body" },
      paragraphs(op.description),
      params.length ? [h("h4", {}, "Parameters"), parametersTable(params)] : null,
      body
        ? [
            h("h4", {}, "Request body", body.required ? h("span", { class: "req" }, " required") : null),
            paragraphs(body.description),
            h("ul", { class: "plain" }, contentTypes(body.content)),
          ]
        : null,
      op.responses ? [h("h4", {}, "Responses"), responsesTable(op.responses)] : null,
    ),
  );
}

function schemaList(schemas) {
  return h(
    "div",
    { class: "schemas" },
    Object.entries(schemas).map(([name, schema]) =>
      h(
        "details",
        { id: schemaId(name) },
        h("summary", {}, h("span", { class: "schema-name" }, name), schema.description ? h("span", { class: "muted" }, ` — ${schema.description.split("\n")[0]}`) : null),
        paragraphs(schema.description?.split("\n").slice(1).join("\n")),
        propertiesTable(schema),
      ),
    ),
  );
}

/** Opens the <details> a schema link points at, so following a link shows the schema. */
function openTarget(container) {
  const target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target?.tagName === "DETAILS" && container.contains(target)) target.open = true;
}

/** Fills `container` with the reference for `spec`, an OpenAPI 3.x document. */
export function renderReference(container, spec) {
  const groups = new Map();
  for (const [path, item] of Object.entries(spec.paths || {})) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const tag = op.tags?.[0] || "Endpoints";
      if (!groups.has(tag)) groups.set(tag, []);
      groups.get(tag).push(operation(spec, path, method, op, item.parameters || []));
    }
  }
  const info = spec.info || {};
  const schemas = spec.components?.schemas || {};
  const parts = [
    h("p", {}, h("strong", {}, info.title || "API"), info.version ? ` · version ${info.version}` : "", spec.openapi ? ` · OpenAPI ${spec.openapi}` : ""),
    paragraphs(info.description),
    [...groups].map(([tag, ops]) => [h("h3", {}, tag), ops]),
    Object.keys(schemas).length ? [h("h3", {}, "Schemas"), schemaList(schemas)] : null,
  ];
  container.replaceChildren(...parts.flat(Infinity).filter(Boolean));
  const reveal = () => openTarget(container);
  window.addEventListener("hashchange", reveal);
  reveal();
}
