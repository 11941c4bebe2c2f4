"""Encryption at rest: photos and recordings open only unaltered and with the right key."""

from __future__ import annotations

import base64
import os
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.applications import ApplicationBook
from storage.sealing import KeyMissing, SealBroken, Sealer, load_or_create_key
from tests.conftest import sample_form


def test_round_trip_and_tampering(tmp_path: Path) -> None:
    sealer = Sealer(os.urandom(32))
    blob = sealer.seal(b"segment bytes", "recording")
    assert b"segment bytes" not in blob
    assert sealer.open(blob, "recording") == b"segment bytes"
    altered = bytearray(blob)
    altered[-5] ^= 1
    with pytest.raises(SealBroken, match="has been altered"):
        sealer.open(bytes(altered), "recording")
    with pytest.raises(SealBroken, match="has been altered"):
        sealer.open(blob, "reference-photo")  # a recording cannot pass as a photo
    with pytest.raises(SealBroken, match="has been altered"):
        Sealer(os.urandom(32)).open(blob, "recording")
    with pytest.raises(SealBroken, match="not an encrypted file"):
        sealer.open(b"plain", "recording")
    path = tmp_path / "leg1.ts.sealed"
    sealer.seal_file(path, b"data", "recording")
    assert sealer.open_file(path, "recording") == b"data"
    path.write_bytes(path.read_bytes()[:-1])
    with pytest.raises(SealBroken, match=r"The file leg1\.ts\.sealed"):
        sealer.open_file(path, "recording")


def test_key_from_environment_or_file(tmp_path: Path) -> None:
    key = os.urandom(32)
    assert load_or_create_key(environ={"AUDIT_KEY": base64.b64encode(key).decode()}) == key
    with pytest.raises(KeyMissing, match="32 bytes"):
        load_or_create_key(environ={"AUDIT_KEY": base64.b64encode(b"short").decode()})
    key_file = tmp_path / "conf" / "key"
    created = load_or_create_key(environ={"AUDIT_KEY_FILE": str(key_file)})
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_or_create_key(environ={"AUDIT_KEY_FILE": str(key_file)}) == created


def test_reference_photo_stored_encrypted(database) -> None:  # type: ignore[no-untyped-def]
    sealer = Sealer(os.urandom(32))
    book = ApplicationBook(database, sealer)
    registered = book.register(
        sample_form(applied_at=datetime.now(UTC)), photo=b"\xff\xd8JPEG", photo_format="JPEG", encoding=None
    )
    with database.session() as session:
        stored = session.execute(text("select reference_photo from applications")).scalar_one()
    assert b"JPEG" not in bytes(stored)
    assert book.reference_photo(registered.id) == b"\xff\xd8JPEG"
    with pytest.raises(SealBroken, match="no key"):
        ApplicationBook(database).reference_photo(registered.id)
    altered = bytearray(stored)
    altered[-1] ^= 1
    with database.engine.begin() as connection:
        connection.execute(text("update applications set reference_photo = :p"), {"p": bytes(altered)})
    with pytest.raises(SealBroken, match="The reference photo has been altered"):
        book.reference_photo(registered.id)
