// One incident: intake's record (elements, reports and their originals) and escalation's view (level,
// sensitivity, review, timeline); for the duty-room head and the shift leader, the review gate's approve / return.

import { ApiFailure, call } from "./api.js";
import { $, el, say } from "./dom.js";
import { levelText, localTime, missingText, nameOf } from "./format.js";
import { setupReports } from "./reports.js";

const REVIEWER_ROLES = ["duty_head", "shift_leader"];

export function setupDetail(ctx) {
  const form = $("#review-form");
  const renderReports = setupReports(ctx);
  let incidentId = null;
  let shownRevision = null; // the version the reviewer is looking at; the API refuses a stale approval

  function isReviewer() {
    return ctx.me && ctx.me.roles.some((role) => REVIEWER_ROLES.includes(role));
  }

  function reviewText(review) {
    if (!review) return "";
    const state = nameOf("review_states", review.state);
    const why = review.required_because?.length ? `（${review.required_because.join("；")}）` : "";
    return `${state}${review.state === "awaiting_review" ? why : ""}`;
  }

  function render(intake, esc) {
    $("#d-title").textContent = esc?.title || intake?.title || incidentId;
    $("#d-id").textContent = incidentId;
    $("#d-missing").textContent = intake ? missingText(intake.missing_elements) : "";
    renderReports(intake?.reports);
    if (esc) {
      const suggested = esc.suggested_level && esc.suggested_level !== esc.level
        ? `；系统建议 ${levelText(esc.suggested_level)}` : "";
      $("#d-level").textContent = levelText(esc.level) + suggested + (esc.may_escalate ? "；可能升级" : "");
      $("#d-reasons").textContent = (esc.grading_reasons || []).join("；") || "无";
      $("#d-sensitive").textContent = esc.sensitive ? `敏感（${(esc.sensitive_reasons || []).join("；")}）` : "不敏感";
      $("#d-review").textContent = reviewText(esc.review);
      $("#d-revision").textContent = `第 ${esc.revision} 版`;
    } else {
      for (const id of ["#d-level", "#d-reasons", "#d-sensitive", "#d-review", "#d-revision"]) $(id).textContent = "";
      $("#d-level").textContent = levelText(intake?.level);
    }
    shownRevision = esc ? esc.revision : null;
    form.hidden = !(esc && isReviewer() && esc.review?.state === "awaiting_review");
    const entries = esc ? esc.timeline : (intake?.timeline || []).map((e) => ({ ...e, at_local: localTime(e.at) }));
    $("#timeline").replaceChildren(...entries.map((entry) =>
      el("li", { dataset: { kind: entry.kind || "" } },
        el("time", {}, entry.at_local || localTime(entry.at)), " ", entry.text || "")));
  }

  async function load() {
    say($("#detail-error"), "");
    say($("#review-error"), "");
    const [intake, esc] = await Promise.allSettled([
      call(`/api/v1/incidents/${encodeURIComponent(incidentId)}`),
      call(`/api/v1/escalation/incidents/${encodeURIComponent(incidentId)}`),
    ]);
    const failures = [intake, esc].filter((r) => r.status === "rejected").map((r) => r.reason);
    if (failures.some((err) => ctx.handled(err))) return;
    const escMissing = esc.status === "rejected" && esc.reason instanceof ApiFailure && esc.reason.status === 404;
    render(intake.value, esc.value);
    if (intake.status === "rejected") say($("#detail-error"), `事件载入失败：${intake.reason.message}`);
    else if (escMissing) say($("#detail-error"), "该事件尚未完成定级，稍后刷新查看等级与审核状态。");
    else if (esc.status === "rejected") say($("#detail-error"), `等级与时间线载入失败：${esc.reason.message}`);
  }

  async function review(action) {
    const comment = $("#review-comment").value.trim();
    const path = `/api/v1/escalation/incidents/${encodeURIComponent(incidentId)}/review:${action}`;
    say($("#review-error"), "");
    try {
      await call(path, { method: "POST", json: { shown_revision: shownRevision, comment } });
    } catch (err) {
      if (ctx.handled(err)) return;
      say($("#review-error"), `审核未成功：${err.message}`); // a stale approval says which version to reload
      return;
    }
    $("#review-comment").value = "";
    await load();
    say($("#review-done"), action === "approve" ? "已审核通过。" : "已退回修改。");
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    review(event.submitter?.value === "return" ? "return" : "approve");
  });
  $("#back-to-list").addEventListener("click", () => ctx.show("list"));
  $("#reload-detail").addEventListener("click", () => { say($("#review-done"), ""); load(); });

  ctx.openDetail = (id) => {
    incidentId = id;
    say($("#review-done"), "");
    $("#review-comment").value = "";
    ctx.show("detail");
    load();
  };
}
