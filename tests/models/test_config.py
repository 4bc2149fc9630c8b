"""`Timeout`, `Limits`, `Proxy`, the client defaults and `create_ssl_context`: httpx 0.28.1's
behaviour (compared with httpx), and the TLS defaults of THREATS.md T32."""

from __future__ import annotations

import pathlib
import shutil
import ssl
import subprocess
import typing
import warnings

import httpx
import pytest
import trustme
from httpx import _config as httpx_config

from faststream import _config as config
from faststream._config import Limits, Proxy, Timeout, create_ssl_context
from faststream._exceptions import LocalProtocolError
from faststream._headers import Headers
from faststream._urls import URL

U = config.UNSET


def outcome(call: typing.Callable[[], typing.Any]) -> str:
    try:
        result = call()
        return (
            f"{result!r} {result.as_dict() if isinstance(result, (Timeout, httpx.Timeout)) else ''}"
        )
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"


# --- Timeout -------------------------------------------------------------------------------

# (positional args, keyword args); "UNSET" is left out of the call.
TIMEOUTS: list[tuple[tuple[typing.Any, ...], dict[str, typing.Any]]] = [
    ((5.0,), {}),
    ((5,), {}),
    ((None,), {}),
    ((5.0,), {"connect": 10}),
    ((5.0,), {"connect": 5}),
    ((5,), {"pool": 5.0}),
    ((None,), {"read": 1}),
    ((1.0,), {"read": None}),
    ((1,), {"connect": None, "read": None, "write": None, "pool": None}),
    (((1, 2),), {}),
    (((1, 2, 3),), {}),
    (((1, 2, 3, 4),), {}),
    (((1, 2, 3, 4, 5),), {}),
    (((1, 2),), {"connect": 9}),
    (((None, None),), {}),
    (((1,),), {}),
    (((),), {}),
    ((), {}),
    ((), {"pool": 60.0}),
    ((), {"connect": 1, "read": 2, "write": 3}),
    ((), {"connect": 1, "read": 2, "write": 3, "pool": 4}),
    ((), {"connect": None, "read": None, "write": None, "pool": None}),
    ((), {"timeout": 1, "connect": 1, "read": 1, "write": 1, "pool": 1}),
    ((), {"timeout": 7, "connect": 1, "read": 2, "write": 3, "pool": 4}),
    ((0,), {}),
    ((0.5,), {"write": 0}),
]


@pytest.mark.parametrize(("args", "kwargs"), TIMEOUTS, ids=[repr(t) for t in TIMEOUTS])
def test_timeout_matches_httpx(args: tuple[typing.Any, ...], kwargs: dict[str, typing.Any]) -> None:
    assert outcome(lambda: Timeout(*args, **kwargs)) == outcome(
        lambda: httpx.Timeout(*args, **kwargs)
    )


@pytest.mark.parametrize(("args", "kwargs"), [t for t in TIMEOUTS if t[0] or len(t[1]) == 4])
def test_timeout_copy_matches_httpx(
    args: tuple[typing.Any, ...], kwargs: dict[str, typing.Any]
) -> None:
    def copy(cls: typing.Any) -> typing.Any:
        return cls(cls(*args, **kwargs))

    assert outcome(lambda: copy(Timeout)) == outcome(lambda: copy(httpx.Timeout))


def test_timeout_copy_refuses_keywords() -> None:
    with pytest.raises(AssertionError):
        httpx.Timeout(httpx.Timeout(1), connect=2)
    with pytest.raises(AssertionError, match="cannot be combined"):
        Timeout(Timeout(1), connect=2)


def test_timeout_missing_default_message() -> None:
    with pytest.raises(ValueError) as exc:
        Timeout(pool=60.0)
    assert str(exc.value) == (
        "httpx.Timeout must either include a default, or set all four parameters explicitly."
    )


def test_timeout_equality_and_hash() -> None:
    assert Timeout(5) == Timeout(5.0)
    assert Timeout(5) == Timeout(connect=5, read=5, write=5, pool=5)
    assert Timeout(5) != Timeout(5, pool=6)
    assert Timeout(5) != 5
    assert Timeout(5) != httpx.Timeout(5)
    with pytest.raises(TypeError):
        hash(Timeout(5))


def test_timeout_attributes() -> None:
    t = Timeout(5.0, connect=10.0)
    assert (t.connect, t.read, t.write, t.pool) == (10.0, 5.0, 5.0, 5.0)
    assert t.as_dict() == {"connect": 10.0, "read": 5.0, "write": 5.0, "pool": 5.0}


# --- Limits --------------------------------------------------------------------------------

LIMITS: list[dict[str, typing.Any]] = [
    {},
    {"max_connections": 1},
    {"max_connections": 1, "max_keepalive_connections": 2, "keepalive_expiry": None},
    {"keepalive_expiry": 0},
]


