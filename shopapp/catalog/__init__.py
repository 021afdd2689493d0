"""Catalog: shops, categories, products and their stock."""
