// The automation rule editor (templates/agent/automation_rule.html): live validation and the event reference.
//
// The rules are checked on the server only: as the admin types, the form is sent to its `data-validate` URL
// (POST /agent/automation/rules/validate), which reads and validates it exactly as a save does and answers
// {"ok": true} or {"errors": [{field, box, message}]}; this script puts each message beside its box. Saving
// still validates on the server, so the page works the same without this script, only less promptly.
(function () {
  "use strict";

  var form = document.getElementById("rule-form");
  if (!form || !form.dataset.validate) {
    return;
  }
  var BOXES = ["name", "enabled", "trigger", "conditions", "actions"];
  var WAIT_MS = 400;
  var status = document.getElementById("rule-problems");
  var trigger = document.getElementById("rule-trigger");
  var chooser = document.getElementById("rule-event");
  var timer = null;
  var asked = 0;

  // --- live validation ---------------------------------------------------------------------------------------

  function describedBy(control, id, on) {
    var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (token) {
      return token && token !== id;
    });
    if (on) {
      ids.push(id);
    }
    if (ids.length) {
      control.setAttribute("aria-describedby", ids.join(" "));
    } else {
      control.removeAttribute("aria-describedby");
    }
  }

  function show(errors) {
    var byBox = {};
    errors.forEach(function (error) {
      (byBox[error.box] = byBox[error.box] || []).push(error.message);
    });
    BOXES.forEach(function (box) {
      var control = document.getElementById("rule-" + box);
      var note = document.getElementById("error-" + box);
      if (!control || !note) {
        return;
      }
      var messages = byBox[box] || [];
      note.textContent = messages.join(" ");
      note.hidden = messages.length === 0;
      if (messages.length) {
        control.setAttribute("aria-invalid", "true");
      } else {
        control.removeAttribute("aria-invalid");
      }
      describedBy(control, note.id, messages.length > 0);
    });
    status.textContent = errors.length === 0 ? "No problems found"
      : errors.length === 1 ? "1 problem" : errors.length + " problems";
  }

  function check() {
    var mine = ++asked;
    fetch(form.dataset.validate, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"},
      body: new URLSearchParams(new FormData(form)).toString()
    }).then(function (answer) {
      var isJson = (answer.headers.get("Content-Type") || "").indexOf("application/json") === 0;
      if (!answer.ok || !isJson) {  // signed out, session expired, form expired: the save will say
        throw new Error("not checked: " + answer.status);
      }
      return answer.json();
    }).then(function (answer) {
      if (mine === asked) {
        show(answer.errors || []);
      }
    }).catch(function () {
      if (mine === asked) {
        status.textContent = "The rule could not be checked just now (reload the page); saving still checks it.";
      }
    });
  }

  function checkSoon() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, WAIT_MS);
  }

  // --- the event reference beside the trigger --------------------------------------------------------------

  function triggerObject() {
    try {
      var parsed = JSON.parse(trigger.value.trim() || "{}");
      return parsed && typeof parsed === "object" && !Array.isArray(parsed) ? parsed : null;
    } catch (ignored) {
      return null;
    }
  }

  function showReference(eventName) {
    var reference = document.getElementById("event-reference");
    var shown = null;
    reference.querySelectorAll("[data-event]").forEach(function (part) {
      part.hidden = part.dataset.event !== eventName;
      if (!part.hidden) {
        shown = part;
      }
    });
    var entities = shown ? shown.dataset.entities.split(" ") : [];
    reference.querySelectorAll("[data-entity]").forEach(function (part) {
      part.hidden = entities.indexOf(part.dataset.entity) < 0;
    });
    document.getElementById("event-reference-none").hidden = shown !== null;
    if (chooser) {
      chooser.value = shown ? eventName : "";
    }
  }

  function typedEvent() {
    var typed = triggerObject();
    return typed && typeof typed.event === "string" ? typed.event : null;
  }

  if (trigger) {
    trigger.addEventListener("input", function () {
      showReference(typedEvent());
    });
  }
  if (chooser && trigger) {
    document.getElementById("event-chooser").hidden = false;
    chooser.addEventListener("change", function () {
      var typed = triggerObject();
      if (chooser.value && typed) {  // a trigger that does not read is left as typed: its error says why
        typed.event = chooser.value;
        trigger.value = JSON.stringify(typed, null, 2);
      }
      showReference(chooser.value);
      checkSoon();
    });
  }

  form.addEventListener("input", checkSoon);
  form.addEventListener("change", checkSoon);
  if (trigger) {
    showReference(typedEvent());
  }
  check();
}());
