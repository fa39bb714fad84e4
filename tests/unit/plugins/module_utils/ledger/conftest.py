"""Fixtures shared by the ledger's unit tests."""

import uuid

import pytest


@pytest.fixture
def s3(moto):
    """An S3 client on the moto server and a new bucket of its own: (client, bucket)."""
    client = moto.client("s3")
    bucket = "ledger-%s" % uuid.uuid4().hex[:12]
    client.create_bucket(Bucket=bucket)
    return client, bucket
