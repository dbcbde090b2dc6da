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

# How shingles are hashed. Bands are stored under numbers that carry the scheme
# (scheme 1 stored bands 0-7, scheme 2 stores 8-15), so bands of different schemes never
# match; `Archive` recomputes an archive's bands of an older scheme when it opens it.
SHINGLE_SCHEME = 2
BAND_BASE = MINHASH_BANDS * (SHINGLE_SCHEME - 1)

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


def _token_bytes(tokens: list[str]) -> bytes:
    return " ".join(tokens).encode("utf-8")


def content_hash(body: str) -> str:
    return hashlib.blake2b(_token_bytes(text_tokens(body)), digest_size=16).hexdigest()


# Shingle hashes are polynomial hashes of the shingle's bytes ("word word word") modulo
# 2**64, finished with the splitmix64 mixer: computed for all shingles at once from prefix
# sums over the body's bytes, with no Python work per shingle.
_BASE = 0x100000001B3  # odd, so invertible modulo 2**64
_BASE_INVERSE = pow(_BASE, -1, 1 << 64)
_powers = np.ones(1, dtype=np.uint64)
_inverse_powers = np.ones(1, dtype=np.uint64)


def _power_tables(n: int) -> tuple[np.ndarray, np.ndarray]:
    """BASE**j and BASE**-j modulo 2**64 for j < n (grown on demand, kept)."""
    global _powers, _inverse_powers
    if len(_powers) < n:
        size = max(n, 2 * len(_powers), 4096)
        one = np.ones(1, dtype=np.uint64)
        with np.errstate(over="ignore"):
            _powers = np.concatenate((one, np.full(size - 1, _BASE, dtype=np.uint64).cumprod()))
            _inverse_powers = np.concatenate((one, np.full(size - 1, _BASE_INVERSE, dtype=np.uint64).cumprod()))
    return _powers, _inverse_powers


def _mix64(x: np.ndarray) -> np.ndarray:
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _shingle_hashes(data: bytes) -> np.ndarray:
    """Distinct 64-bit hashes of the SHINGLE_WORDS-word shingles of `data`, the body's
    tokens joined by single spaces (as `content_hash` hashes them)."""
    n = len(data)
    if not n:
        return np.empty(0, dtype=np.uint64)
    raw = np.frombuffer(data, dtype=np.uint8)
    spaces = np.flatnonzero(raw == 32)
    count = len(spaces) + 1
    if count < SHINGLE_WORDS:
        return np.empty(0, dtype=np.uint64)
    powers, inverse = _power_tables(n + 1)
    with np.errstate(over="ignore"):
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(raw.astype(np.uint64) * powers[:n], out=prefix[1:])
        starts = np.concatenate((np.zeros(1, dtype=np.intp), spaces + 1))[: count - SHINGLE_WORDS + 1]
        ends = np.concatenate((spaces, np.full(1, n, dtype=np.intp)))[SHINGLE_WORDS - 1 :]
        hashes = (prefix[ends] - prefix[starts]) * inverse[starts]
        hashes ^= (ends - starts).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        return np.unique(_mix64(hashes))


def shingles(body: str) -> np.ndarray:
    """Hashes of the body's word 3-shingles (character 3-shingles for CJK text): distinct,
    sorted (what `similarity` compares)."""
    return _shingle_hashes(_token_bytes(text_tokens(body)))


def _bands(hashes: np.ndarray) -> list[tuple[int, int]]:
    """The MinHash bands of a body's shingle hashes."""
    values = hashes & _MERSENNE
    # (a*x + b) mod p per permutation; uint64 wraps on overflow, which keeps the values
    # pseudo-random, and that is all a MinHash needs.
    with np.errstate(over="ignore"):
        signature = ((values[:, None] * _PERM_A[None, :] + _PERM_B[None, :]) & _MERSENNE).min(axis=0)
    rows = MINHASH_PERMUTATIONS // MINHASH_BANDS
    bands = []
    for band in range(MINHASH_BANDS):
        digest = hashlib.blake2b(signature[band * rows : (band + 1) * rows].tobytes(), digest_size=8).digest()
        bands.append((BAND_BASE + band, int.from_bytes(digest, "big", signed=True)))
    return bands


def minhash_bands(body: str) -> list[tuple[int, int]] | None:
    """The (band, value) buckets of the body's MinHash signature; None when the body is too
    short for near-duplicate detection. Values fit SQLite's signed 64-bit integers."""
    return fingerprint(body)[1]


def fingerprint(body: str) -> tuple[str, list[tuple[int, int]] | None]:
    """`content_hash(body)` and `minhash_bands(body)`, tokenising the body once."""
    return fingerprint_and_shingles(body)[:2]


def fingerprint_and_shingles(body: str) -> tuple[str, list[tuple[int, int]] | None, np.ndarray | None]:
    """`fingerprint(body)` and the `shingles(body)` its bands are made of (None with no
    bands): for a caller that can spare the archive's writer the shingling of the body
    when it has near-duplicate candidates to compare it with."""
    tokens = text_tokens(body)
    data = _token_bytes(tokens)
    chash = hashlib.blake2b(data, digest_size=16).hexdigest()
    if len(tokens) < NEAR_DUPLICATE_MIN_WORDS:
        return chash, None, None
    hashes = _shingle_hashes(data)
    return chash, _bands(hashes), hashes


def similarity(a: np.ndarray, b: np.ndarray) -> float:
    """Share of the smaller shingle set (`shingles`) found in the other: a syndicated copy
    that trims or adds a paragraph still scores high, where Jaccard would be diluted."""
    if not len(a) or not len(b):
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    # Both sorted and distinct: each of the smaller set's hashes looked up in the larger by
    # binary search (np.intersect1d sorted both together again, several times the cost).
    places = np.searchsorted(b, a)
    places[places == len(b)] = 0
    return int(np.count_nonzero(b[places] == a)) / len(a)
