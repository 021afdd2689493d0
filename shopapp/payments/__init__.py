"""Payments: Stripe card payments, the webhook, commission, the ledger, payouts and refunds."""
