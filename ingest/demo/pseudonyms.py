"""Pseudonyms of the demo world: one keyed hash per city, 32 hex characters.

The real statistics unit uses a keyed cryptographic hash; the demo needs the same properties
(same person -> same pseudonym in every source of a city, never equal across cities, no
collisions inside a city) at the speed of 100 million rows. So it uses a keyed, bijective
64-bit mixer (splitmix64 finaliser, applied twice with secret keys) per half of the 128 bits:
vectorised in numpy. The keys come from the seed and the city slug; nothing of them is
written anywhere.
"""

from __future__ import annotations

import hashlib

import numpy as np

_HEX = np.frombuffer(b"0123456789abcdef", dtype="S1")
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a bijection on uint64."""
    x = x ^ (x >> np.uint64(30))
    x = x * _M1
    x = x ^ (x >> np.uint64(27))
    x = x * _M2
    return x ^ (x >> np.uint64(31))


def city_keys(seed: int, city: str, kind: str) -> tuple[np.uint64, ...]:
    digest = hashlib.blake2b(f"demo-world:{seed}:{city}:{kind}".encode(), digest_size=32).digest()
    return tuple(np.uint64(int.from_bytes(digest[i : i + 8], "little")) for i in range(0, 32, 8))


def pseudonymise(ids: np.ndarray, keys: tuple[np.uint64, ...]) -> np.ndarray:
    """32-hex-character pseudonyms (numpy bytes array 'S32') of non-negative integer ids."""
    x = np.asarray(ids).astype(np.uint64)
    k1, k2, k3, k4 = keys
    with np.errstate(over="ignore"):
        hi = _mix(_mix(x ^ k1) + k2)  # bijective in x: no collisions inside a city
        lo = _mix(_mix(x ^ k3) + k4)
    words = np.empty((x.size, 2), dtype=">u8")
    words[:, 0] = hi
    words[:, 1] = lo
    raw = words.view(np.uint8).reshape(-1, 16)
    out = np.empty((x.size, 32), dtype="S1")
    out[:, 0::2] = _HEX[raw >> 4]
    out[:, 1::2] = _HEX[raw & 15]
    return out.view("S32").ravel()
