// F1 time grid: drag a visit onto a free slot to move it (the same move as "Przenieś": same
// rules, the patient is notified), close the visit panel, keep the now-line where it belongs.
(function () {
  "use strict";
  var dragged = null;

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function move(url, slotId) {
    var form = document.createElement("form");
    form.method = "post";
    form.action = url;
    [["csrfmiddlewaretoken", csrfToken()], ["slot", slotId]].forEach(function (pair) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = pair[0];
      field.value = pair[1];
      form.appendChild(field);
    });
    document.body.appendChild(form);
    form.submit();
  }

  document.addEventListener("dragstart", function (event) {
    var item = event.target.closest && event.target.closest(".tg-item[data-move]");
    if (!item) { return; }
    dragged = item;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", item.dataset.who || "");
  });
  document.addEventListener("dragend", function () {
    dragged = null;
    document.querySelectorAll(".drop-target").forEach(function (el) { el.classList.remove("drop-target"); });
  });
  document.addEventListener("dragover", function (event) {
    var target = dragged && event.target.closest && event.target.closest(".tg-item[data-slot]");
    if (!target) { return; }
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    document.querySelectorAll(".drop-target").forEach(function (el) { if (el !== target) { el.classList.remove("drop-target"); } });
    target.classList.add("drop-target");
  });
  document.addEventListener("drop", function (event) {
    var target = dragged && event.target.closest && event.target.closest(".tg-item[data-slot]");
    if (!target) { return; }
    event.preventDefault();
    var question = "Przenieść wizytę: " + (dragged.dataset.who || "") + " na " + target.dataset.when + "? Pacjent dostanie powiadomienie.";
    if (window.confirm(question)) { move(dragged.dataset.move, target.dataset.slot); }
  });

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest(".panel-close")) {
      var panel = document.getElementById("panel");
      if (panel) { panel.replaceChildren(); }
    }
  });
  document.addEventListener("keydown", function (event) {
    var panel = document.getElementById("panel");
    if (event.key === "Escape" && panel && panel.children.length) { panel.replaceChildren(); }
  });
})();
