"""The pure-Python twins of the compiled types, with the same names and behaviour.

This namespace holds every name `_cstream._names` lists, taken from the twin modules here;
brotli and zstd wrap optional packages and are shared with the compiled side (`_codecs`).
"""

from __future__ import annotations

from .._names import load

globals().update(load("_cstream._pure"))
