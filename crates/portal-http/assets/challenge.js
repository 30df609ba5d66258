// The 3-D Secure step: runs the processor's challenge, then posts the
// confirm form whatever came of it. The server asks the processor how the
// charge stands; nothing is marked paid on the browser's word.
(function () {
  "use strict";

  var box = document.querySelector("[data-challenge]");
  var form = document.getElementById("confirm-form");
  if (!box || !form) {
    return;
  }
  var data = box.dataset;
  var status = document.getElementById("challenge-status");
  var done = false;

  function confirmNow() {
    if (done) {
      return;
    }
    done = true;
    if (status) {
      status.textContent = "Checking the payment…";
    }
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
    form.submit();
  }

  if (data.processor === "stripe" && typeof window.Stripe === "function") {
    var stripe = window.Stripe(data.publishableKey);
    stripe.confirmCardPayment(data.clientSecret).then(confirmNow, confirmNow);
  }

  form.addEventListener("submit", function (event) {
    if (done) {
      event.preventDefault();
      return;
    }
    done = true;
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
    }
  });
})();
