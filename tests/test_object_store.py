"""The sidecar on S3-compatible storage, against moto's S3 server on loopback."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from polling import wait_for
from pyarrow import fs

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache import open_store
from alpaca_dash.parquet_cache.object_store import ObjectStoreParquetStore
from alpaca_dash.parquet_cache.store import ParquetStore, SidecarError
from alpaca_dash.pipeline.ingest import ingest_run
from alpaca_dash.queries.access import DataAccess
from alpaca_dash.queries.observables import get_observables
from alpaca_dash.queries.values import load_value, referenced_files
from alpaca_dash.sources.simulated import CCD, SimulatedSource
from alpaca_dash.timescale.database import Database


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    port = free_port()
    moto = Path(sys.executable).with_name("moto_server")
    server = subprocess.Popen(
        [str(moto), "-H", "127.0.0.1", "-p", str(port)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )

    def listening() -> bool:
        if server.poll() is not None:
            raise RuntimeError(f"moto's S3 server exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
        except OSError:
            return False
        return True

    try:
        wait_for(listening, "moto's S3 server listening")
    except BaseException:
        server.kill()
        raise
    yield f"http://127.0.0.1:{port}"
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture
def s3_store(
    s3_endpoint: str, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> ObjectStoreParquetStore:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    bucket = f"alpaca-{abs(hash(request.node.name)) % 10**8}"
    store = open_store(Settings(parquet_s3_uri=f"s3://{bucket}/sidecar", parquet_s3_endpoint=s3_endpoint))
    assert isinstance(store, ObjectStoreParquetStore)
    admin = fs.S3FileSystem(
        endpoint_override=s3_endpoint.removeprefix("http://"), scheme="http", allow_bucket_creation=True
    )
    admin.create_dir(bucket)
    return store


def test_arrays_round_trip_through_s3(s3_store: ObjectStoreParquetStore) -> None:
    image = np.arange(20, dtype=np.uint16).reshape(4, 5)
    refs = s3_store.write_run(390001, {3: image, 4: image.astype(np.float32)})
    assert np.array_equal(s3_store.read(refs[3]), image)
    assert s3_store.read(refs[4]).dtype == np.float32
    assert s3_store.list_files() == [refs[3].file]


def test_a_corrupted_object_fails_its_checksum(s3_store: ObjectStoreParquetStore) -> None:
    ref = s3_store.write_run(7, {1: np.ones((32, 32))})[1]
    key = s3_store.key(ref.file)
    with s3_store.fs.open_input_stream(key) as stream:
        data = bytearray(stream.read())
    data[len(data) // 2] ^= 0xFF
    with s3_store.fs.open_output_stream(key) as stream:
        stream.write(bytes(data))
    with pytest.raises(SidecarError, match="checksum mismatch"):
        s3_store.read(ref)


def test_keys_are_built_from_ids_only(s3_store: ObjectStoreParquetStore) -> None:
    with pytest.raises(SidecarError):
        s3_store.key("../other-bucket/x.parquet")


def test_ingest_and_reconcile_with_the_sidecar_on_s3(
    db: Database, s3_store: ObjectStoreParquetStore, simulated: SimulatedSource
) -> None:
    ingest_run(db, s3_store, simulated, 390001)
    ingest_run(db, s3_store, simulated, 390001)  # the replaced run's object is deleted after the commit
    access = DataAccess(db, s3_store, None)  # type: ignore[arg-type]
    (image,) = get_observables(access, [CCD])
    stored = load_value(access, image, 390001)
    assert stored is not None and np.array_equal(stored, simulated.read_run(390001).values[CCD])
    assert len(s3_store.list_files()) == 1
    orphan = s3_store.write_run(390009, {image.id: np.zeros((2, 2))})[image.id].file
    assert s3_store.reconcile(referenced_files(access), min_age_seconds=0) == [orphan]
    assert isinstance(s3_store.fs, fs.S3FileSystem)


def test_a_local_sidecar_mirrored_to_s3_serves_every_run(
    db: Database, store: ParquetStore, s3_store: ObjectStoreParquetStore
) -> None:
    """docs/deployment.md's step: mirror the sidecar folder under the S3 prefix, then point the app at it."""
    source = SimulatedSource(first_run=390000, history=3, image_size=64)
    for run in (390000, 390001, 390002):
        assert ingest_run(db, store, source, run).ok
    selector = fs.FileSelector(str(store.root), recursive=True)
    local = fs.LocalFileSystem()
    for info in local.get_file_info(selector):
        if info.type == fs.FileType.File:
            relative = Path(info.path).relative_to(store.root).as_posix()
            fs.copy_files(
                info.path, s3_store.key(relative), source_filesystem=local, destination_filesystem=s3_store.fs
            )
    on_s3 = DataAccess(db, s3_store, None)  # type: ignore[arg-type]
    (image,) = get_observables(on_s3, [CCD])
    for run in (390000, 390001, 390002):
        value = load_value(on_s3, image, run)
        assert value is not None and np.array_equal(value, source.read_run(run).values[CCD])
    assert sorted(s3_store.list_files()) == sorted(referenced_files(on_s3))
