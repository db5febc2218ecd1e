"""The 2D-array sidecar: Parquet files on a local disk or on S3-compatible storage."""

from __future__ import annotations

from alpaca_dash.config import Settings
from alpaca_dash.parquet_cache.format import SidecarError, StoredArray
from alpaca_dash.parquet_cache.store import ParquetStore

__all__ = ["ParquetStore", "SidecarError", "StoredArray", "open_store"]


def open_store(settings: Settings) -> ParquetStore:
    """The configured sidecar: ``ALPACA_DASH_PARQUET_S3_URI`` if set, else the local folder."""
    if settings.parquet_s3_uri:
        from alpaca_dash.parquet_cache.object_store import ObjectStoreParquetStore

        return ObjectStoreParquetStore(
            settings.parquet_s3_uri,
            endpoint=settings.parquet_s3_endpoint,
            access_key=settings.parquet_s3_access_key,
            secret_key=settings.parquet_s3_secret_key,
        )
    return ParquetStore(settings.parquet_root)
