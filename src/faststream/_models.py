"""The request and response models: `Request` (`_request.py`) and `Response` (`_response.py`)."""

from __future__ import annotations

from ._request import Request
from ._response import Response

__all__ = ["Request", "Response"]
