// The duty officers' console: sign-in, then the incident list, an incident's detail with review, and the
// telephone, fax and telegram report entry form. Every API call carries the session's bearer token.

import { ApiFailure, call, session } from "./api.js";
import { $, say } from "./dom.js";
import { loadCatalogue } from "./format.js";
import { setupDetail } from "./detail.js";
import { setupEntry } from "./entry.js";
import { setupList } from "./list.js";

const views = { list: $("#list-view"), detail: $("#detail-view"), entry: $("#entry-view") };
const ctx = {
  me: null,
  show(name) {
    for (const [key, node] of Object.entries(views)) node.hidden = key !== name;
    document.querySelectorAll(".tab").forEach((tab) => tab.classList.toggle("active", tab.dataset.view === name));
    say($("#app-error"), "");
    ctx.onShow[name]?.();
  },
  onShow: {},
  onSignIn: [],
  /** A refusal every view treats alike: a token that no longer works sends the person back to sign in. */
  handled(err) {
    if (err instanceof ApiFailure && err.unauthenticated) {
      signOut(`登录已失效：${err.message}。请重新登录。`);
      return true;
    }
    return false;
  },
};

function showSignIn(message) {
  $("#app-view").hidden = true;
  $("#who").hidden = true;
  $("#signin-view").hidden = false;
  say($("#signin-error"), message);
  $("#token").focus();
}

function signOut(message) {
  session.clear();
  ctx.me = null;
  showSignIn(message);
}

async function signIn(token) {
  try {
    ctx.me = await call("/api/v1/me", { token });
  } catch (err) {
    session.clear();
    const why = err instanceof ApiFailure && err.status === 401
      ? `登录失败：${err.message}。请核对令牌后重试。`
      : `登录失败：${err.message}`;
    showSignIn(why);
    return;
  }
  session.token = token;
  $("#token").value = "";
  $("#signin-view").hidden = true;
  $("#who-name").textContent = `${ctx.me.name}（${ctx.me.role_names.join("、")}）`;
  $("#who").hidden = false;
  $("#app-view").hidden = false;
  ctx.onSignIn.forEach((hook) => hook());
  ctx.show("list");
}

async function start() {
  try {
    await loadCatalogue();
  } catch (err) {
    showSignIn(err.message);
    return;
  }
  setupList(ctx);
  setupDetail(ctx);
  setupEntry(ctx);
  $("#signin-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const token = $("#token").value.trim();
    if (token) signIn(token);
  });
  $("#sign-out").addEventListener("click", () => signOut("已退出登录。"));
  document.querySelectorAll(".tab").forEach((tab) => tab.addEventListener("click", () => ctx.show(tab.dataset.view)));
  if (session.token) await signIn(session.token);
  else showSignIn("");
}

start();
