// boxoffice consoles: the little script there is (strict CSP: served from here, no inline code).
// Keeps the seat counts of "My rooms" live by re-reading them every few seconds.
(function () {
  "use strict";
  var table = document.querySelector("table[data-live]");
  if (!table || !window.fetch) { return; }
  var url = table.getAttribute("data-live");
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (body) {
        (body.items || []).forEach(function (room) {
          var row = table.querySelector('tr[data-room="' + room.id + '"]');
          if (!row) { return; }
          ["sold", "held", "available"].forEach(function (field) {
            var cell = row.querySelector('[data-field="' + field + '"]');
            if (cell && String(room[field]) !== cell.textContent) { cell.textContent = String(room[field]); }
          });
        });
      })
      .catch(function () { /* the next tick tries again */ });
  }
  window.setInterval(refresh, 3000);
}());
