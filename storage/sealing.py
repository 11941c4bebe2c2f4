"""Encryption at rest (AES-256-GCM) for reference photos and recordings.

The key comes from the environment (AUDIT_KEY, 32 bytes in base64) or from a key file kept
outside the data directory (AUDIT_KEY_FILE; by default ~/.config/video-audit-console/key,
created on first use, readable by its owner only). A sealed blob is
``b"VAC1" + nonce (12 bytes) + ciphertext-and-tag``; the purpose ("photo", "recording") is
authenticated too, so a photo cannot be passed off as a recording. Anything altered fails to
open with SealBroken, whose message says so.
"""

from __future__ import annotations

import base64
import os
from pathlib import Path

from app.errors import ReviewError

MAGIC = b"VAC1"
NONCE_BYTES = 12


class SealBroken(ReviewError):
    """The data was altered, or it was sealed with another key."""


class KeyMissing(ReviewError):
    pass


def default_key_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "video-audit-console" / "key"


def load_or_create_key(key_file: Path | None = None, *, environ: dict[str, str] | None = None) -> bytes:
    return load_key(key_file, environ=environ, create=True)


def load_key(
    key_file: Path | None = None, *, environ: dict[str, str] | None = None, create: bool = False
) -> bytes:
    """The key from AUDIT_KEY, else from the key file; without `create`, KeyMissing when there
    is no key file (reading needs the key things were sealed with, never a new one)."""
    env = os.environ if environ is None else environ
    if env.get("AUDIT_KEY"):
        try:
            key = base64.b64decode(env["AUDIT_KEY"], validate=True)
        except ValueError:
            raise KeyMissing("AUDIT_KEY is not valid base64.") from None
        if len(key) != 32:
            raise KeyMissing("AUDIT_KEY must be 32 bytes (base64 of 32 random bytes).")
        return key
    path = Path(env["AUDIT_KEY_FILE"]) if env.get("AUDIT_KEY_FILE") else (key_file or default_key_file())
    if path.is_file():
        key = base64.b64decode(path.read_text().strip())
        if len(key) != 32:
            raise KeyMissing(f"The key file {path} does not hold a 32-byte key.")
        return key
    if not create:
        raise KeyMissing(f"There is no encryption key: neither AUDIT_KEY nor the key file {path}.")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = os.urandom(32)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
    return key


class Sealer:
    def __init__(self, key: bytes) -> None:
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        if len(key) != 32:
            raise KeyMissing("An AES-256 key is 32 bytes.")
        self._aead = AESGCM(key)

    def seal(self, data: bytes, purpose: str) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return MAGIC + nonce + self._aead.encrypt(nonce, data, purpose.encode())

    def open(self, blob: bytes, purpose: str, *, what: str = "the data") -> bytes:
        from cryptography.exceptions import InvalidTag

        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_BYTES + 16:
            raise SealBroken(f"{what} is not an encrypted file of this console, or it was cut short.")
        nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_BYTES]
        try:
            return self._aead.decrypt(nonce, blob[len(MAGIC) + NONCE_BYTES :], purpose.encode())
        except InvalidTag:
            raise SealBroken(f"{what} has been altered, or was encrypted with another key.") from None

    def seal_file(self, path: Path, data: bytes, purpose: str) -> None:
        temporary = path.with_name(path.name + ".tmp")
        with temporary.open("wb") as handle:
            handle.write(self.seal(data, purpose))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)

    def open_file(self, path: Path, purpose: str) -> bytes:
        return self.open(path.read_bytes(), purpose, what=f"The file {path.name}")


def is_sealed(blob: bytes) -> bool:
    return blob.startswith(MAGIC)
