// The operator view: with an operator key, the named keys and a chart of their usage per day.
// It asks GET /v1/key first (any key may), so a named key never calls the admin API.
import { h } from "./reference.js";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";
const CHART = { width: 640, height: 220, left: 56, bottom: 28, top: 12 };

function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

const number = (n) => Number(n).toLocaleString("en");

function limits(key) {
  const set = [
    [key.rpm, "rpm"],
    [key.tpm, "tpm"],
    [key.monthly_token_budget, "tokens a month"],
  ].filter(([value]) => value !== null);
  return set.length ? set.map(([value, unit]) => `${number(value)} ${unit}`).join(" · ") : "none";
}

function hide() {
  $("keys").hidden = true;
  $("nav-keys").hidden = true;
}

function status(key) {
  if (key.disabled) return "disabled";
  if (key.expires_at) return `expires ${new Date(key.expires_at * 1000).toISOString().slice(0, 10)}`;
  return "active";
}

function renderKeys(keys) {
  $("key-rows").replaceChildren(
    ...keys.map((key) =>
      h(
        "tr",
        { "data-key-id": key.id },
        h("td", {}, key.name, h("br"), h("span", { class: "muted mono" }, key.id)),
        h("td", { class: "mono" }, key.models ? key.models.join(", ") : "all"),
        h("td", {}, limits(key)),
        h("td", {}, `${number(key.usage.requests)} requests · ${number(key.usage.input_tokens + key.usage.output_tokens)} tokens`),
        h("td", {}, status(key)),
      ),
    ),
  );
  $("keys-empty").hidden = keys.length > 0;
  const chosen = $("usage-key").value;
  $("usage-key").replaceChildren(
    h("option", { value: "" }, "All keys"),
    ...keys.map((key) => h("option", { value: key.id }, key.name)),
  );
  if (keys.some((key) => key.id === chosen)) $("usage-key").value = chosen;
}

/** Every day from the first of `month` (YYYY-MM) to `last` (YYYY-MM-DD), as YYYY-MM-DD. */
function daysOf(month, last) {
  const days = [];
  for (let day = new Date(`${month}-01T00:00:00Z`); ; day.setUTCDate(day.getUTCDate() + 1)) {
    const text = day.toISOString().slice(0, 10);
    days.push(text);
    if (text >= last || days.length > 31) return days;
  }
}

/** A bar per day: input tokens below, output tokens stacked on them. */
function drawChart(report) {
  const byDay = Object.fromEntries(report.data.map((row) => [row.day, row]));
  const days = daysOf(report.start.slice(0, 7), report.end);
  const total = (row) => (row ? row.input_tokens + row.output_tokens : 0);
  const top = Math.max(1, ...days.map((day) => total(byDay[day])));
  const { width, height, left, bottom } = CHART;
  const plot = height - bottom - CHART.top;
  const step = (width - left) / days.length;
  const y = (tokens) => CHART.top + plot - (tokens / top) * plot;
  const chart = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-labelledby": "usage-chart-title",
    class: "chart",
  });
  chart.append(
    svg("title", { id: "usage-chart-title" }, `Tokens per day, ${report.start} to ${report.end}`),
    svg("line", { x1: left, x2: width, y1: y(0), y2: y(0), class: "axis" }),
    svg("text", { x: left - 6, y: y(top) + 4, class: "tick end" }, number(top)),
    svg("text", { x: left - 6, y: y(0) + 4, class: "tick end" }, "0"),
  );
  days.forEach((day, index) => {
    const row = byDay[day];
    const x = left + index * step + step * 0.15;
    const barWidth = step * 0.7;
    const bar = svg("g", { class: "bar", "data-day": day, "data-tokens": total(row) });
    bar.append(
      svg(
        "title",
        {},
        row
          ? `${day}: ${number(row.requests)} requests, ${number(row.input_tokens)} input + ${number(row.output_tokens)} output tokens, ${number(row.errors)} errors`
          : `${day}: no requests`,
      ),
    );
    if (row) {
      bar.append(
        svg("rect", { x, width: barWidth, y: y(row.input_tokens), height: y(0) - y(row.input_tokens), class: "input" }),
        svg("rect", { x, width: barWidth, y: y(total(row)), height: y(row.input_tokens) - y(total(row)), class: "output" }),
      );
    }
    chart.append(bar);
    if (index % Math.ceil(days.length / 8) === 0 || index === days.length - 1) {
      chart.append(svg("text", { x: x + barWidth / 2, y: height - 8, class: "tick middle" }, day.slice(5)));
    }
  });
  $("usage-chart").replaceChildren(chart);
  const sum = (field) => report.data.reduce((acc, row) => acc + row[field], 0);
  $("usage-summary").textContent =
    `${report.start} to ${report.end}: ${number(sum("requests"))} requests, ` +
    `${number(sum("input_tokens"))} input and ${number(sum("output_tokens"))} output tokens, ${number(sum("errors"))} errors.`;
}

async function loadUsage(get) {
  const keyId = $("usage-key").value;
  const query = new URLSearchParams({ group_by: "day" });
  if (keyId) query.set("key_id", keyId);
  const response = await get(`/admin/usage?${query}`);
  if (!response.ok) throw new Error(`GET /admin/usage: HTTP ${response.status}`);
  drawChart(await response.json());
}

/** Show the operator view when `key` is an operator key; hide it otherwise. */
export async function loadOperatorView(apiBase, key) {
  if (!key) return hide();
  const get = (path) => fetch(`${apiBase}${path}`, { headers: { Authorization: `Bearer ${key}` } });
  try {
    const own = await get("/v1/key");
    if (!own.ok || (await own.json()).kind !== "operator") return hide();
  } catch {
    return hide(); // the gateway cannot be reached: the console says so
  }
  try {
    const listed = await get("/admin/keys");
    if (!listed.ok) throw new Error(`GET /admin/keys: HTTP ${listed.status}`);
    renderKeys((await listed.json()).data);
    $("usage-key").onchange = () => loadUsage(get).catch(showFailure);
    $("keys-refresh").onclick = () => loadOperatorView(apiBase, key);
    await loadUsage(get);
    $("keys-error").hidden = true;
  } catch (error) {
    showFailure(error);
  }
  $("keys").hidden = false;
  $("nav-keys").hidden = false;
}

function showFailure(error) {
  $("keys-error").textContent = `Could not load the keys: ${error.message || error}`;
  $("keys-error").hidden = false;
}
