"""Huawei's official Python SDK as referee for hwsnap-emulator.

Starts the emulator binary (``HWSNAP_EMULATOR_BIN``, default
``target/debug/hwsnap-emulator``), reads the base URL from its first stdout
line, and drives IAM, DWS and CSS through the SDK: every call must succeed and
deserialize into the SDK's models, and the same calls signed with a wrong
secret key must be refused with 401. The listing, automatic-snapshot and
restore cases make their fixtures through the emulator's control API, each on
a cluster of its own.

Run: cargo build -p hwsnap-emulator && .venv/bin/python -m pytest tests/sdk -q
"""

import json
import os
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials, GlobalCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcss.v1 import CssClient
from huaweicloudsdkcss.v1 import CreateSnapshotReq as CssCreateSnapshotReq
from huaweicloudsdkcss.v1 import CreateSnapshotRequest as CssCreateSnapshotRequest
from huaweicloudsdkcss.v1 import DeleteSnapshotRequest as CssDeleteSnapshotRequest
from huaweicloudsdkcss.v1 import ListSnapshotBackupsResp
from huaweicloudsdkcss.v1 import ListSnapshotsRequest as CssListSnapshotsRequest
from huaweicloudsdkcss.v1 import RestoreSnapshotReq, RestoreSnapshotRequest
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
from huaweicloudsdkdws.v2.model.cluster_snapshots import ClusterSnapshots
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


# ---- listing, automatic snapshots and restore -------------------------------


