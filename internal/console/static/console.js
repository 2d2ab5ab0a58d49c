// Progressive enhancement only: every page works without this script.
// It adds the copy button of a newly created secret.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button.copy[data-copy]").forEach(function (b) {
    var target = document.getElementById(b.getAttribute("data-copy"));
    if (!target || !navigator.clipboard) { return; }
    b.hidden = false;
    b.addEventListener("click", function () {
      navigator.clipboard.writeText(target.value).then(function () { b.textContent = "Copied"; });
    });
  });
});
