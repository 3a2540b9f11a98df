// Live totals for the budget editor; the server re-checks everything on save.
(function () {
  const form = document.getElementById("budget");
  if (!form) return;
  const fmt = (n) => n.toLocaleString("zh-TW");
  const whole = (v) => { const t = String(v).replace(/,/g, "").trim(); return /^\d+$/.test(t) ? parseInt(t, 10) : 0; };
  const d = form.dataset;
  function adminCap(business) {
    // Same integer formula as rules.budget.administration_fee: floor once, then cap.
    const threshold = +d.threshold, low = Math.min(business, threshold), high = business - low;
    return Math.min(+d.cap, Math.floor((low * +d.low + high * +d.high) / 10000));
  }
  function update() {
    const t = { estimate: 0, recurrent: 0, capital: 0, business: 0 };
    let adminRequested = 0;
    for (const row of form.querySelectorAll("tr[data-item]")) {
      const key = row.dataset.item, est = +row.dataset.estimate;
      const rec = whole(form.elements[key + ".recurrent"].value), cap = whole(form.elements[key + ".capital"].value);
      const req = rec + cap;
      row.querySelector(".requested").textContent = fmt(req);
      row.querySelector(".diff").textContent = (req - est > 0 ? "+" : "") + fmt(req - est);
      t.estimate += est; t.recurrent += rec; t.capital += cap;
      if (row.dataset.business) t.business += rec;
      if (key === "administration") adminRequested = req;
    }
    const cap = adminCap(t.business);
    document.getElementById("t-estimate").textContent = fmt(t.estimate);
    document.getElementById("t-recurrent").textContent = fmt(t.recurrent);
    document.getElementById("t-capital").textContent = fmt(t.capital);
    document.getElementById("t-requested").textContent = fmt(t.recurrent + t.capital);
    document.getElementById("t-diff").textContent = fmt(t.recurrent + t.capital - t.estimate);
    document.getElementById("t-business").textContent = fmt(t.business);
    document.getElementById("t-cap").textContent = fmt(cap);
    document.getElementById("cap-warning").hidden = adminRequested <= cap;
  }
  form.addEventListener("input", update);
  update();
})();
