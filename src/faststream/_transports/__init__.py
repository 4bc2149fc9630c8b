"""Transports: the objects that turn a `Request` into a `Response` for the clients."""
