/*
 * A stand-in for Authorize.Net's Accept.js, served by the local fake
 * gateway. Card data goes nowhere: dispatchData answers a nonce naming only
 * the test scenario the card stands for, and a random suffix.
 *
 * Test cards are recognised by their first six digits, last four digits and
 * length, so no card number is written here.
 */
(function () {
  "use strict";

  var LOGIN_ID = "__API_LOGIN_ID__";
  var CLIENT_KEY = "__CLIENT_KEY__";
  var DESCRIPTOR = "COMMON.ACCEPT.INAPP.PAYMENT";

  var CARDS = [
    { first6: "424242", last4: "4242", length: 16, scenario: "approve" },
    { first6: "400000", last4: "0341", length: 16, scenario: "decline" },
    { first6: "400002", last4: "3184", length: 16, scenario: "authreq" }
  ];
  // The test bank account: this routing number, an account of nine
  // digits ending in 6789.
  var BANK = { routing: "121042882", length: 9, last4: "6789" };

  function failure(code, text) {
    return { messages: { resultCode: "Error", message: [{ code: code, text: text }] } };
  }

  function success(scenario) {
    var bytes = new Uint8Array(16);
    if (window.crypto && window.crypto.getRandomValues) {
      window.crypto.getRandomValues(bytes);
    } else {
      for (var i = 0; i < bytes.length; i++) {
        bytes[i] = Math.floor(Math.random() * 256);
      }
    }
    var suffix = "";
    for (var j = 0; j < bytes.length; j++) {
      suffix += (bytes[j] < 16 ? "0" : "") + bytes[j].toString(16);
    }
    return {
      opaqueData: { dataDescriptor: DESCRIPTOR, dataValue: "fake-" + scenario + "-" + suffix },
      messages: { resultCode: "Ok", message: [{ code: "I_WC_01", text: "Successful." }] }
    };
  }

  function digits(value) {
    return String(value == null ? "" : value).replace(/[\s-]/g, "");
  }

  function card(data) {
    var number = digits(data.cardNumber);
    if (!/^[0-9]{13,19}$/.test(number)) {
      return failure("E_WC_05", "Please provide valid credit card number.");
    }
    var month = parseInt(data.month, 10);
    if (!(month >= 1 && month <= 12)) {
      return failure("E_WC_06", "Please provide valid expiration month.");
    }
    var year = parseInt(data.year, 10);
    if (year < 100) {
      year += 2000;
    }
    if (!(year >= 2000 && year <= 2099)) {
      return failure("E_WC_07", "Please provide valid expiration year.");
    }
    var now = new Date();
    if (year < now.getFullYear() || (year === now.getFullYear() && month < now.getMonth() + 1)) {
      return failure("E_WC_08", "Expiration date must be in the future.");
    }
    for (var i = 0; i < CARDS.length; i++) {
      var test = CARDS[i];
      if (number.length === test.length && number.slice(0, 6) === test.first6 &&
          number.slice(-4) === test.last4) {
        return success(test.scenario);
      }
    }
    return failure("E_WC_05", "Please provide valid credit card number.");
  }

  function bank(data) {
    var routing = digits(data.routingNumber);
    var account = digits(data.accountNumber);
    if (routing === BANK.routing && account.length === BANK.length &&
        account.slice(-4) === BANK.last4) {
      return success("echeck");
    }
    // The fake's own wording: only its test account is accepted.
    return failure("E_WC_19", "Please provide the test bank account.");
  }

  function tokenize(secureData) {
    var auth = (secureData && secureData.authData) || {};
    if (!auth.apiLoginID) {
      return failure("E_WC_10", "Please provide valid apiloginid.");
    }
    if (!auth.clientKey) {
      return failure("E_WC_18", "Client Key is required.");
    }
    if (auth.apiLoginID !== LOGIN_ID || auth.clientKey !== CLIENT_KEY) {
      return failure("E_WC_21", "User authentication failed due to invalid authentication values.");
    }
    if (secureData.cardData) {
      return card(secureData.cardData);
    }
    if (secureData.bankData) {
      return bank(secureData.bankData);
    }
    return failure("E_WC_23", "Please provide either card information or bank information.");
  }

  window.Accept = {
    dispatchData: function (secureData, handler) {
      var response = tokenize(secureData);
      setTimeout(function () {
        var callback = typeof handler === "function" ? handler : window[handler];
        if (typeof callback === "function") {
          callback(response);
        }
      }, 0);
    }
  };
})();
