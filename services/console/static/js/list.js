// The incident list (intake's GET /api/v1/incidents): filters, pagination, auto-refresh.

import { call, query } from "./api.js";
import { $, el, options, say } from "./dom.js";
import { clockTime, fromLocalInput, levelText, localTime, missingText, nameOf, names } from "./format.js";

const PAGE_SIZE = 20;
const REFRESH_MS = 15000;

export function setupList(ctx) {
  const form = $("#filters");
  const body = $("#incidents tbody");
  const status = $("#list-status");
  let skip = 0;
  let total = 0;
  let latest = 0; // only the newest request paints the table (an auto-refresh may overlap a search)

  options($("#f-time-field"), names("time_fields"));
  options($("#f-category"), names("categories"));
  options($("#f-status"), names("statuses"));
  for (const level of Object.keys(names("levels"))) {
    $("#f-levels").append(el("label", {}, el("input", { type: "checkbox", name: "level", value: level }),
      ` ${levelText(level)}`));
  }

  function filters() {
    const data = new FormData(form);
    return {
      time_field: data.get("time_field"),
      since: fromLocalInput(data.get("since")),
      until: fromLocalInput(data.get("until")),
      area_code: data.get("area_code").trim(),
      category: data.get("category"),
      status: data.get("status"),
      level: data.getAll("level"),
    };
  }

  function row(item) {
    const open = el("button", { type: "button", class: "link", onclick: () => ctx.openDetail(item.id) },
      item.title || "（无标题）");
    return el("tr", { dataset: { id: item.id } },
      el("td", {}, localTime(item.opened_at)),
      el("td", {}, open, el("div", { class: "muted small" }, item.id)),
      el("td", {}, item.area_code || "不详"),
      el("td", {}, nameOf("categories", item.category)),
      el("td", { class: `level level-${item.level || "none"}` }, levelText(item.level)),
      el("td", { class: item.missing_elements?.length ? "missing" : "" }, missingText(item.missing_elements)),
      el("td", {}, nameOf("statuses", item.status)));
  }

  async function load() {
    const mine = ++latest;
    try {
      const page = await call(`/api/v1/incidents${query({ ...filters(), skip, limit: PAGE_SIZE })}`);
      if (mine !== latest) return;
      total = page.total;
      body.replaceChildren(...page.items.map(row));
      if (!page.items.length) body.append(el("tr", {}, el("td", { colspan: "7", class: "muted" }, "没有符合条件的事件")));
      status.classList.remove("error");
      say(status, `共 ${total} 起事件 · 更新于 ${clockTime(new Date())}（北京时间）`);
      const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
      $("#page-info").textContent = `第 ${Math.floor(skip / PAGE_SIZE) + 1} / ${pages} 页`;
      $("#prev-page").disabled = skip === 0;
      $("#next-page").disabled = skip + PAGE_SIZE >= total;
    } catch (err) {
      if (mine === latest && !ctx.handled(err)) {
        status.classList.add("error");
        say(status, `事件列表载入失败：${err.message}`);
      }
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!form.reportValidity()) return;
    skip = 0;
    load();
  });
  form.addEventListener("reset", () => setTimeout(() => { skip = 0; load(); }));
  $("#prev-page").addEventListener("click", () => { skip = Math.max(0, skip - PAGE_SIZE); load(); });
  $("#next-page").addEventListener("click", () => { skip += PAGE_SIZE; load(); });

  setInterval(() => {
    const visible = ctx.me && !$("#list-view").hidden && !document.hidden;
    if (visible && $("#auto-refresh").checked) load();
  }, REFRESH_MS);

  ctx.onShow.list = load;
  ctx.onSignIn.push(() => { skip = 0; });
}
