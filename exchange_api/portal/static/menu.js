// The side menu folds away on a phone behind the "Menu" button; without script it stays open.
(function () {
  "use strict";
  var button = document.querySelector(".menu-toggle");
  var menu = document.getElementById("side-menu");
  if (!button || !menu) { return; }
  var narrow = window.matchMedia("(max-width: 48rem)");
  function show(open) {
    menu.classList.toggle("folded", !open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  button.hidden = false;
  show(!narrow.matches);
  button.addEventListener("click", function () { show(menu.classList.contains("folded")); });
  narrow.addEventListener("change", function (event) { show(!event.matches); });
})();
