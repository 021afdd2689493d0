"""Orders: basket, pickup slots, checkout into per-shop parts, fulfilment and the venue's pickup desk."""