@pytest.mark.parametrize("kwargs", LIMITS, ids=repr)
def test_limits_match_httpx(kwargs: dict[str, typing.Any]) -> None:
    ours, theirs = Limits(**kwargs), httpx.Limits(**kwargs)
    assert repr(ours) == repr(theirs)
    assert vars(ours) == vars(theirs)
    assert ours == Limits(**kwargs)
    assert ours != Limits(max_connections=12345)
    assert ours != theirs
    assert ours != 1


def test_limits_are_keyword_only_and_unhashable() -> None:
    with pytest.raises(TypeError):
        Limits(1)  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        hash(Limits())


def test_defaults_match_httpx() -> None:
    assert repr(config.DEFAULT_TIMEOUT_CONFIG) == repr(httpx_config.DEFAULT_TIMEOUT_CONFIG)
    assert config.DEFAULT_TIMEOUT_CONFIG == Timeout(5.0)
    assert repr(config.DEFAULT_LIMITS) == repr(httpx_config.DEFAULT_LIMITS)
    assert config.DEFAULT_LIMITS == Limits(max_connections=100, max_keepalive_connections=20)
    assert config.DEFAULT_MAX_REDIRECTS == httpx_config.DEFAULT_MAX_REDIRECTS == 20


def test_sentinels_are_distinct_objects() -> None:
    assert isinstance(config.UNSET, config.UnsetType)
    assert isinstance(config.USE_CLIENT_DEFAULT, config.UseClientDefault)
    assert typing.cast(object, config.UNSET) is not config.USE_CLIENT_DEFAULT
    assert config.USE_CLIENT_DEFAULT is not None


# --- Proxy ---------------------------------------------------------------------------------

PROXY_URLS = [
    "http://localhost:8080",
    "https://u:p@proxy.example.com",
    "socks5://a%40b:c%3Ad@h:1080",
    "socks5h://h",
    "HTTP://h",
    "http://u@h",
    "http://:p@h",
    "http://u:p@h/x?y",
    "ftp://h",
    "h:8080",
    "//h",
    "",
    "file:///tmp/x",
]


def proxy_outcome(cls: typing.Any, *args: typing.Any, **kwargs: typing.Any) -> str:
    try:
        p = cls(*args, **kwargs)
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}"
    return repr((repr(p), str(p.url), p.auth, p.raw_auth, p.headers.raw, p.ssl_context))


@pytest.mark.parametrize("url", PROXY_URLS)
def test_proxy_matches_httpx(url: str) -> None:
    assert proxy_outcome(Proxy, url) == proxy_outcome(httpx.Proxy, url)
    assert proxy_outcome(Proxy, URL(url)) == proxy_outcome(httpx.Proxy, httpx.URL(url))


@pytest.mark.parametrize(
    "kwargs",
    [
        {"auth": ("a", "b")},
        {"auth": ("a", "")},
        {"headers": {"X-Custom": "1"}},
        {"headers": [("a", "1"), ("a", "2")]},
        {"ssl_context": ssl.create_default_context()},
    ],
    ids=["auth", "auth-empty-password", "headers", "repeated-headers", "ssl-context"],
)
def test_proxy_arguments_match_httpx(kwargs: dict[str, typing.Any]) -> None:
    assert proxy_outcome(Proxy, "http://h", **kwargs) == proxy_outcome(
        httpx.Proxy, "http://h", **kwargs
    )


def test_credentials_in_the_url_win_over_auth() -> None:
    p = Proxy("http://user:secret@h:3128", auth=("other", "x"))
    assert p.auth == ("user", "secret")
    assert str(p.url) == "http://h:3128"
    assert "secret" not in repr(p)
    assert repr(p) == "Proxy('http://h:3128', auth=('user', '********'))"


def test_proxy_raw_auth_is_utf_8() -> None:
    assert Proxy("http://h", auth=("\xe9", "\u20ac")).raw_auth == (b"\xc3\xa9", b"\xe2\x82\xac")
    assert Proxy("http://h").raw_auth is None


def test_proxy_repr_masks_credential_headers() -> None:
    # Deviation: httpx prints these header values in clear.
    p = Proxy("http://h", headers={"Proxy-Authorization": "Basic c2VjcmV0", "X": "1"})
    assert repr(p) == "Proxy('http://h', headers={'proxy-authorization': '[secure]', 'x': '1'})"
    assert p.headers["proxy-authorization"] == "Basic c2VjcmV0"


def test_proxy_headers_are_headers_and_validated() -> None:
    assert isinstance(Proxy("http://h", headers={"a": "1"}).headers, Headers)
    with pytest.raises(LocalProtocolError):
        Proxy("http://h", headers={"a": "1\r\nInjected: x"})


