"""Run-time assets shipped with snnlite (see README.md in this folder)."""
