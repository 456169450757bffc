// Operator dashboard: sign in with the token endpoint, then poll the dashboard API.
"use strict";
(function () {
  const body = document.body;
  const lang = body.dataset.lang || "vi";
  const pollMs = 1000 * Number(body.dataset.pollSeconds || 10);
  const chartMs = 1000 * Number(body.dataset.chartSeconds || 60);
  const store = window.sessionStorage;
  const $ = (id) => document.getElementById(id);
  const numbers = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB");
  const times = new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB", {
    dateStyle: "short",
    timeStyle: "medium",
    timeZone: "Asia/Ho_Chi_Minh",
  });
  let timers = [];
  const chartUrls = {};

  function token() {
    return store.getItem("techx.access_token");
  }

  function authorised(path) {
    return fetch(path, { headers: { Authorization: "Bearer " + token() } });
  }

  function showLogin(message) {
    timers.forEach(clearInterval);
    timers = [];
    $("board").hidden = true;
    $("logout").hidden = true;
    $("login").hidden = false;
    $("login-error").textContent = message || "";
  }

  function showBoard() {
    $("login").hidden = true;
    $("board").hidden = false;
    $("logout").hidden = false;
  }

  async function signIn(event) {
    event.preventDefault();
    const form = new URLSearchParams({
      grant_type: "password",
      username: $("email").value,
      password: $("password").value,
    });
    const answer = await fetch("/api/v1/auth/token", { method: "POST", body: form });
    if (!answer.ok) {
      showLogin(body.dataset.msgFailed);
      return;
    }
    store.setItem("techx.access_token", (await answer.json()).access_token);
    $("password").value = "";
    start();
  }

  function renderTiles(data) {
    for (const tile of data.tiles) {
      const node = document.querySelector('[data-tile="' + tile.id + '"] .value');
      if (!node) continue;
      node.textContent = tile.value === null ? "—" : numbers.format(tile.value);
      node.dataset.value = tile.value === null ? "" : String(tile.value);
    }
    $("updated").textContent = times.format(new Date(data.generated_at));
    $("period").textContent = data.period;
    const rows = data.events.map((event) => {
      const row = document.createElement("tr");
      const title = event.title[lang] || event.title.vi || event.initiative_id;
      for (const text of [times.format(new Date(event.at)), title, event.label[lang]]) {
        const cell = document.createElement("td");
        cell.textContent = text;
        row.appendChild(cell);
      }
      return row;
    });
    $("events").replaceChildren(...rows);
  }

  async function refresh() {
    let answer;
    try {
      answer = await authorised("/api/v1/dashboard");
    } catch (error) {
      $("status").textContent = body.dataset.msgOffline;
      return;
    }
    if (answer.status === 401) return showLogin();
    if (answer.status === 403) return showLogin(body.dataset.msgForbidden);
    if (!answer.ok) {
      $("status").textContent = body.dataset.msgOffline;
      return;
    }
    $("status").textContent = "";
    showBoard();
    renderTiles(await answer.json());
    body.dataset.loaded = "true";
  }

  async function refreshCharts() {
    for (const image of document.querySelectorAll("img[data-chart]")) {
      const name = image.dataset.chart;
      const answer = await authorised("/api/v1/dashboard/charts/" + name + "?lang=" + lang);
      if (!answer.ok) continue;
      const url = URL.createObjectURL(await answer.blob());
      if (chartUrls[name]) URL.revokeObjectURL(chartUrls[name]);
      chartUrls[name] = url;
      image.src = url;
      await image.decode().catch(() => undefined);
    }
    body.dataset.charts = "true";
  }

  async function openReport(event) {
    event.preventDefault();
    const period = $("period").textContent;
    const path = "/api/v1/reports/operations?format=html&lang=" + lang + "&period=" + period;
    const answer = await authorised(path);
    if (!answer.ok) return;
    window.open(URL.createObjectURL(await answer.blob()), "_blank");
  }

  async function start() {
    await refresh();
    if ($("board").hidden) return;
    await refreshCharts();
    timers.push(setInterval(refresh, pollMs), setInterval(refreshCharts, chartMs));
  }

  $("login").addEventListener("submit", signIn);
  $("report-link").addEventListener("click", openReport);
  $("logout").addEventListener("click", () => {
    store.removeItem("techx.access_token");
    showLogin();
  });
  if (token()) start();
  else showLogin();
})();
