// LTI in the LMS iframe: platform storage (LTI Client Side postMessages), auto-submitted
// forms and closing the registration window. Pages work without it through their links.
(function () {
  "use strict";

  function storageFrame(target) {
    if (!target || target === "_parent") return window.parent;
    try { return window.parent.frames[target] || window.parent; } catch (e) { return window.parent; }
  }

  function ask(frame, origin, message, timeoutMs) {
    return new Promise(function (resolve, reject) {
      var id = Math.random().toString(36).slice(2);
      message.message_id = id;
      function onMessage(event) {
        if (event.origin !== origin || !event.data || event.data.message_id !== id) return;
        window.removeEventListener("message", onMessage);
        if (event.data.error) reject(event.data.error); else resolve(event.data);
      }
      window.addEventListener("message", onMessage);
      frame.postMessage(message, origin);
      setTimeout(function () { window.removeEventListener("message", onMessage); reject("timeout"); }, timeoutMs || 2000);
    });
  }

  var put = document.querySelector("[data-lti-storage-put]");
  if (put) {
    var d = put.dataset, frame = storageFrame(d.target);
    Promise.all([
      ask(frame, d.origin, { subject: "lti.put_data", key: "state_" + d.state, value: d.state }),
      ask(frame, d.origin, { subject: "lti.put_data", key: "nonce_" + d.nonce, value: d.nonce })
    ]).then(function () { window.location.href = d.next; },
            function () { window.location.href = d.next; });
  }

  var get = document.querySelector("[data-lti-storage-get]");
  if (get) {
    var g = get.dataset;
    ask(storageFrame(g.target), g.origin, { subject: "lti.get_data", key: "state_" + g.state })
      .then(function (answer) {
        if (answer.value !== g.state) throw "mismatch";
        get.elements.lti_storage_state.value = answer.value;
        get.submit();
      })
      .catch(function () { document.getElementById("lti-storage-failed").hidden = false; });
  }

  var auto = document.querySelector("form[data-autosubmit]");
  if (auto) auto.submit();

  if (document.querySelector("[data-lti-close]")) {
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
