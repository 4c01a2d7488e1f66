"""Widgets the chat screen is built from."""
