// The 收支結算表 as the clerk types: the same integer arithmetic as rules/settlement.py
// (D = B / A kept exact, G rounded half away from zero once); the server recomputes on send.
(function () {
  for (const form of document.querySelectorAll("form[data-settlement]")) {
    const A = BigInt(form.dataset.a), B = BigInt(form.dataset.b), C = BigInt(form.dataset.c);
    const fmt = (n) => (n < 0n ? "-" : "") + (n < 0n ? -n : n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    const whole = (v) => { const t = String(v).replace(/,/g, "").trim(); return /^\d+$/.test(t) ? BigInt(t) : null; };
    const gcd = (a, b) => (b === 0n ? a : gcd(b, a % b));
    const out = (k, text) => { const cell = form.querySelector(`[data-out="${k}"]`); if (cell) cell.textContent = text; };
    function update() {
      let E = 0n, bad = false;
      for (const input of form.querySelectorAll('input[name^="ev.spending."]')) {
        if (!input.value.trim()) continue;
        const n = whole(input.value);
        if (n === null) bad = true; else E += n;
      }
      if (bad || A === 0n) { for (const k of "DEFG") out(k, ""); return; }
      const g = gcd(B, A);
      out("D", `${fmt(B / g)} / ${fmt(A / g)}`);
      const F = A - E;
      // G = F × B / A − (B − C) as one fraction N / A, then 四捨五入 symmetric about zero.
      const N = F * B - (B - C) * A;
      const mag = (2n * (N < 0n ? -N : N) + A) / (2n * A);
      const G = N < 0n ? -mag : mag;
      out("E", fmt(E)); out("F", fmt(F)); out("G", fmt(G));
    }
    form.addEventListener("input", update);
    update();
  }
})();