def control(base_url, method, path, body=None):
    """Calls the emulator's control API (always declared JSON) and returns its JSON answer."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(
        base_url + "/_emulator/" + path, data=data, method=method, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        text = resp.read().decode()
    return json.loads(text) if text else None


def new_cluster(base_url, service):
    return control(base_url, "POST", "clusters", {"service": service})["id"]


def made(base_url, service, cluster, name, **extra):
    return control(base_url, "POST", "snapshots", {"service": service, "cluster_id": cluster, "name": name, **extra})


def now_ms():
    return int(time.time() * 1000)


def test_dws_cluster_list_pages_by_page_number_and_sorts(base_url):
    cluster = new_cluster(base_url, "dws")
    for name in ["bbbb", "aaaa", "cccc", "eeee", "dddd"]:
        made(base_url, "dws", cluster, name)
    client = dws(base_url)

    def page(**query):
        return client.list_cluster_snapshots(ListClusterSnapshotsRequest(cluster_id=cluster, **query))

    pages = [page(limit=2, offset=n, sort_key="name", sort_dir="asc") for n in range(4)]
    assert [[s.name for s in p.snapshots] for p in pages] == [["aaaa", "bbbb"], ["cccc", "dddd"], ["eeee"], []]
    for p in pages:
        assert p.count == 5
        assert p.cluster_id == cluster
        assert p.project_id == PROJECT_ID
    first = pages[0].snapshots[0]
    assert isinstance(first, ClusterSnapshots)
    assert first.cluster_id == cluster
    assert first.status == "AVAILABLE" and first.type == "MANUAL"
    assert first.started and first.finished and isinstance(first.size, float)
    assert first.datastore.type == "dws"

    newest_first = page()
    assert [s.name for s in newest_first.snapshots] == ["dddd", "eeee", "cccc", "aaaa", "bbbb"]
    assert [s.name for s in page(sort_key="name", sort_dir="desc", limit=3).snapshots] == ["eeee", "dddd", "cccc"]

    for bad in [dict(limit=0), dict(limit=-1), dict(offset=-1), dict(sort_dir="up"), dict(sort_key="bogus")]:
        with pytest.raises(ClientRequestException) as refused:
            page(**bad)
        assert refused.value.status_code == 400, bad
        assert refused.value.error_code == "DWS.0001", bad
    with pytest.raises(ClientRequestException) as missing:
        client.list_cluster_snapshots(ListClusterSnapshotsRequest(cluster_id="00000000-0000-4000-8000-000000000000"))
    assert (missing.value.status_code, missing.value.error_code) == (404, "DWS.0047")


def test_dws_automatic_snapshots_and_the_project_list(base_url):
    cluster = new_cluster(base_url, "dws")
    day = 86_400_000
    started = now_ms() - 3 * day
    made(base_url, "dws", cluster, "auto-old", type="AUTO", started_ms=started)
    made(base_url, "dws", cluster, "auto-mid", type="AUTOMATED", started_ms=started + day)
    made(base_url, "dws", cluster, "manual-new")
    client = dws(base_url)
    ordered = client.list_cluster_snapshots(
        ListClusterSnapshotsRequest(cluster_id=cluster, sort_key="startTime", sort_dir="asc")
    ).snapshots
    assert [(s.name, s.type) for s in ordered] == [("auto-old", "AUTO"), ("auto-mid", "AUTOMATED"), ("manual-new", "MANUAL")]
    assert ordered[0].started == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started // 1000))
    assert ordered[0].bak_keep_day == 7 and ordered[0].bak_expected_start_time

    listed = client.list_snapshots(ListSnapshotsRequest())
    assert listed.count == len(listed.snapshots)
    mine = {s.name: s for s in listed.snapshots if s.cluster_id == cluster}
    assert set(mine) == {"auto-old", "auto-mid", "manual-new"}
    assert mine["auto-old"].type == "AUTO"
    assert mine["manual-new"].type == "MANUAL"
    assert mine["auto-mid"].status == "AVAILABLE"


def css_backups(base_url, cluster):
    return {b.name: b for b in css(base_url).list_snapshots(CssListSnapshotsRequest(cluster_id=cluster)).backups}


def test_css_list_fills_every_sdk_field(base_url):
    cluster = new_cluster(base_url, "css")
    started = now_ms() - 3_600_000
    made(base_url, "css", cluster, "snapshot-auto", type="auto", started_ms=started)
    made(base_url, "css", cluster, "by-hand", indices="logs-*")
    backups = css_backups(base_url, cluster)
    fields = list(ListSnapshotBackupsResp.openapi_types)
    auto, manual = backups["snapshot-auto"], backups["by-hand"]
    assert [f for f in fields if getattr(auto, f) is None] == []
    # Only the policy's frequency is absent from a manual snapshot.
    assert [f for f in fields if getattr(manual, f) is None] == ["backup_frequency"]
    assert (auto.backup_type, auto.backup_method) == ("0", "auto")
    assert (manual.backup_type, manual.backup_method) == ("1", "manual")
    assert auto.start_time == started and auto.end_time == started + 60_000
    assert manual.restore_status == "none"
    assert manual.indices == "logs-*" and manual.status == "COMPLETED"
    assert manual.cluster_id == cluster and manual.datastore.type == "elasticsearch"


def wait_restore(base_url, cluster, name, deadline_s=15):
    deadline = time.time() + deadline_s
    seen = []
    while True:
        status = css_backups(base_url, cluster)[name].restore_status
        if not seen or seen[-1] != status:
            seen.append(status)
        if status in ("success", "failed") or time.time() > deadline:
            return seen
        time.sleep(0.1)


def test_css_restore_through_the_sdk(base_url):
    source, target = new_cluster(base_url, "css"), new_cluster(base_url, "css")
    snapshot = made(base_url, "css", source, "to-restore")
    client = css(base_url)
    body = RestoreSnapshotReq(
        target_cluster=target,
        indices="logs-*",
        rename_pattern="logs-(.+)",
        rename_replacement="restored-$1",
        replace_exist_indices=True,
    )
    # A longer create time, so "restoring" is surely seen on a busy machine.
    control(base_url, "POST", "settings", {"create_seconds": 1.5})
    try:
        client.restore_snapshot(RestoreSnapshotRequest(cluster_id=source, snapshot_id=snapshot["id"], body=body))
        assert wait_restore(base_url, source, "to-restore") == ["restoring", "success"]
    finally:
        control(base_url, "POST", "settings", {"create_seconds": 0.5})

    control(base_url, "POST", f"clusters/{source}/restore_outcomes", {"status": "failed"})
    again = RestoreSnapshotReq(target_cluster=source)
    client.restore_snapshot(RestoreSnapshotRequest(cluster_id=source, snapshot_id=snapshot["id"], body=again))
    assert wait_restore(base_url, source, "to-restore")[-1] == "failed"

    with pytest.raises(ClientRequestException) as refused:
        client.restore_snapshot(
            RestoreSnapshotRequest(
                cluster_id=source,
                snapshot_id=snapshot["id"],
                body=RestoreSnapshotReq(target_cluster="00000000-0000-4000-8000-000000000000"),
            )
        )
    # CSS errors are {"errCode","externalMessage"}; the SDK keeps the body as the message.
    assert refused.value.status_code == 403
    assert "CSS.0015" in refused.value.error_msg
