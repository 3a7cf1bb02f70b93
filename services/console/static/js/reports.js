// The reports of one incident (from intake's GET /api/v1/incidents/{id}), each with the original intake kept —
// a fax's or telegram's scan, a CAP alert's XML — opened from GET /api/v1/originals/{id}. The original is read
// with the Authorization header and shown from a blob: URL, so the token never goes into an address.

import { callBlob } from "./api.js";
import { $, el, say } from "./dom.js";
import { localTime, nameOf } from "./format.js";

export function setupReports(ctx) {
  const list = $("#reports");
  const problem = $("#original-error");
  let opened = []; // blob: URLs of this incident's originals, released when another incident is shown

  async function openOriginal(originalId, button) {
    say(problem, "");
    button.disabled = true;
    try {
      const blob = await callBlob(`/api/v1/originals/${encodeURIComponent(originalId)}`);
      const url = URL.createObjectURL(blob);
      opened.push(url);
      // a browser that blocks the new tab still leaves a link the officer can follow
      const link = el("a", { href: url, target: "_blank", class: "original-link" }, "原件已载入，点此打开");
      button.replaceWith(link);
      window.open(url, "_blank");
    } catch (err) {
      if (!ctx.handled(err)) say(problem, `原件载入失败：${err.message}`);
      button.disabled = false;
    }
  }

  function item(report) {
    const facts = [
      report.primary ? "首报" : "续报",
      nameOf("channels", report.channel),
      report.unit,
      report.recorded_by ? `录入：${report.recorded_by.name}` : "",
    ].filter(Boolean).join(" · ");
    const li = el("li", { dataset: { key: `${report.system}/${report.report_id}` } },
      el("time", {}, localTime(report.received_at)), " ", facts, "：", report.report?.title || "（无标题）");
    if (report.original) {
      const button = el("button", { type: "button", class: "link" }, "查看原件");
      button.addEventListener("click", () => openOriginal(report.original, button));
      li.append(" ", button);
    }
    return li;
  }

  /** Show the incident's reports (none while it could not be loaded). */
  return function renderReports(reports) {
    opened.forEach((url) => URL.revokeObjectURL(url));
    opened = [];
    say(problem, "");
    list.replaceChildren(...(reports || []).map(item));
  };
}
