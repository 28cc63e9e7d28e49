"""Huawei's official Python SDK as referee for hwsnap-emulator.

Starts the emulator binary (``HWSNAP_EMULATOR_BIN``, default
``target/debug/hwsnap-emulator``), reads the base URL from its first stdout
line, and drives IAM, DWS and CSS through the SDK: every call must succeed and
deserialize into the SDK's models, and the same calls signed with a wrong
secret key must be refused with 401.

Run: cargo build -p hwsnap-emulator && .venv/bin/python -m pytest tests/sdk -q
"""

import os
import subprocess
import time
from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcss.v1 import CssClient
from huaweicloudsdkcss.v1 import CreateSnapshotReq as CssCreateSnapshotReq
from huaweicloudsdkcss.v1 import CreateSnapshotRequest as CssCreateSnapshotRequest
from huaweicloudsdkcss.v1 import DeleteSnapshotRequest as CssDeleteSnapshotRequest
from huaweicloudsdkcss.v1 import ListSnapshotsRequest as CssListSnapshotsRequest
from huaweicloudsdkdws.v2 import (
    CreateSnapshotRequest,
    CreateSnapshotRequestBody,
    DeleteSnapshotRequest,
    DwsClient,
    ListClusterSnapshotsRequest,
    ListSnapshotDetailsRequest,
    ListSnapshotsRequest,
    Snapshot,
)
from huaweicloudsdkiam.v3 import IamClient, KeystoneListProjectsRequest

ROOT = Path(__file__).resolve().parents[2]
AK = "HPUAEXAMPLEAK0000001"
SK = "exampleSecretKey0123456789abcdefghijklmn"
PROJECT_ID = "0123456789abcdef0123456789abcdef"
REGION = "ap-southeast-1"
DOMAIN_ID = "d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0d0"
DWS_CLUSTER = "44b277eb-39be-4921-be31-3d61b43651d7"
CSS_CLUSTER = "ea244205-d641-45d9-9dcb-ab2236bcd07e"


