/* Samdesk help pages: suggestions while a new case's subject is typed, and "insert a link to an
 * article" in the agents' reply form. Small, no libraries, no inline script (strict CSP).
 * The server escapes every snippet and adds only <mark>, so the snippet is set as HTML; titles
 * are set as text. */
(function () {
  "use strict";

  function debounce(fn, ms) {
    var timer = null;
    return function () {
      var args = arguments;
      clearTimeout(timer);
      timer = setTimeout(function () { fn.apply(null, args); }, ms);
    };
  }

  function fetchJSON(url, done) {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status === 200) {
        try { done(JSON.parse(request.responseText)); } catch (e) { /* ignore */ }
      }
    };
    request.send();
  }

  function item(article, action) {
    var li = document.createElement("li");
    var link = document.createElement("a");
    link.className = "ds-link";
    link.href = article.url;
    link.textContent = article.title;
    li.appendChild(link);
    if (action) li.appendChild(action(article));
    if (article.snippet) {
      var p = document.createElement("p");
      p.className = "sd-snippet";
      p.innerHTML = article.snippet;
      li.appendChild(p);
    }
    return li;
  }

  // New case: suggestions under the subject.
  var box = document.getElementById("kb-suggestions");
  if (box) {
    var input = document.getElementById(box.getAttribute("data-for"));
    var list = box.querySelector("ul");
    var last = "";
    var update = debounce(function () {
      var q = input.value.trim();
      if (q === last) return;
      last = q;
      if (q.length < 3) { box.hidden = true; return; }
      fetchJSON(box.getAttribute("data-url") + "?q=" + encodeURIComponent(q), function (data) {
        if (input.value.trim() !== q) return;
        list.textContent = "";
        (data.items || []).forEach(function (a) { list.appendChild(item(a)); });
        box.hidden = !(data.items && data.items.length);
      });
    }, 250);
    if (input) {
      input.addEventListener("input", update);
      update();
    }
  }

  // Reply form: search articles and insert a link into the text.
  var picker = document.getElementById("kb-link-picker");
  if (picker) {
    var field = picker.querySelector("input[type=search]");
    var results = picker.querySelector("ul");
    var target = document.getElementById(picker.getAttribute("data-target"));
    var insert = function (article) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "ds-button";
      button.setAttribute("data-variant", "tertiary");
      button.setAttribute("data-size", "sm");
      button.textContent = picker.getAttribute("data-insert-label");
      button.addEventListener("click", function () {
        var text = article.title + ": " + article.link;
        var at = target.selectionStart || target.value.length;
        target.value = target.value.slice(0, at) + text + target.value.slice(at);
        target.focus();
      });
      return button;
    };
    picker.hidden = false;
    field.addEventListener("input", debounce(function () {
      var q = field.value.trim();
      if (q.length < 2) { results.textContent = ""; return; }
      fetchJSON(picker.getAttribute("data-url") + "?q=" + encodeURIComponent(q) + "&lenke=1", function (data) {
        results.textContent = "";
        (data.items || []).forEach(function (a) { results.appendChild(item(a, insert)); });
      });
    }, 250));
  }
})();
