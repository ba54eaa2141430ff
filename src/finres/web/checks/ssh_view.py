"""An SSH run as its page shows it: key exchanges (the hybrid post-quantum ones marked), host
keys with their sizes, ciphers, MACs, and ssh-audit's "not recommended" verdicts with its
reason in the page's language.

ssh-audit words its verdicts in English from a fixed list (its algorithm database, plus a few
sentences with a key size in them); each is a message of this app's catalogue, so a zh-TW page
shows it in Chinese. A reason not in the list (a newer ssh-audit) is shown as ssh-audit wrote it.
"""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext, gettext_noop

# ssh-audit 3.9.0's "fail" notes (ssh2_kexdb.SSH2_KexDB.FAIL_* and its database's own)
REASONS = frozenset(
    {
        gettext_noop("using broken & deprecated 3DES cipher"),
        gettext_noop("using weak & deprecated Blowfish cipher"),
        gettext_noop("using weak & deprecated CAST cipher"),
        gettext_noop("using broken DES cipher"),
        gettext_noop("using deprecated IDEA cipher"),
        gettext_noop(
            "vulnerable to the Logjam attack: "
            "https://en.wikipedia.org/wiki/Logjam_(computer_security)"
        ),
        gettext_noop("using broken MD5 hash algorithm"),
        gettext_noop(
            "using elliptic curves that are suspected as being backdoored by the U.S. "
            "National Security Agency"
        ),
        gettext_noop(
            "CA key uses elliptic curves that are suspected as being backdoored by the U.S. "
            "National Security Agency"
        ),
        gettext_noop("no encryption/integrity"),
        gettext_noop("using broken RC4 cipher"),
        gettext_noop("using deprecated & non-standardized Rijndael cipher"),
        gettext_noop("using deprecated RIPEMD hash algorithm"),
        gettext_noop("using deprecated SEED cipher"),
        gettext_noop("using deprecated Serpent cipher"),
        gettext_noop("using broken SHA-1 hash algorithm"),
        gettext_noop("using small ECC modulus"),
        gettext_noop("using unknown algorithm"),
        gettext_noop("using unproven algorithm"),
        gettext_noop("using untrusted algorithm developed in secret by a government entity"),
        gettext_noop("using experimental algorithm"),
    }
)
# ssh-audit's sentences with a size in them (host keys, group exchange moduli)
SIZED = (
    (
        re.compile(r"^using small (\d+)-bit modulus$"),
        gettext_noop("using small %(bits)s-bit modulus"),
    ),
    (
        re.compile(r"^using small (\d+)-bit hostkey modulus$"),
        gettext_noop("using small %(bits)s-bit host key modulus"),
    ),
    (
        re.compile(r"^using small (\d+)-bit CA key modulus$"),
        gettext_noop("using small %(bits)s-bit CA key modulus"),
    ),
)
KINDS = {
    "kex": gettext_noop("Key exchange"),
    "key": gettext_noop("Host key"),
    "enc": gettext_noop("Cipher"),
    "mac": gettext_noop("MAC"),
}


def reason_text(reason: str) -> str:
    """ssh-audit's reason in the active language (as it wrote it when it is not known here)."""
    for pattern, message in SIZED:
        match = pattern.match(reason)
        if match:
            return gettext(message) % {"bits": match.group(1)}
    return gettext(reason) if reason in REASONS else reason


def ssh_context(result: dict[str, Any]) -> dict[str, Any]:
    """What the run page shows of ``finres check ssh`` JSON; algorithms ssh-audit does not
    recommend are marked where they are listed."""
    flagged: dict[tuple[str, str], list[str]] = {}
    rows = []
    for item in result.get("not_recommended") or []:
        kind, algorithm = str(item.get("kind") or ""), str(item.get("algorithm") or "")
        reason = reason_text(str(item.get("reason") or ""))
        flagged.setdefault((kind, algorithm), []).append(reason)
        kind_label = gettext(KINDS[kind]) if kind in KINDS else kind
        rows.append({"kind": kind_label, "algorithm": algorithm, "reason": reason})

    def mark(kind: str, algorithm: str) -> str:
        return "; ".join(flagged.get((kind, algorithm), []))

    return {
        "banner": result.get("banner"),
        "audited_by": result.get("audited_by"),
        "hybrid": bool(result.get("post_quantum_hybrid")),
        "kex": [
            {
                "algorithm": k.get("algorithm"),
                "post_quantum": bool(k.get("post_quantum")),
                "flag": mark("kex", str(k.get("algorithm"))),
            }
            for k in result.get("kex") or []
        ],
        "host_keys": [
            {
                "algorithm": k.get("algorithm"),
                "key_size": k.get("key_size"),
                "flag": mark("key", str(k.get("algorithm"))),
            }
            for k in result.get("host_keys") or []
        ],
        "ciphers": [
            {"algorithm": c, "flag": mark("enc", str(c))} for c in result.get("ciphers") or []
        ],
        "macs": [{"algorithm": m, "flag": mark("mac", str(m))} for m in result.get("macs") or []],
        "not_recommended": rows,
    }
