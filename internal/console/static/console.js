// sagatrace console: the only script. It refreshes elements marked
// data-refresh from their JSON endpoint and writes text only (textContent),
// never markup, so nothing a service returns can run in the page; and it
// posts the token of a login link.
"use strict";

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text;
  if (className) td.className = className;
  return td;
}

function fillRows(tbody, rows) {
  tbody.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    tr.append(...cells);
    return tr;
  }));
}

function dtidLink(dtid) {
  const td = document.createElement("td");
  td.className = "mono";
  if (dtid) {
    const a = document.createElement("a");
    a.href = "/sagas/" + encodeURIComponent(dtid);
    a.textContent = dtid;
    td.append(a);
  }
  return td;
}

function renderScoring(root, data) {
  for (const el of root.querySelectorAll("[data-field]")) {
    const v = data[el.dataset.field];
    el.textContent = v === undefined || v === null ? "" : String(v);
  }
  const board = document.querySelector("#leaderboard tbody");
  if (board) {
    fillRows(board, (data.leaderboard || []).map((s, i) => [
      cell(String(i + 1), "num"), cell(s.profile_id, "mono"), cell(String(s.score), "num"),
      cell(String(s.events), "num"), dtidLink(s.last_dtid),
    ]));
  }
  const lag = document.querySelector("#lag tbody");
  if (lag) {
    fillRows(lag, (data.lag || []).map((l) => [cell(String(l.partition), "num"), cell(String(l.lag), "num")]));
  }
  const stamp = document.getElementById("refreshed");
  if (stamp) stamp.textContent = "Last refreshed " + new Date().toLocaleTimeString() + ".";
}

function startRefresh(root) {
  const url = root.dataset.refresh;
  const every = Number(root.dataset.interval) || 3000;
  const tick = async () => {
    try {
      const resp = await fetch(url, { headers: { Accept: "application/json" } });
      if (resp.ok) renderScoring(root, await resp.json());
    } catch (err) {
      const stamp = document.getElementById("refreshed");
      if (stamp) stamp.textContent = "Refresh failed: " + err;
    }
  };
  setInterval(tick, every);
}

// A login link carries its token in the fragment (/login#token=…), which a
// browser never sends to a server nor a proxy writes to its log: move it
// into the login form, drop it from the address bar and the history, and
// post it.
function loginFromFragment() {
  const form = document.getElementById("login");
  const prefix = "#token=";
  if (!form || !location.hash.startsWith(prefix)) return;
  const token = decodeURIComponent(location.hash.slice(prefix.length));
  history.replaceState(null, "", location.pathname + location.search);
  form.elements.token.value = token;
  form.submit();
}

document.addEventListener("DOMContentLoaded", () => {
  loginFromFragment();
  for (const root of document.querySelectorAll("[data-refresh]")) startRefresh(root);
});
