// Officer entry of a telephone, fax or telegram report (intake's POST /api/v1/reports:officer; a fax or telegram
// carries its scanned original): the signed-in officer is the recording officer; the API's refusals are shown
// next to the field they name.

import { call } from "./api.js";
import { $, el, options, say } from "./dom.js";
import { fromLocalInput, missingText, names } from "./format.js";

const CASUALTIES = ["deaths", "injuries", "missing", "trapped"];
// fields the API names that the form shows under another input
const SHOWN_AT = { "contact.phone": "callback_number", "source.unit": "unit", casualties: "casualties.deaths" };
// the channels whose report is a document: intake refuses them without the scanned original
const WRITTEN = ["fax", "telegram"];
const OUTCOME = { opened: "新建事件", attached: "并入已有事件", duplicate: "重复报送，已计入原报告" };

export function setupEntry(ctx) {
  const form = $("#entry-form");
  const channel = $("#e-channel");
  const original = $("#e-original");
  options($("#e-category"), names("categories"));
  options(channel, names("entry_channels"));

  /** A fax or telegram needs its scanned original; a phone report has none to send. */
  function showChannel() {
    const written = WRITTEN.includes(channel.value);
    const box = original.closest(".field");
    box.hidden = !written;
    original.disabled = !written;
    original.required = written;
    if (!written) {
      original.value = "";
      box.classList.remove("invalid");
      box.querySelectorAll(".field-error").forEach((node) => node.remove());
    }
    const label = $("#e-text-label");
    label.textContent = written ? label.dataset.written : label.dataset.spoken;
  }

  function clearErrors() {
    form.querySelectorAll(".field-error").forEach((node) => node.remove());
    form.querySelectorAll(".invalid").forEach((node) => node.classList.remove("invalid"));
    say($("#entry-error"), "");
  }

  /** Put a message under the field the API named; false when the form has no such field. */
  function fieldError(field, message) {
    const box = form.querySelector(`.field[data-field="${CSS.escape(SHOWN_AT[field] || field)}"]`);
    if (!box) return false;
    box.classList.add("invalid");
    box.append(el("p", { class: "field-error", role: "alert" }, message));
    return true;
  }

  function report(data) {
    const text = (name) => (data.get(name) || "").trim();
    const out = { title: text("title"), text: text("text"), classification: data.get("classification") };
    for (const name of ["area_code", "place", "category", "measures", "unit"]) if (text(name)) out[name] = text(name);
    const occurred = fromLocalInput(data.get("occurred_at"));
    if (occurred) out.occurred_at = occurred;
    if (text("contact_name")) out.contact = { name: text("contact_name") };
    out.casualties = Object.fromEntries(CASUALTIES.map((name) => [name, text(name) || null])); // blank = 不详
    return out;
  }

  function showRefusal(err) {
    let placed = err.field && fieldError(err.field, err.message);
    if (err.errors.length) { // the request's own checks (FastAPI): one entry per field
      let shown = 0;
      for (const item of err.errors) {
        const label = form.querySelector(`.field[data-field="${CSS.escape(item.field)}"] label`)?.textContent;
        const what = names("validation")[item.type] || "不符合要求";
        if (fieldError(item.field, `${(label || item.field).replace(" *", "")}${what}`)) shown += 1;
      }
      placed = shown === err.errors.length;
    }
    say($("#entry-error"), placed ? "提交未成功，请按提示修改后重新提交。" : `提交未成功：${err.message}`);
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors();
    say($("#entry-result"), "");
    const data = new FormData(form);
    const body = new FormData();
    body.append("report", JSON.stringify(report(data)));
    body.append("channel", channel.value);
    body.append("callback_number", (data.get("callback_number") || "").trim());
    // only a chosen file: an empty file input would reach the API as a nameless, empty part
    if (!original.disabled && original.files.length) body.append("original", original.files[0]);
    $("#entry-submit").disabled = true;
    try {
      const result = await call("/api/v1/reports:officer", { method: "POST", form: body });
      form.reset();
      showChannel();
      const box = $("#entry-result");
      box.replaceChildren(
        el("p", {}, `已接收（${OUTCOME[result.status] || result.status}）：${result.incident_id}`),
        el("p", {}, missingText(result.missing_elements)),
        el("button", { type: "button", onclick: () => ctx.show("list") }, "在事件列表中查看"));
      box.hidden = false;
    } catch (err) {
      if (!ctx.handled(err)) showRefusal(err);
    } finally {
      $("#entry-submit").disabled = false;
    }
  });

  channel.addEventListener("change", showChannel);
  showChannel();

  ctx.onSignIn.push(() => {
    $("#recording-officer").textContent = ctx.me.name;
    clearErrors();
    say($("#entry-result"), "");
  });
}
