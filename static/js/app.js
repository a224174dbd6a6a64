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
// A form sent through htmx and answered by an error page swaps nothing: say so above the
// form and let it be sent again. 503 is the database away for a moment (a restart):
// nothing was written, and the form keeps its token, so sending it again never posts twice.
document.addEventListener("htmx:responseError", function (event) {
  var xhr = event.detail.xhr;
  var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
  if (!xhr || xhr.status < 500 || !form) return;
  var alert = form.querySelector(".server-error");
  if (!alert) {
    alert = document.createElement("div");
    alert.className = "alert alert-danger m-3 mb-0 server-error";
    alert.setAttribute("role", "alert");
    form.insertBefore(alert, form.firstChild);
  }
  alert.textContent = xhr.status === 503
    ? "Không kết nối được cơ sở dữ liệu: chưa có khoản nào được ghi sổ. Vui lòng ghi lại sau ít phút (gửi lại không bao giờ ghi hai lần)."
    : "Máy chủ gặp lỗi khi ghi. Tải lại trang để xem đã được ghi sổ chưa, hoặc báo quản trị hệ thống.";
  delete form.dataset.submitted;
  form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = false; });
});
// A part of the page that asks for itself (an import's status, the day's totals, the
// follow-up list) after the session has ended is answered by the sign-in page: go there
// whole, to come back to this page once signed in, instead of swapping it in.
document.addEventListener("htmx:beforeSwap", function (event) {
  var url = event.detail.xhr && event.detail.xhr.responseURL ? new URL(event.detail.xhr.responseURL) : null;
  if (!url || url.origin !== window.location.origin || url.pathname !== "/login/") return;
  event.detail.shouldSwap = false;
  url.searchParams.set("next", window.location.pathname + window.location.search);
  window.location.assign(url.toString());
});
