// The pay form and the add-method form. The card goes from the browser to
// the processor's own script (Stripe.js, Accept.js, the test processor's),
// which answers a token; only the token is posted here. Card fields carry
// no `name`, so the browser never posts them. Parameters come from the
// form's data- attributes: the page allows no inline script.
(function () {
  "use strict";

  var form = document.querySelector("form[data-pay-form]");
  if (!form) {
    return;
  }
  var data = form.dataset;
  var submit = form.querySelector("button[type=submit]");
  var tokenInput = form.querySelector("input[name=token]");
  var panel = document.getElementById("new-card");
  var errors = document.getElementById("card-errors");
  var radios = form.querySelectorAll("input[name=method]");
  var busy = false;

  function showError(message) {
    if (errors) {
      errors.textContent = message || "";
      errors.hidden = !message;
    }
  }

  // Whether the new card is what is being paid with (or saved).
  function newCardChosen() {
    if (radios.length === 0) {
      return true;
    }
    var chosen = form.querySelector("input[name=method]:checked");
    return chosen !== null && chosen.value === "new";
  }

  function syncPanel() {
    if (panel) {
      panel.hidden = !newCardChosen();
    }
  }

  function field(id) {
    var input = document.getElementById(id);
    return input ? input.value.trim() : "";
  }

  function clearFields(ids) {
    ids.forEach(function (id) {
      var input = document.getElementById(id);
      if (input) {
        input.value = "";
      }
    });
  }

  // The card typed into the portal's own fields (Authorize.Net, test
  // processor): number, two-digit month, four-digit year, security code.
  function typedCard() {
    var number = field("card-number").replace(/[\s-]/g, "");
    var expiry = field("card-expiry").replace(/\s/g, "");
    var match = /^(\d{1,2})\/(\d{2}|\d{4})$/.exec(expiry);
    if (!/^\d{12,19}$/.test(number)) {
      throw new Error("Enter the card number.");
    }
    if (!match || Number(match[1]) < 1 || Number(match[1]) > 12) {
      throw new Error("Enter the expiry date as MM / YY.");
    }
    var cvc = field("card-cvc");
    if (!/^\d{3,4}$/.test(cvc)) {
      throw new Error("Enter the security code (CVC).");
    }
    var month = ("0" + match[1]).slice(-2);
    var year = match[2].length === 2 ? "20" + match[2] : match[2];
    return { number: number, month: month, year: year, cvc: cvc };
  }

  var CARD_FIELDS = ["card-number", "card-expiry", "card-cvc"];

  // One adapter per processor: tokenize() answers a promise of the token.
  function stripeAdapter() {
    if (typeof window.Stripe !== "function") {
      return null;
    }
    var stripe = window.Stripe(data.publishableKey);
    var card = stripe.elements().create("card");
    card.mount("#card-element");
    return {
      tokenize: function () {
        return stripe
          .confirmCardSetup(data.clientSecret, { payment_method: { card: card } })
          .then(function (result) {
            if (result.error) {
              throw new Error(result.error.message || "The card was not accepted.");
            }
            return result.setupIntent.id;
          });
      },
      clear: function () {
        if (typeof card.clear === "function") {
          card.clear();
        }
      },
    };
  }

  // Accept.js may finish loading after this script: it is looked for
  // when the card is submitted.
  function authorizeNetAdapter() {
    return {
      tokenize: function () {
        return new Promise(function (resolve, reject) {
          if (!window.Accept || typeof window.Accept.dispatchData !== "function") {
            throw new Error("The card form could not load. Reload the page to try again.");
          }
          var card = typedCard();
          window.Accept.dispatchData(
            {
              authData: { clientKey: data.clientKey, apiLoginID: data.apiLoginId },
              cardData: {
                cardNumber: card.number,
                month: card.month,
                year: card.year,
                cardCode: card.cvc,
              },
            },
            function (response) {
              var messages = (response && response.messages) || {};
              if (messages.resultCode === "Error" || !response || !response.opaqueData) {
                var text = (messages.message || [])
                  .map(function (m) {
                    return m.text;
                  })
                  .join(" ");
                reject(new Error(text || "The card was not accepted."));
                return;
              }
              resolve(response.opaqueData.dataValue);
            }
          );
        });
      },
      clear: function () {
        clearFields(CARD_FIELDS);
      },
    };
  }

  function testAdapter() {
    return {
      tokenize: function () {
        return new Promise(function (resolve) {
          var processor = window.PortalTestProcessor;
          if (!processor) {
            throw new Error("The card form could not load. Reload the page to try again.");
          }
          resolve(processor.tokenize(typedCard()));
        });
      },
      clear: function () {
        clearFields(CARD_FIELDS);
      },
    };
  }

  var adapters = {
    stripe: stripeAdapter,
    authorize_net: authorizeNetAdapter,
    test: testAdapter,
  };
  var adapter = null;
  if (panel && adapters[data.processor]) {
    try {
      adapter = adapters[data.processor]();
    } catch (error) {
      adapter = null;
    }
  }
  if (panel && !adapter) {
    showError("The card form could not load. Reload the page to try again.");
  }

  Array.prototype.forEach.call(radios, function (radio) {
    radio.addEventListener("change", function () {
      showError("");
      syncPanel();
    });
  });
  syncPanel();

  form.addEventListener("submit", function (event) {
    if (busy) {
      event.preventDefault();
      return;
    }
    if (!newCardChosen()) {
      // A saved method: post as is, once.
      tokenInput.value = "";
      busy = true;
      submit.disabled = true;
      return;
    }
    event.preventDefault();
    if (!adapter) {
      showError("The card form could not load. Reload the page to try again.");
      return;
    }
    busy = true;
    submit.disabled = true;
    showError("");
    new Promise(function (resolve) {
      resolve(adapter.tokenize());
    }).then(
      function (token) {
        tokenInput.value = token;
        try {
          adapter.clear();
        } catch (error) {
          // The token is what matters; a field left filled is not posted.
        }
        form.submit();
      },
      function (error) {
        busy = false;
        submit.disabled = false;
        showError((error && error.message) || "The card could not be checked. Please try again.");
      }
    );
  });

  // Coming back to the page (the back button) shows it as it was left:
  // let the button work again; the server still pays a form only once.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      busy = false;
      submit.disabled = false;
      tokenInput.value = "";
    }
  });
})();