@pytest.fixture(scope="module")
def base_url():
    binary = Path(os.environ.get("HWSNAP_EMULATOR_BIN", ROOT / "target" / "debug" / "hwsnap-emulator"))
    if not binary.exists():
        pytest.fail(f"emulator binary {binary} not found: run `cargo build -p hwsnap-emulator` first")
    proc = subprocess.Popen(
        [str(binary), "--create-seconds", "0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = proc.stdout.readline().strip()
        assert line.startswith("http://"), f"unexpected first stdout line {line!r}"
        yield line
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def http_config():
    config = HttpConfig.get_default_config()
    config.timeout = (5, 10)
    config.retry_times = 0
    return config


def dws(base_url, sk=SK):
    creds = BasicCredentials(AK, sk, PROJECT_ID)
    return DwsClient.new_builder().with_credentials(creds).with_endpoints([base_url]).with_http_config(http_config()).build()


def css(base_url, sk=SK):
    creds = BasicCredentials(AK, sk, PROJECT_ID)
    return CssClient.new_builder().with_credentials(creds).with_endpoints([base_url]).with_http_config(http_config()).build()


def iam(base_url, sk=SK):
    creds = GlobalCredentials(AK, sk, DOMAIN_ID)
    return IamClient.new_builder().with_credentials(creds).with_endpoints([base_url]).with_http_config(http_config()).build()


def test_iam_keystone_list_projects(base_url):
    resp = iam(base_url).keystone_list_projects(KeystoneListProjectsRequest(name=REGION))
    assert len(resp.projects) == 1
    project = resp.projects[0]
    assert project.id == PROJECT_ID
    assert project.name == REGION
    assert project.enabled is True
    assert project.is_domain is False
    assert project.domain_id == DOMAIN_ID
    assert project.links._self.endswith(PROJECT_ID)
    assert resp.links._self
    other = iam(base_url).keystone_list_projects(KeystoneListProjectsRequest(name="cn-north-4"))
    assert other.projects == []


def test_dws_snapshot_lifecycle(base_url):
    client = dws(base_url)
    body = CreateSnapshotRequestBody(
        snapshot=Snapshot(name="sdk-snapshot-1", cluster_id=DWS_CLUSTER, description="made by the SDK")
    )
    created = client.create_snapshot(CreateSnapshotRequest(body=body))
    snapshot_id = created.snapshot.id
    assert snapshot_id

    deadline = time.time() + 15
    while True:
        shown = client.list_snapshot_details(ListSnapshotDetailsRequest(snapshot_id=snapshot_id)).snapshot
        if shown.status == "AVAILABLE" or time.time() > deadline:
            break
        assert shown.status == "CREATING"
        time.sleep(0.2)
    assert shown.status == "AVAILABLE"
    assert shown.id == snapshot_id
    assert shown.name == "sdk-snapshot-1"
    assert shown.description == "made by the SDK"
    assert shown.cluster_id == DWS_CLUSTER
    assert shown.type == "MANUAL"
    assert shown.started and shown.finished
    assert isinstance(shown.size, float)
    assert shown.datastore.type == "dws"

    listed = client.list_snapshots(ListSnapshotsRequest())
    assert listed.count >= 1
    assert snapshot_id in [s.id for s in listed.snapshots]

    per_cluster = client.list_cluster_snapshots(
        ListClusterSnapshotsRequest(cluster_id=DWS_CLUSTER, limit=10, offset=0, sort_key="started", sort_dir="desc")
    )
    assert per_cluster.count >= 1
    assert per_cluster.cluster_id == DWS_CLUSTER
    assert snapshot_id in [s.id for s in per_cluster.snapshots]

    client.delete_snapshot(DeleteSnapshotRequest(snapshot_id=snapshot_id))
    with pytest.raises(ClientRequestException) as gone:
        client.list_snapshot_details(ListSnapshotDetailsRequest(snapshot_id=snapshot_id))
    assert gone.value.status_code == 400
    assert gone.value.error_code == "DWS.5149"


def test_css_snapshot_lifecycle(base_url):
    client = css(base_url)
    body = CssCreateSnapshotReq(name="sdk_snapshot_001", indices="myindex1,myindex2", description="")
    created = client.create_snapshot(CssCreateSnapshotRequest(cluster_id=CSS_CLUSTER, body=body))
    assert created.backup.name == "sdk_snapshot_001"
    snapshot_id = created.backup.id

    deadline = time.time() + 15
    while True:
        backups = client.list_snapshots(CssListSnapshotsRequest(cluster_id=CSS_CLUSTER)).backups
        mine = [b for b in backups if b.id == snapshot_id]
        assert len(mine) == 1
        if mine[0].status == "COMPLETED" or time.time() > deadline:
            break
        assert mine[0].status == "BUILDING"
        time.sleep(0.2)
    backup = mine[0]
    assert backup.status == "COMPLETED"
    assert backup.cluster_id == CSS_CLUSTER
    assert backup.indices == "myindex1,myindex2"
    assert backup.backup_method == "manual"
    assert backup.backup_type == "1"
    assert isinstance(backup.start_time, int) and isinstance(backup.end_time, int)
    assert backup.total_shards > 0 and backup.failed_shards == 0
    assert backup.bucket_name
    assert backup.datastore.type == "elasticsearch"

    client.delete_snapshot(CssDeleteSnapshotRequest(cluster_id=CSS_CLUSTER, snapshot_id=snapshot_id))
    remaining = client.list_snapshots(CssListSnapshotsRequest(cluster_id=CSS_CLUSTER)).backups or []
    assert snapshot_id not in [b.id for b in remaining]


WRONG_CALLS = [
    ("iam", lambda url: iam(url, "wrong").keystone_list_projects(KeystoneListProjectsRequest(name=REGION))),
    ("dws-list", lambda url: dws(url, "wrong").list_snapshots(ListSnapshotsRequest())),
    (
        "dws-create",
        lambda url: dws(url, "wrong").create_snapshot(
            CreateSnapshotRequest(
                body=CreateSnapshotRequestBody(snapshot=Snapshot(name="never-made", cluster_id=DWS_CLUSTER))
            )
        ),
    ),
    ("css-list", lambda url: css(url, "wrong").list_snapshots(CssListSnapshotsRequest(cluster_id=CSS_CLUSTER))),
]


@pytest.mark.parametrize("name,call", WRONG_CALLS, ids=[c[0] for c in WRONG_CALLS])
def test_wrong_secret_key_is_refused(base_url, name, call):
    with pytest.raises(ClientRequestException) as refused:
        call(base_url)
    assert refused.value.status_code == 401
    assert refused.value.error_code.startswith("APIGW.")


def test_wrong_secret_made_nothing(base_url):
    # Runs after the refusals (pytest keeps file order); four failures do not lock the AK.
    listed = dws(base_url).list_snapshots(ListSnapshotsRequest())
    assert "never-made" not in [s.name for s in listed.snapshots]
