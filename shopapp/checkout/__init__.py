"""Checkout orchestration: places the order (orders) and opens its payment (payments), one entry point."""
