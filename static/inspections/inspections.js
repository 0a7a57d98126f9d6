// The inspection tool: fill the position fields from the phone, show failed items' extra fields, count answers.
// Its words come from Django's JavaScript catalog (/jsi18n/, loaded first): gettext(), ngettext(), interpolate().
(function () {
  "use strict";
  function fillPosition(pos) {
    document.querySelectorAll("input[name=latitude]").forEach(function (el) { el.value = pos.coords.latitude.toFixed(6); });
    document.querySelectorAll("input[name=longitude]").forEach(function (el) { el.value = pos.coords.longitude.toFixed(6); });
    document.querySelectorAll("input[name=accuracy]").forEach(function (el) { el.value = Math.round(pos.coords.accuracy); });
  }
  if (document.querySelector("input[name=latitude]") && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition(fillPosition, function () {}, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
  }
  var form = document.getElementById("checklist");
  if (form) {
    var counter = document.getElementById("answered");
    var update = function () {
      var answered = 0;
      form.querySelectorAll("fieldset[data-item]").forEach(function (fs) {
        var checked = fs.querySelector("input[type=radio]:checked");
        if (checked) { answered += 1; }
        fs.classList.toggle("failed", !!checked && checked.value === "fail");
      });
      if (counter) { counter.textContent = answered; }
    };
    form.addEventListener("change", update);
    update();
  }
  document.querySelectorAll(".photo-btn input[type=file]").forEach(function (input) {
    input.addEventListener("change", function () {
      var label = input.closest(".photo-btn").nextElementSibling;
      if (label && label.classList.contains("picked")) {
        var n = input.files.length;
        label.textContent = n ? interpolate(ngettext("已选择 %s 张照片, 保存后上传", "已选择 %s 张照片, 保存后上传", n), [n]) : "";
      }
    });
  });
  // No inline handlers (Content-Security-Policy): forms that submit on change, buttons that ask first.
  document.querySelectorAll("[data-autosubmit]").forEach(function (el) {
    el.addEventListener("change", function () { el.form.submit(); });
  });
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
