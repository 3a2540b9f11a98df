// What the pages once did in inline attributes, which the Content-Security-Policy forbids
// (script-src 'self', style-src 'self'): bar widths, select-all boxes, auto-submitting pickers.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // Styles set through the DOM are allowed; a style="" attribute in the markup is not.
  for (const el of document.querySelectorAll("[data-width]")) {
    el.style.width = `${Number(el.dataset.width)}%`;
  }
  for (const el of document.querySelectorAll("[data-flex]")) {
    el.style.flex = String(Number(el.dataset.flex));
  }
  for (const box of document.querySelectorAll("input[data-check-all]")) {
    box.addEventListener("click", () => {
      const scope = box.form || document;
      for (const c of scope.querySelectorAll(`input[name="${box.dataset.checkAll}"]`)) {
        c.checked = box.checked;
      }
    });
  }
  for (const select of document.querySelectorAll("select[data-autosubmit]")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
