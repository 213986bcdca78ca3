/* Live SMS character and part counting (MSG-3); the same rules as regulars/messaging/sms.py:
   GSM-7 160/153 septets, extension characters count double, UCS-2 70/67 code units, and an
   escape or surrogate pair is never split between parts. */
(function () {
  "use strict";
  var BASIC = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var EXTENSION = "^{}\\[~]|€\f";

  function parts(sizes, single, multi) {
    var units = sizes.reduce(function (a, b) { return a + b; }, 0);
    if (units <= single) { return [units, units ? 1 : 0]; }
    var count = 1, used = 0;
    sizes.forEach(function (size) {
      if (used + size > multi) { count += 1; used = 0; }
      used += size;
    });
    return [units, Math.max(count, Math.ceil(units / multi))];
  }

  function countSms(text) {
    var chars = Array.from(text);
    var gsm = chars.every(function (ch) { return BASIC.indexOf(ch) >= 0 || EXTENSION.indexOf(ch) >= 0; });
    if (gsm) {
      var septets = chars.map(function (ch) { return EXTENSION.indexOf(ch) >= 0 ? 2 : 1; });
      return ["GSM-7"].concat(parts(septets, 160, 153));
    }
    var units = chars.map(function (ch) { return ch.codePointAt(0) > 0xFFFF ? 2 : 1; });
    return ["UCS-2"].concat(parts(units, 70, 67));
  }

  function bind(area) {
    var out = document.getElementById(area.dataset.smsCount);
    var dispatch = document.getElementById("id_dispatch");
    if (!out) { return; }
    function update() {
      var isSms = !dispatch || dispatch.value === "sms";
      out.hidden = !isSms;
      var c = countSms(area.value);
      out.textContent = out.dataset.label
        .replace("{chars}", c[1]).replace("{parts}", c[2]).replace("{encoding}", c[0]);
      out.classList.toggle("errorlist", c[2] > 10);
    }
    area.addEventListener("input", update);
    if (dispatch) { dispatch.addEventListener("change", update); }
    update();
  }

  window.regularsCountSms = countSms;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("textarea[data-sms-count]").forEach(bind);
  });
})();
