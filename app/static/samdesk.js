/* Samdesk keyboard shortcuts, our own small script (no inline scripts, no libraries).
 * An element with data-shortcut="x" is focused (fields) or clicked (buttons, links) when x is
 * pressed outside a text field. "?" opens the shortcut list, j/k move between cases in a list,
 * Ctrl/Cmd+Enter sends the form you are writing in. After a failed form the first field with an
 * error gets the focus. */
(function () {
  "use strict";

  function typing(el) {
    if (!el) return false;
    var tag = el.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || el.isContentEditable;
  }

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("a.sd-rowlink"));
  }

  function move(step) {
    var links = rows();
    if (!links.length) return;
    var at = links.indexOf(document.activeElement);
    var next = at < 0 ? 0 : Math.min(links.length - 1, Math.max(0, at + step));
    links[next].focus();
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && typing(event.target)) {
      var form = event.target.form;
      if (form) {
        event.preventDefault();
        if (form.requestSubmit) form.requestSubmit(); else form.submit();
      }
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    if (event.key === "?") {
      var help = document.getElementById("shortcuts");
      if (help) {
        event.preventDefault();
        help.open = !help.open;
        if (help.open) help.querySelector("summary").focus();
      }
      return;
    }
    if (event.key === "j") { event.preventDefault(); move(1); return; }
    if (event.key === "k") { event.preventDefault(); move(-1); return; }
    var target = document.querySelector('[data-shortcut="' + (event.key === "/" ? "/" : event.key.toLowerCase()) + '"]');
    if (!target || event.key.length !== 1) return;
    event.preventDefault();
    if (typing(target)) {
      target.focus();
      if (target.scrollIntoView) target.scrollIntoView({ block: "center" });
    } else {
      target.click();
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    // Someone who already moved (a shortcut pressed while the page loaded) keeps their place.
    if (document.activeElement && document.activeElement !== document.body) return;
    var summary = document.querySelector("[data-autofocus]");
    var invalid = document.querySelector('[aria-invalid="true"]');
    if (invalid) invalid.focus();
    else if (summary) summary.focus();
  });
})();
