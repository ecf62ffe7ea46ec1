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
    var update = function () { help.textContent = label.replace("{used}", box.value.length); };
    box.addEventListener("input", update);
  }

  // A choice tapped in the email is confirmed once the page has been visible for a moment, so
  // one tap is enough. Opening the link records nothing (mail scanners open every link); this
  // confirm does, marked as automatic, with the interaction flag beside it for the filters.
  // Changing the choice or starting a comment hands the confirm back to the person.
  // The note is a live region that is empty at load: it is filled once the confirm is armed,
  // and changed when the person takes over, so screen readers announce each.
  if (form.hasAttribute("data-autoconfirm")) {
    var confirmField = form.querySelector("[data-confirm]");
    var note = document.querySelector("[data-autoconfirm-note]");
    var say = function (attr) { if (note) note.textContent = note.getAttribute(attr); };
    var timer = null, cancelled = false;
    var cancel = function () {
      if (!cancelled) say("data-manual");
      cancelled = true;
      clearTimeout(timer);
    };
    form.addEventListener("change", cancel);
    form.addEventListener("focusin", function (e) { if (e.target.tagName === "TEXTAREA") cancel(); });
    var arm = function () {
      if (cancelled) return;
      if (document.visibilityState === "visible" && !timer) {
        timer = setTimeout(function () {
          if (cancelled) return;
          confirmField.value = "auto";
          form.submit();
        }, 2000);
      } else if (document.visibilityState !== "visible" && timer) {
        clearTimeout(timer);
        timer = null;
      }
    };
    document.addEventListener("visibilitychange", arm);
    // A moment's delay: a screen reader must have seen the empty region before it changes.
    setTimeout(function () { if (!cancelled) say("data-armed"); }, 100);
    arm();
  }
})();
