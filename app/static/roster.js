/* Samdesk new-case page: while the employee types or picks a business system, show the go-to
 * colleagues for it. No request: the municipality's roster is already on the page (the closed
 * "Ask a go-to colleague" list); this copies the entries whose system matches, ignoring case.
 * Small, no libraries, no inline script (strict CSP). Without JavaScript the server shows them
 * for ?system= or a sent form, and the whole roster stays in its <details>. */
(function () {
  "use strict";

  var box = document.getElementById("system-roster");
  if (!box) return;
  var input = document.getElementById(box.getAttribute("data-for"));
  var roster = document.getElementById(box.getAttribute("data-roster"));
  var list = box.querySelector("ul");
  var name = box.querySelector("[data-system-name]");
  if (!input || !list || !name) return;

  function fold(text) {
    return (text || "").replace(/\s+/g, " ").trim().toLocaleLowerCase();
  }

  var last = null;
  function update() {
    var wanted = fold(input.value);
    if (wanted === last) return;
    last = wanted;
    var found = [];
    if (wanted && roster) {
      Array.prototype.forEach.call(roster.querySelectorAll("li[data-system]"), function (entry) {
        if (fold(entry.getAttribute("data-system")) === wanted) found.push(entry);
      });
    }
    if (!found.length) {
      box.hidden = true;
      return;
    }
    list.textContent = "";
    found.forEach(function (entry) {
      var li = document.createElement("li");
      var person = entry.querySelector("[data-person]");
      if (person) li.appendChild(person.cloneNode(true));
      list.appendChild(li);
    });
    name.textContent = found[0].getAttribute("data-system");
    box.hidden = false;
  }

  input.addEventListener("input", update);
  input.addEventListener("change", update);
  update();
})();