def test_proxy_unknown_scheme_message() -> None:
    with pytest.raises(ValueError) as exc:
        Proxy("ftp://u:p@h")
    assert str(exc.value) == "Unknown scheme for proxy URL URL('ftp://u:[secure]@h')"


# --- create_ssl_context (THREATS.md T32) ---------------------------------------------------


@pytest.fixture
def no_ssl_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return monkeypatch


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(context)
    return context


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: pathlib.Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


def handshake(client: ssl.SSLContext, server: ssl.SSLContext, hostname: str = "localhost") -> None:
    """A TLS handshake between two contexts through memory buffers (no sockets).
    Raises what the client side raises (e.g. `ssl.SSLCertVerificationError`)."""
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client_side = client.wrap_bio(c_in, c_out, server_hostname=hostname)
    server_side = server.wrap_bio(s_in, s_out, server_side=True)
    done = {"client": False, "server": False}
    for _ in range(20):
        for name, side, out, peer in (
            ("client", client_side, c_out, s_in),
            ("server", server_side, s_out, c_in),
        ):
            if not done[name]:
                try:
                    side.do_handshake()
                    done[name] = True
                except ssl.SSLWantReadError:
                    pass
                except ssl.SSLError:
                    if name == "client":
                        raise
                    done[name] = True  # the server's view of a failed handshake
            data = out.read()
            if data:
                peer.write(data)
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


def describe(context: ssl.SSLContext) -> tuple[typing.Any, ...]:
    return (
        type(context),
        context.protocol,
        context.verify_mode,
        context.check_hostname,
        context.minimum_version,
        context.maximum_version,
        context.options,
        context.verify_flags,
        context.cert_store_stats(),
    )


def test_default_context_verifies_with_certifi_and_tls_1_2(no_ssl_env: pytest.MonkeyPatch) -> None:
    context = create_ssl_context()
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert context.protocol == ssl.PROTOCOL_TLS_CLIENT
    assert context.cert_store_stats()["x509_ca"] > 0
    assert describe(context) == describe(httpx.create_ssl_context())


def test_verify_none_means_the_default(no_ssl_env: pytest.MonkeyPatch) -> None:
    # httpx returns None here, and its transport then verifies against certifi.
    assert describe(create_ssl_context(None)) == describe(create_ssl_context(True))


def test_verify_false_turns_verification_off(no_ssl_env: pytest.MonkeyPatch) -> None:
    context = create_ssl_context(False)
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    assert describe(context) == describe(httpx.create_ssl_context(False))


def test_verify_false_accepts_an_unknown_ca(server_context: ssl.SSLContext) -> None:
    handshake(create_ssl_context(False), server_context, hostname="not-the-name")


def test_default_context_refuses_an_unknown_ca(
    no_ssl_env: pytest.MonkeyPatch, server_context: ssl.SSLContext
) -> None:
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(create_ssl_context(), server_context)


def test_an_ssl_context_is_returned_as_it_is() -> None:
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    assert create_ssl_context(context) is context
    assert context.minimum_version == ssl.TLSVersion.TLSv1_3


def test_other_verify_types_are_refused() -> None:
    # httpx returns such objects unchanged, to fail later in the transport.
    with pytest.raises(TypeError, match="verify must be"):
        create_ssl_context(1)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        create_ssl_context(b"/etc/ssl")  # type: ignore[arg-type]


def test_ssl_cert_file_is_honoured_only_with_trust_env(
    no_ssl_env: pytest.MonkeyPatch, ca_file: str, server_context: ssl.SSLContext
) -> None:
    no_ssl_env.setenv("SSL_CERT_FILE", ca_file)
    no_ssl_env.setenv("SSL_CERT_DIR", "/nonexistent-dir")  # SSL_CERT_FILE wins
    context = create_ssl_context()
    assert context.cert_store_stats()["x509_ca"] == 1
    assert context.check_hostname is True
    handshake(context, server_context)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(context, server_context, hostname="other.example")
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(create_ssl_context(trust_env=False), server_context)
    assert describe(create_ssl_context()) == describe(httpx.create_ssl_context())


def test_missing_ssl_cert_file_raises_like_httpx(no_ssl_env: pytest.MonkeyPatch) -> None:
    no_ssl_env.setenv("SSL_CERT_FILE", "/nonexistent/ca.pem")
    with pytest.raises(FileNotFoundError):
        httpx.create_ssl_context()
    with pytest.raises(FileNotFoundError):
        create_ssl_context()
    assert create_ssl_context(trust_env=False).cert_store_stats()["x509_ca"] > 0


def test_empty_ssl_cert_file_is_ignored(no_ssl_env: pytest.MonkeyPatch) -> None:
    no_ssl_env.setenv("SSL_CERT_FILE", "")
    assert describe(create_ssl_context()) == describe(create_ssl_context(trust_env=False))


