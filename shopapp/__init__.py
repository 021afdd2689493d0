"""Adopte mon commerçant: a click-and-collect marketplace for the independent shops of a town centre.

The application is built by `shopapp.app.create_app`; see the README for the floors of the house.
"""
