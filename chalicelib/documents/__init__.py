"""Printable documents (PDF) and e-invoice XML, rendered from plain values."""
