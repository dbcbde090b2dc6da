"""Keys that decide when two pages are the same article.

Three levels, cheapest first:
- url_key: the URL reduced to what identifies the page (scheme, `www.`, tracking
  parameters, fragments and parameter order do not);
- content_hash: the body text reduced to its words, so whitespace, case and punctuation
  edits do not make a new article;
- near-duplicates: MinHash bands of the body's word shingles find candidates in a few
  indexed lookups, whatever the archive's size; a candidate counts when most of the shorter
  text's shingles are in the other (a syndicated copy with a changed headline, an added
  credit line or a trimmed paragraph).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

# Query parameters that say how a reader arrived, never which page it is.
TRACKING_PARAMS = frozenset(
    {
        "fbclid", "gclid", "dclid", "msclkid", "yclid", "igshid", "mc_cid", "mc_eid",
        "ref", "ref_src", "referrer", "share", "shareid", "spm", "from", "source_from",
        "cmpid", "ocid", "ito", "_ga", "s_cid", "rss", "feed", "wt_mc", "wt.mc_id",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmsr", "hmpl", "hmcu", "hmkw", "hmci")

# MinHash: 32 hash functions in 8 bands of 4 rows. Two bodies whose shingle sets have a
# Jaccard similarity of 0.8 share at least one band with probability 0.985, at 0.5 with 0.4;
# band hits are then verified on the real shingles, so a false candidate costs one check.
MINHASH_PERMUTATIONS = 32
MINHASH_BANDS = 8
NEAR_DUPLICATE_MIN_SIMILARITY = 0.8
# Shorter bodies carry too few shingles for a match to mean "same article".
NEAR_DUPLICATE_MIN_WORDS = 40
SHINGLE_WORDS = 3

_MERSENNE = np.uint64((1 << 61) - 1)
_rng = np.random.default_rng(20141019)  # fixed: signatures must be stable across runs
_PERM_A = _rng.integers(1, (1 << 61) - 1, size=MINHASH_PERMUTATIONS, dtype=np.uint64)
_PERM_B = _rng.integers(0, (1 << 61) - 1, size=MINHASH_PERMUTATIONS, dtype=np.uint64)

_WORD = re.compile(r"\w+", re.UNICODE)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def url_key(url: str) -> str:
    """The identity of a page's URL: `http://www.ecns.cn/a?utm_source=x#top` and
    `https://ecns.cn/a` share one key."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    port = parts.port
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path or "/"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    query.sort()
    return urlunsplit(("", netloc, path, urlencode(query), ""))[2:]  # drop the leading '//'


def text_tokens(text: str) -> list[str]:
    """Words of the text; CJK text (no spaces between words) is taken character by
    character, as the scorer and the trigram index do."""
    lowered = (text or "").casefold()
    if _CJK.search(lowered):
        tokens: list[str] = []
        for word in _WORD.findall(lowered):
            if _CJK.search(word):
                tokens.extend(ch for ch in word)
            else:
                tokens.append(word)
        return tokens
    return _WORD.findall(lowered)


def content_hash(body: str) -> str:
    return hashlib.blake2b(" ".join(text_tokens(body)).encode("utf-8"), digest_size=16).hexdigest()


def _hash64(shingle: str) -> int:
    return int.from_bytes(hashlib.blake2b(shingle.encode("utf-8"), digest_size=8).digest(), "big")


def shingles(body: str) -> set[int]:
    """Hashes of the body's word 3-shingles (character 3-shingles for CJK text)."""
    tokens = text_tokens(body)
    n = SHINGLE_WORDS
    return {_hash64(" ".join(tokens[i : i + n])) for i in range(len(tokens) - n + 1)}


def minhash_bands(body: str) -> list[tuple[int, int]] | None:
    """The (band, value) buckets of the body's MinHash signature; None when the body is too
    short for near-duplicate detection. Values fit SQLite's signed 64-bit integers."""
    if len(text_tokens(body)) < NEAR_DUPLICATE_MIN_WORDS:
        return None
    values = np.fromiter(shingles(body), dtype=np.uint64) & _MERSENNE
    # (a*x + b) mod p per permutation; uint64 wraps on overflow, which keeps the values
    # pseudo-random, and that is all a MinHash needs.
    with np.errstate(over="ignore"):
        signature = ((values[:, None] * _PERM_A[None, :] + _PERM_B[None, :]) & _MERSENNE).min(axis=0)
    rows = MINHASH_PERMUTATIONS // MINHASH_BANDS
    bands = []
    for band in range(MINHASH_BANDS):
        digest = hashlib.blake2b(signature[band * rows : (band + 1) * rows].tobytes(), digest_size=8).digest()
        bands.append((band, int.from_bytes(digest, "big", signed=True)))
    return bands


def similarity(a: set[int], b: set[int]) -> float:
    """Share of the smaller shingle set found in the other: a syndicated copy that trims or
    adds a paragraph still scores high, where Jaccard would be diluted."""
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))
