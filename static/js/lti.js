// LTI in the LMS iframe: auto-submitted forms and closing the registration window.
// Pages work without it through their buttons.
(function () {
  "use strict";

  var auto = document.querySelector("form[data-autosubmit]");
  if (auto) auto.submit();

  if (document.querySelector("[data-lti-close]")) {
    (window.opener || window.parent).postMessage({ subject: "org.imsglobal.lti.close" }, "*");
  }
})();
