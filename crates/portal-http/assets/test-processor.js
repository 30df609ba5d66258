// The in-process test processor's browser script. It maps the card typed
// to the scenario of a well-known test card and answers a token naming
// that scenario (tok_test_<scenario>_exp<MM><YYYY>_<nonce>); the number
// itself never leaves the browser. Any other number answers a token of an
// unknown scenario, which the test processor refuses with a message
// listing the test cards.
(function () {
  "use strict";

  // Written in groups, as printed on a card.
  var CARDS = [
    ["4242 4242 4242 4242", "visa_success"],
    ["4000 0000 0000 0341", "visa_decline"],
    ["4000 0027 6000 3184", "visa_3ds"],
  ];

  function digits(text) {
    return String(text).replace(/\D/g, "");
  }

  function scenario(number) {
    var typed = digits(number);
    for (var i = 0; i < CARDS.length; i++) {
      if (digits(CARDS[i][0]) === typed) {
        return CARDS[i][1];
      }
    }
    return "unknown";
  }

  // Letters only, so a token never holds a long run of digits.
  function nonce() {
    var bytes = new Uint8Array(12);
    window.crypto.getRandomValues(bytes);
    var text = "";
    for (var i = 0; i < bytes.length; i++) {
      text += String.fromCharCode(97 + (bytes[i] >> 4), 97 + (bytes[i] & 15));
    }
    return text;
  }

  // card: { number, month: "MM", year: "YYYY", cvc }.
  function tokenize(card) {
    var expiry =
      /^\d{2}$/.test(card.month) && /^\d{4}$/.test(card.year)
        ? "exp" + card.month + card.year + "_"
        : "";
    var token = "tok_test_" + scenario(card.number) + "_" + expiry + nonce();
    return new Promise(function (resolve) {
      window.setTimeout(function () {
        resolve(token);
      }, 0);
    });
  }

  window.PortalTestProcessor = { tokenize: tokenize };
})();
