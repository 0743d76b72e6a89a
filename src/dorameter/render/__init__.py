"""Renderings of a Report: JSON documents and terminal tables."""