@pytest.fixture
def ca_dir(ca: trustme.CA, ca_file: str, tmp_path: pathlib.Path) -> str:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("naming a CA directory entry (<subject hash>.0) needs the openssl CLI")
    subject_hash = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", ca_file],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    directory = tmp_path / "certs"
    directory.mkdir()
    shutil.copy(ca_file, directory / f"{subject_hash}.0")
    return str(directory)


def test_ssl_cert_dir_is_honoured_only_with_trust_env(
    no_ssl_env: pytest.MonkeyPatch, ca_dir: str, server_context: ssl.SSLContext
) -> None:
    no_ssl_env.setenv("SSL_CERT_DIR", ca_dir)
    context = create_ssl_context()
    handshake(context, server_context)
    with pytest.raises(ssl.SSLCertVerificationError):
        handshake(create_ssl_context(trust_env=False), server_context)


@pytest.mark.parametrize("kind", ["file", "dir", "pathlike"])
def test_verify_path_is_deprecated_and_works(
    kind: str, ca_file: str, server_context: ssl.SSLContext, request: pytest.FixtureRequest
) -> None:
    path: typing.Any = {
        "file": ca_file,
        "dir": request.getfixturevalue("ca_dir") if kind == "dir" else None,
        "pathlike": pathlib.Path(ca_file),
    }[kind]
    with pytest.warns(DeprecationWarning) as ours:
        context = create_ssl_context(path)
    if kind != "pathlike":  # httpx does not take path-like objects
        with pytest.warns(DeprecationWarning) as theirs:
            httpx.create_ssl_context(path)
        assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname is True
    assert context.minimum_version == ssl.TLSVersion.TLSv1_2
    handshake(context, server_context)


def test_verify_path_that_does_not_exist(tmp_path: pathlib.Path) -> None:
    with pytest.warns(DeprecationWarning), pytest.raises(FileNotFoundError):
        create_ssl_context(str(tmp_path / "missing.pem"))


@pytest.fixture(scope="module")
def client_cert(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    directory = tmp_path_factory.mktemp("client")
    leaf = ca.issue_cert("client@example.com")
    both, cert, key = directory / "both.pem", directory / "cert.pem", directory / "key.pem"
    leaf.private_key_and_cert_chain_pem.write_to_path(str(both))
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    return str(both), str(cert), str(key)


@pytest.mark.parametrize("form", ["str", "pair", "triple"])
def test_cert_is_deprecated_and_loaded(
    form: str, client_cert: tuple[str, str, str], ca: trustme.CA, no_ssl_env: pytest.MonkeyPatch
) -> None:
    both, cert_file, key_file = client_cert
    cert: typing.Any = {
        "str": both,
        "pair": (cert_file, key_file),
        "triple": (cert_file, key_file, None),
    }[form]
    with pytest.warns(DeprecationWarning) as ours:
        context = create_ssl_context(cert=cert)
    with pytest.warns(DeprecationWarning) as theirs:
        httpx.create_ssl_context(cert=cert)
    assert [str(w.message) for w in ours] == [str(w.message) for w in theirs]

    # The server demands a client certificate signed by the CA: the handshake succeeds
    # only if the chain was loaded.
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server)
    ca.configure_trust(server)
    server.verify_mode = ssl.CERT_REQUIRED
    ca.configure_trust(context)
    handshake(context, server)


def test_cert_is_loaded_into_a_given_context(client_cert: tuple[str, str, str]) -> None:
    context = ssl.create_default_context()
    with pytest.warns(DeprecationWarning):
        assert create_ssl_context(context, cert=client_cert[0]) is context


def test_cert_with_a_verify_path_is_loaded(ca_file: str, tmp_path: pathlib.Path) -> None:
    # httpx silently ignores `cert` when `verify` is a path; faststream loads it, so a
    # missing certificate file is an error rather than an unauthenticated connection.
    with pytest.warns(DeprecationWarning), pytest.raises(FileNotFoundError):
        create_ssl_context(ca_file, cert=str(tmp_path / "missing.pem"))


def test_empty_cert_is_no_cert() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        create_ssl_context(cert="")
        create_ssl_context(cert=None)


def test_weak_protocol_minimum_is_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    # A local OpenSSL configuration may lower the default minimum; contexts created here
    # still refuse anything older than TLS 1.2.
    original = ssl.create_default_context

    def weak_default_context(*args: typing.Any, **kwargs: typing.Any) -> ssl.SSLContext:
        context = original(*args, **kwargs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            context.minimum_version = ssl.TLSVersion.TLSv1
        return context

    monkeypatch.setattr(ssl, "create_default_context", weak_default_context)
    assert create_ssl_context(trust_env=False).minimum_version == ssl.TLSVersion.TLSv1_2
