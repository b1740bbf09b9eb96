/* Sort and narrow a browse list in the page (no server, no library). The list is plain HTML that works
   without JavaScript; this only reveals the controls and reorders or hides rows. It reads data-*
   attributes and text nodes and never inserts HTML. */
(function () {
  "use strict";

  var collator = new Intl.Collator("ja");

  function number(row, name) {
    var value = row.getAttribute("data-" + name);
    return value === "" || value === null ? NaN : Number(value);
  }

  function compare(key) {
    switch (key) {
      case "start-desc": return function (a, b) { return number(b, "start") - number(a, "start"); };
      case "start-asc": return function (a, b) { return number(a, "start") - number(b, "start"); };
      case "pop-desc": return function (a, b) { return (number(b, "pop") || -1) - (number(a, "pop") || -1); };
      case "pop-asc": return function (a, b) { return (number(a, "pop") || Infinity) - (number(b, "pop") || Infinity); };
      case "title-asc": return function (a, b) { return collator.compare(a.cells[0].textContent, b.cells[0].textContent); };
      default: return function (a, b) {
        var x = a.getAttribute("data-updated"), y = b.getAttribute("data-updated");
        return x < y ? 1 : x > y ? -1 : 0;
      };
    }
  }

  function setup(list) {
    var controls = list.querySelector(".yk-controls");
    var body = list.querySelector("tbody");
    if (!controls || !body) return;
    var rows = Array.prototype.slice.call(body.rows);
    var original = rows.slice();
    var filter = controls.querySelector("[data-yk-filter]");
    var band = controls.querySelector("[data-yk-band]");
    var sort = controls.querySelector("[data-yk-sort]");
    var count = controls.querySelector("[data-yk-count]");
    var texts = rows.map(function (row) { return row.textContent.normalize("NFKC").toLowerCase(); });

    // Offer only the population bands present in this list.
    var present = {};
    rows.forEach(function (row) { present[row.getAttribute("data-band")] = true; });
    Array.prototype.slice.call(band.options).forEach(function (option) {
      if (option.value && !present[option.value]) option.remove();
    });

    function update() {
      var words = filter.value.normalize("NFKC").toLowerCase().split(/\s+/).filter(Boolean);
      var wanted = band.value;
      var shown = 0;
      original.forEach(function (row, index) {
        var ok = (!wanted || row.getAttribute("data-band") === wanted) &&
          words.every(function (word) { return texts[index].indexOf(word) !== -1; });
        row.hidden = !ok;
        if (ok) shown += 1;
      });
      count.textContent = shown + " / " + original.length + " 件";
    }

    var position = new Map();
    original.forEach(function (row, index) { position.set(row, index); });

    function reorder() {
      var by = compare(sort.value);
      var sorted = original.slice().sort(function (a, b) {
        return by(a, b) || position.get(a) - position.get(b);
      });
      var fragment = document.createDocumentFragment();
      sorted.forEach(function (row) { fragment.appendChild(row); });
      body.appendChild(fragment);
    }

    filter.addEventListener("input", update);
    band.addEventListener("change", update);
    sort.addEventListener("change", reorder);
    controls.hidden = false;
    update();
    reorder();
    // Back to this page: the browser may restore the controls' values after this ran; follow them.
    window.addEventListener("pageshow", function () { update(); reorder(); });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-yk-list]"), setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
