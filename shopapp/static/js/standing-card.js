// Saving a card for a standing order: mount Stripe's card element, confirm the SetupIntent (3-D Secure
// if the bank asks), then submit the form so that our server records the saved card.
(function () {
  "use strict";
  var form = document.getElementById("card-setup-form");
  if (!form || typeof Stripe === "undefined") { return; }
  var stripe = Stripe(form.dataset.publishableKey);
  var card = stripe.elements().create("card");
  card.mount("#card-element");
  var message = document.getElementById("card-message");
  var button = document.getElementById("card-button");
  var confirmed = false;

  function fail(text) {
    message.textContent = text || "La carte n'a pas pu être enregistrée.";
    message.hidden = false;
    button.disabled = false;
  }

  form.addEventListener("submit", function (event) {
    if (confirmed) { return; }
    event.preventDefault();
    button.disabled = true;
    message.hidden = true;
    stripe.confirmCardSetup(form.dataset.clientSecret, {payment_method: {card: card}}).then(function (result) {
      if (result.error) { return fail(result.error.message); }
      confirmed = true;
      form.submit();
    }).catch(function () { fail(); });
  });
}());
