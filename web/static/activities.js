// Show only the fields the chosen kind of activity records; hidden fields are disabled
// so they are not sent (the server refuses counts a kind does not record).
(function () {
  const kind = document.getElementById("kind");
  if (!kind) return;
  function apply() {
    for (const el of document.querySelectorAll("#record-activity [data-kinds]")) {
      const on = kind.value !== "" && el.dataset.kinds.split(" ").includes(kind.value);
      el.hidden = !on;
      for (const input of el.querySelectorAll("input, select")) input.disabled = !on;
    }
    for (const set of document.querySelectorAll("#record-activity fieldset")) {
      set.hidden = !set.querySelector("[data-kinds]:not([hidden])");
    }
  }
  kind.addEventListener("change", apply);
  apply();
})();
