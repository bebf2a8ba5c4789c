"""``tls.checkServerIdentity(hostname, cert)``: Node v20's rules and messages, exactly.

The check reads only two fields of the certificate object: ``subjectaltname`` (the
string ``getPeerCertificate()`` builds) and ``subject.CN``.  In order (``lib/tls.js``):

1. Split ``subjectaltname`` into entries.  Node quotes an entry that holds ``, " \\ '``
   or control characters as one JSON string literal (``"DNS:a\\u002cb"``), so when a
   quote is present the split is JSON-aware; a malformed literal raises
   ``ERR_TLS_CERT_ALTNAME_FORMAT``.  ``DNS:`` and ``IP Address:`` entries are kept;
   IPs are canonicalised the way libuv's ``inet_pton``/``inet_ntop`` do it.
2. One trailing dot is dropped from the hostname.
3. An IP hostname (``net.isIP``) must equal a SAN IP; the CN never counts for IPs.
4. Otherwise DNS SANs, if there are any, are the only candidates; the CN is used only
   when there are none.  Matching is label by label with one ``*`` allowed in the
   leftmost label (not with ``xn--``, not for ``*.tld``).

A mismatch is *returned* (not raised) as ``ERR_TLS_CERT_ALTNAME_INVALID`` with
``reason``, ``host`` and ``cert``; ``tls.connect`` decides whether to raise it.

Strings are compared as Python ``str``; Node compares UTF-16 code units.  The two only
differ for text outside the BMP, which no rule here treats differently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from nodetls.node.jsvalues import truthy
from nodetls.tls.errors import ERR_TLS_CERT_ALTNAME_FORMAT, ERR_TLS_CERT_ALTNAME_INVALID

__all__ = [
    "AltnameFormatError",
    "AltnameInvalidError",
    "canonicalize_ip",
    "check_server_identity",
    "is_ip",
    "split_altnames",
]


AltnameInvalidError = ERR_TLS_CERT_ALTNAME_INVALID
AltnameFormatError = ERR_TLS_CERT_ALTNAME_FORMAT


# -- net.isIP (lib/internal/net.js) ---------------------------------------------------------

_V4_SEG = r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9][0-9]|[0-9])"
_V4_STR = rf"(?:{_V4_SEG}\.){{3}}{_V4_SEG}"
_V6_SEG = r"(?:[0-9a-fA-F]{1,4})"
_IPV4 = re.compile(rf"{_V4_STR}\Z")
_IPV6 = re.compile(
    "(?:"
    rf"(?:{_V6_SEG}:){{7}}(?:{_V6_SEG}|:)|"
    rf"(?:{_V6_SEG}:){{6}}(?:{_V4_STR}|:{_V6_SEG}|:)|"
    rf"(?:{_V6_SEG}:){{5}}(?::{_V4_STR}|(?::{_V6_SEG}){{1,2}}|:)|"
    rf"(?:{_V6_SEG}:){{4}}(?:(?::{_V6_SEG}){{0,1}}:{_V4_STR}|(?::{_V6_SEG}){{1,3}}|:)|"
    rf"(?:{_V6_SEG}:){{3}}(?:(?::{_V6_SEG}){{0,2}}:{_V4_STR}|(?::{_V6_SEG}){{1,4}}|:)|"
    rf"(?:{_V6_SEG}:){{2}}(?:(?::{_V6_SEG}){{0,3}}:{_V4_STR}|(?::{_V6_SEG}){{1,5}}|:)|"
    rf"(?:{_V6_SEG}:){{1}}(?:(?::{_V6_SEG}){{0,4}}:{_V4_STR}|(?::{_V6_SEG}){{1,6}}|:)|"
    rf"(?::(?:(?::{_V6_SEG}){{0,5}}:{_V4_STR}|(?::{_V6_SEG}){{1,7}}|:))"
    r")(?:%[0-9a-zA-Z\-.:]{1,})?\Z"
)


def is_ip(s: str) -> int:
    """``net.isIP``: 4, 6, or 0 (Node's regular expressions, zone ids allowed)."""
    if _IPV4.match(s):
        return 4
    if _IPV6.match(s):
        return 6
    return 0


# -- canonicalizeIP (src/cares_wrap.cc: uv_inet_pton then uv_inet_ntop) ---------------------

def _pton4(s: str) -> bytes | None:
    """Dotted quad, exactly four decimal octets, no leading zeros."""
    parts = s.split(".")
    if len(parts) != 4:
        return None
    out = bytearray()
    for part in parts:
        if not part or not part.isascii() or not part.isdigit():
            return None
        if len(part) > 3 or (len(part) > 1 and part[0] == "0") or int(part) > 255:
            return None
        out.append(int(part))
    return bytes(out)


def _pton6(s: str) -> bytes | None:
    """RFC 4291 text form: up to 8 groups, one ``::``, an optional dotted-quad tail."""
    if "%" in s:  # libuv drops a zone id before parsing
        s = s[: s.index("%")]
        if len(s) > 45:
            return None
    if s.startswith(":") and not s.startswith("::"):
        return None
    head, sep, tail = s.partition("::")
    if sep and "::" in tail:
        return None
    before = _groups(head, allow_v4=not sep)
    after = _groups(tail, allow_v4=True) if sep else bytearray()
    if before is None or after is None:
        return None
    missing = 16 - len(before) - len(after)
    if (sep and missing < 2) or (not sep and missing != 0):
        return None
    return bytes(before) + bytes(missing) + bytes(after)


def _groups(text: str, *, allow_v4: bool) -> bytearray | None:
    """Colon-separated hex groups (1-4 digits), the last one possibly a dotted quad."""
    out = bytearray()
    if not text:
        return out
    fields = text.split(":")
    for i, field in enumerate(fields):
        if allow_v4 and i == len(fields) - 1 and "." in field:
            quad = _pton4(field)
            if quad is None:
                return None
            out += quad
        elif 1 <= len(field) <= 4 and all(c in "0123456789abcdefABCDEF" for c in field):
            out += int(field, 16).to_bytes(2, "big")
        else:
            return None
    return out


def _ntop6(b: bytes) -> str:
    """BIND's inet_ntop6: the first longest run (>= 2) of zero groups becomes ``::``;
    IPv4-compatible and IPv4-mapped addresses end in a dotted quad."""
    words = [int.from_bytes(b[i:i + 2], "big") for i in range(0, 16, 2)]
    best_base, best_len, cur_base, cur_len = -1, 0, -1, 0
    for i, word in enumerate([*words, 1]):  # a sentinel closes a trailing run
        if word == 0 and i < 8:
            cur_base, cur_len = (i, 1) if cur_base == -1 else (cur_base, cur_len + 1)
        elif cur_base != -1:
            if best_base == -1 or cur_len > best_len:
                best_base, best_len = cur_base, cur_len
            cur_base = -1
    if best_len < 2:
        best_base = -1
    out = ""
    for i, word in enumerate(words):
        if best_base != -1 and best_base <= i < best_base + best_len:
            if i == best_base:
                out += ":"
            continue
        if i != 0:
            out += ":"
        if i == 6 and best_base == 0 and (best_len == 6 or (best_len == 7 and words[7] != 1)
                                          or (best_len == 5 and words[5] == 0xFFFF)):
            return out + ".".join(str(x) for x in b[12:])
        out += f"{word:x}"
    if best_base != -1 and best_base + best_len == 8:
        out += ":"
    return out


def canonicalize_ip(ip: str) -> str | None:
    """Node's internal ``canonicalizeIP``: ``'0:0:0:0:0:0:0:1'`` -> ``'::1'``; None if invalid.

    The native side reads a C string, so anything after an embedded NUL is ignored.
    """
    ip = ip.split("\0", 1)[0]
    if (v4 := _pton4(ip)) is not None:
        return ".".join(str(x) for x in v4)
    if (v6 := _pton6(ip)) is not None:
        return _ntop6(v6)
    return None


# -- subjectaltname splitting -------------------------------------------------------------

# Any JSON string literal (ECMA-404), matched at the start of the rest of the string.
_JSON_STRING = re.compile(r'"(?:[^"\\\x00-\x1f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"')


def _split_escaped_altnames(alt_names: str) -> list[str]:
    """Split on ``", "`` outside JSON string literals, decoding the literals."""
    result: list[str] = []
    token = ""
    offset = 0
    while offset != len(alt_names):
        next_sep = alt_names.find(",", offset)
        next_quote = alt_names.find('"', offset)
        if next_quote != -1 and (next_sep == -1 or next_quote < next_sep):
            token += alt_names[offset:next_quote]
            match = _JSON_STRING.match(alt_names, next_quote)
            if match is None:
                raise AltnameFormatError()
            token += json.loads(match.group(0))
            offset = match.end()
        elif next_sep != -1:
            token += alt_names[offset:next_sep]
            result.append(token)
            token = ""
            offset = next_sep + 2
        else:
            token += alt_names[offset:]
            offset = len(alt_names)
    result.append(token)
    return result


# -- hostname matching --------------------------------------------------------------------

_ASCII_UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BAD_PATTERN_CHAR = re.compile(r"[^\x21-\x7f]")


def split_altnames(alt_names: str) -> list[str]:
    """The entries of Node's ``subjectaltname`` text (quoted ones unescaped)."""
    return _split_escaped_altnames(alt_names) if '"' in alt_names else alt_names.split(", ")


def _unfqdn(host: str) -> str:
    return host[:-1] if host.endswith(".") else host


def _split_host(host: str) -> list[str]:
    # Only A-Z are lowered: String#toLowerCase is locale-sensitive, Node avoids it.
    return _unfqdn(host).translate(_ASCII_UPPER).split(".")


def _matches(host_parts: list[str], pattern: object) -> bool:
    """Node's ``check(hostParts, pattern, true)``."""
    if not isinstance(pattern, str) or not pattern:
        return False
    pattern_parts = _split_host(pattern)
    if len(host_parts) != len(pattern_parts) or "" in pattern_parts:
        return False
    # U-labels, blanks and controls are refused rather than guessed at.
    if any(_BAD_PATTERN_CHAR.search(part) for part in pattern_parts):
        return False
    if host_parts[1:] != pattern_parts[1:]:
        return False
    host_label, pattern_label = host_parts[0], pattern_parts[0]
    pieces = pattern_label.split("*")
    # No wildcard, or an A-label (RFC 6125 forbids wildcards in punycode): literal match.
    if len(pieces) == 1 or "xn--" in pattern_label:
        return host_label == pattern_label
    # Only one '*', and never for "*.tld".
    if len(pieces) > 2 or len(pattern_parts) <= 2:
        return False
    prefix, suffix = pieces
    return (len(prefix) + len(suffix) <= len(host_label)
            and host_label.startswith(prefix) and host_label.endswith(suffix))


# -- JavaScript value semantics the messages depend on ------------------------------------

def _js_string(value: object) -> str:
    """``String(value)`` for the values a certificate object holds."""
    if value is None:
        return "undefined"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join("" if v is None else _js_string(v) for v in value)
    return str(value)


def check_server_identity(hostname: str, cert: Mapping[str, Any]) -> AltnameInvalidError | None:
    """``None`` if ``cert`` is valid for ``hostname``, else the error (returned, not raised).

    Raises ``AltnameFormatError`` if ``cert['subjectaltname']`` holds a malformed
    quoted entry.
    """
    subject = cert.get("subject")
    alt_names = cert.get("subjectaltname")
    hostname = _js_string(hostname)
    dns_names: list[str] = []
    ips: list[str | None] = []
    if isinstance(alt_names, str) and alt_names:
        for name in split_altnames(alt_names):
            if name.startswith("DNS:"):
                dns_names.append(name[4:])
            elif name.startswith("IP Address:"):
                ips.append(canonicalize_ip(name[11:]))

    hostname = _unfqdn(hostname)  # the messages show the host without its trailing dot
    cn = subject.get("CN") if isinstance(subject, Mapping) else None
    if is_ip(hostname):
        if canonicalize_ip(hostname) in ips:
            return None
        listed = ", ".join("" if ip is None else ip for ip in ips)
        reason = f"IP: {hostname} is not in the cert's list: {listed}"
    elif dns_names:
        host_parts = _split_host(hostname)
        if any(_matches(host_parts, name) for name in dns_names):
            return None
        reason = f"Host: {hostname}. is not in the cert's altnames: {alt_names}"
    elif truthy(cn):
        host_parts = _split_host(hostname)
        candidates = cn if isinstance(cn, (list, tuple)) else [cn]
        if any(_matches(host_parts, name) for name in candidates):
            return None
        reason = f"Host: {hostname}. is not cert's CN: {_js_string(cn)}"
    else:
        reason = "Cert does not contain a DNS name"
    return AltnameInvalidError(reason, hostname, cert)
