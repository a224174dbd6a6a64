// Amount fields show 1.234.567 as the user types; the server accepts either form.
document.addEventListener("input", function (event) {
  var input = event.target;
  if (!input.classList || !input.classList.contains("money")) return;
  var digits = input.value.replace(/[^0-9]/g, "");
  if (!digits) { input.value = ""; return; }
  input.value = digits.replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ".");
});
// A form submits once: the button is disabled after the first click.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (form.dataset.submitted) { event.preventDefault(); return; }
  form.dataset.submitted = "1";
  // A disabled button is left out of the submission: keep the clicked one's name and value.
  var submitter = event.submitter;
  if (submitter && submitter.name) {
    var kept = document.createElement("input");
    kept.type = "hidden";
    kept.name = submitter.name;
    kept.value = submitter.value;
    form.appendChild(kept);
  }
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
});
// A select marked data-submit-on-change sends its form when changed (no inline handler:
// the content security policy allows no inline script).
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.hasAttribute && field.hasAttribute("data-submit-on-change") && field.form) {
    field.form.requestSubmit ? field.form.requestSubmit() : field.form.submit();
  }
});
