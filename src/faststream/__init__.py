"""faststream: an HTTP client with httpx's API and a compiled streaming core."""
