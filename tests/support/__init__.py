"""Helpers the tests share: hostile files, an Excel dialect, real programs, mail servers."""
