// Card payment page: mount Stripe's card element and confirm the PaymentIntent.
// The order is confirmed by our server only when Stripe's signed webhook arrives; this page then
// sends the customer to the return page, which shows progress.
(function () {
  "use strict";
  var form = document.getElementById("payment-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(form.dataset.publishableKey);
  var elements = stripe.elements();
  var card = elements.create("card");
  card.mount("#card-element");
  var message = document.getElementById("payment-message");
  var button = document.getElementById("pay-button");

  function fail(text) {
    message.textContent = text || "Le paiement n'a pas abouti.";
    message.hidden = false;
    button.disabled = false;
  }

  function done() { window.location.assign(form.dataset.returnUrl); }

  // localstripe (tests, demo): its Stripe.js stand-in can only make a card token and pass 3-D Secure,
  // so our server confirms the intent with that card, then the stand-in handles 3-D Secure.
  async function payOnLocalstripe() {
    var made = await stripe.createToken(card);
    if (made.error) { return fail(made.error.message); }
    var body = new URLSearchParams({token: made.token.card.id, csrf_token: form.dataset.csrfToken});
    var response = await fetch(form.dataset.testCardUrl, {method: "POST", body: body,
      headers: {"X-CSRFToken": form.dataset.csrfToken}, credentials: "same-origin"});
    var result = await response.json();
    if (result.error) { return fail(result.error.message); }
    if (result.status === "requires_action") {
      var auth = await stripe.confirmCardPayment(form.dataset.clientSecret);
      if (auth.error) { return fail(auth.error.message); }
    }
    done();
  }

  async function payOnStripe() {
    var result = await stripe.confirmCardPayment(form.dataset.clientSecret, {payment_method: {card: card}});
    if (result.error) { return fail(result.error.message); }
    done();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    message.hidden = true;
    (form.dataset.testCardUrl ? payOnLocalstripe() : payOnStripe()).catch(function () { fail(); });
  });
}());
