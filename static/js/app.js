// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // "Select all on this page" checkboxes: <input type="checkbox" data-select-all="name-of-row-checkboxes">
  document.querySelectorAll("[data-select-all]").forEach(function (master) {
    master.addEventListener("change", function () {
      var name = master.getAttribute("data-select-all");
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
        box.checked = master.checked;
      });
    });
  });
  // Focus the error summary when a form comes back with errors.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
  // Buttons that ask for confirmation: <button data-confirm="Are you sure?">
  document.querySelectorAll("[data-confirm]").forEach(function (el) {
    el.addEventListener("click", function (event) {
      if (!window.confirm(el.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
})();
