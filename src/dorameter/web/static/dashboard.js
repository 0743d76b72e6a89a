// dorameter dashboard: draw the charts described in the page, sort tables, keep filters tidy.
(function () {
  "use strict";
  function drawCharts() {
    if (typeof Plotly === "undefined") { return; }
    document.querySelectorAll(".chart").forEach(function (element) {
      var source = element.querySelector("script[type='application/json']");
      if (!source) { return; }
      var spec = JSON.parse(source.textContent);
      Plotly.newPlot(element, spec.data, spec.layout, { displayModeBar: false, responsive: true });
      element.dataset.drawn = "true";
    });
  }
  function sortValue(cell, type) {
    var value = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
    if (type === "number") { return value === "" ? Infinity : parseFloat(value); }
    if (type === "band") { return { elite: 0, high: 1, medium: 2, low: 3 }[value] ?? 4; }
    return value.toLowerCase();
  }
  function sortable(table) {
    table.querySelectorAll("th[data-type]").forEach(function (header, column) {
      header.addEventListener("click", function () {
        var ascending = !header.classList.contains("sorted-asc");
        table.querySelectorAll("th").forEach(function (th) { th.classList.remove("sorted-asc", "sorted-desc"); });
        header.classList.add(ascending ? "sorted-asc" : "sorted-desc");
        var body = table.tBodies[table.tBodies.length - 1];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a.cells[column], header.dataset.type);
          var y = sortValue(b.cells[column], header.dataset.type);
          return (x < y ? -1 : x > y ? 1 : 0) * (ascending ? 1 : -1);
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }
  function tidyFilters(form) {
    // Empty fields stay out of the URL, so a shared link names only the filters that were set.
    form.addEventListener("submit", function () {
      form.querySelectorAll("select, input").forEach(function (field) {
        if (!field.value) { field.disabled = true; }
      });
    });
  }
  document.querySelectorAll("table.sortable").forEach(sortable);
  var filters = document.getElementById("filters");
  if (filters) { tidyFilters(filters); }
  drawCharts();
})();
