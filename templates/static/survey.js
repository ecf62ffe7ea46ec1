// Progressive enhancement for survey pages; everything works without it.
(function () {
  "use strict";
  var form = document.querySelector("form.survey");
  if (!form) return;

  // A human signal for the bias filters: did a pointer or key touch the page before submit?
  var flag = form.querySelector("[data-interacted]");
  if (flag) {
    var mark = function () { flag.value = "1"; };
    ["pointerdown", "keydown", "touchstart"].forEach(function (t) {
      document.addEventListener(t, mark, { once: true, passive: true });
    });
  }

  // Live character count for the comment box.
  var box = form.querySelector("textarea[name=comment]");
  var help = document.getElementById("comment-help");
  if (box && help) {
    var label = box.getAttribute("data-count-label");
    var max = box.getAttribute("maxlength");
    var update = function () { help.textContent = label.replace("{used}", box.value.length).replace("{max}", max); };
    box.addEventListener("input", update);
  }
})();
