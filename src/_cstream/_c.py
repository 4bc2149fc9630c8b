"""The compiled implementation: the Cython types, under the names `_cstream._names` lists.

Importing this module raises ImportError when the extensions were not built; the selector
(`_cstream/__init__.py`) and the tests rely on that.
"""

from __future__ import annotations

from ._names import load

globals().update(load("_cstream"))
