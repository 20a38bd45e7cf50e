"""What the deployment files promise (deployment spec §4), read from the files themselves.

No Docker engine, Fly.io or nixpkgs exists here, so these files are linted (`make lint`) and
their promises checked here: the ports, health paths, stop signals and time budgets agree with
the node's own, and the Nix build can fetch every npm dependency from the lock file. The
image's HEALTHCHECK command itself is run against a real node in tests/binary.
"""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

from nara.app import SHUTDOWN_BUDGET_S

ROOT = Path(__file__).resolve().parents[2]


def dockerfile_stage(name: str) -> list[str]:
    """The instructions of one stage of the Dockerfile, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    stage: list[str] | None = None
    found: list[str] = []
    for line in lines:
        if line.upper().startswith("FROM "):
            stage = found if line.split()[-1] == name else None
        elif stage is not None and line and not line.startswith("#"):
            stage.append(line)
    assert found, f"no stage {name} in the Dockerfile"
    return found


def test_docker_image_runs_the_binary_unprivileged_with_health_and_stop_signal() -> None:
    base = dockerfile_stage("base")
    joined = "\n".join(base)
    assert re.search(r"^USER 10001:10001$", joined, re.M), "the image must not run as root"
    assert re.search(r"^EXPOSE 8080$", joined, re.M)
    assert re.search(r"^STOPSIGNAL SIGTERM$", joined, re.M)
    assert re.search(r"^HEALTHCHECK .*CMD .*/livez", joined, re.M)
    assert 'ENTRYPOINT ["/usr/local/bin/nara"]' in joined
    for label in ("title", "version", "revision", "licenses", "description"):
        assert f"org.opencontainers.image.{label}=" in joined
    # The default image holds the binary the freeze stage built and smoke-tested, as `make build`.
    assert any("scripts/build-binary.sh" in line for line in dockerfile_stage("freeze"))
    image = dockerfile_stage("image")
    assert any(line.startswith("COPY --from=freeze") and "/src/bin/nara" in line for line in image)


def test_fly_checks_liveness_and_outwaits_the_shutdown() -> None:
    fly = tomllib.loads((ROOT / "fly.toml").read_text())
    assert fly["kill_signal"] == "SIGTERM"
    assert fly["kill_timeout"] > SHUTDOWN_BUDGET_S
    service = fly["http_service"]
    assert service["internal_port"] == 8080
    assert fly["env"]["HTTP_ADDR"].endswith(":8080")
    assert [check["path"] for check in service["checks"]] == ["/livez"]
    # The broker is configuration, never baked into the file.
    assert "MQTT_HOST" not in fly["env"]


def test_systemd_unit_outwaits_the_shutdown_and_unpacks_in_its_runtime_directory() -> None:
    unit = (ROOT / "packaging" / "nara.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert settings["KillSignal"] == "SIGTERM"
    assert float(settings["TimeoutStopSec"].rstrip("s")) > SHUTDOWN_BUDGET_S
    assert "Environment=TMPDIR=%t/nara" in unit
    assert settings["RuntimeDirectory"] == "nara"


def test_nixos_module_offers_the_instance_options_and_hardening() -> None:
    module = (ROOT / "nara.nix").read_text()
    for option in ("soulFile", "httpAddr", "mqttHost", "environmentFile", "extraArgs"):
        assert re.search(rf"\b{option} = mkOption", module), option
    for setting in (
        "DynamicUser = true",
        'ProtectSystem = "strict"',
        "PrivateTmp = true",
        "NoNewPrivileges = true",
        'UMask = "0077"',
        '"@system-service"',
        "RestrictAddressFamilies",
        "RuntimeDirectory = ",
        "TMPDIR = ",
    ):
        assert setting in module, setting


STATE_DIR = "/var/lib/nara"


def test_every_deployment_keeps_a_state_directory() -> None:
    """Finding 11: the first start time and restart count outlive the process. The image sets
    NARA_STATE_DIR to a VOLUME its user owns; Fly mounts a volume there; the systemd unit and
    the NixOS module let systemd create a StateDirectory= and point NARA_STATE_DIR at it."""
    base = "\n".join(dockerfile_stage("base"))
    assert re.search(rf"^ENV .*\bNARA_STATE_DIR={STATE_DIR}\b", base, re.M)
    assert re.search(rf'^VOLUME \["{STATE_DIR}"\]$', base, re.M)
    assert f"chown 10001:10001 {STATE_DIR}" in base, "the image's user must own the state dir"
    assert base.index("VOLUME") < base.index("USER 10001"), "declared after it is prepared"

    fly = tomllib.loads((ROOT / "fly.toml").read_text())
    mounts = fly["mounts"] if isinstance(fly["mounts"], list) else [fly["mounts"]]
    assert [m["destination"] for m in mounts] == [STATE_DIR]

    unit = (ROOT / "packaging" / "nara.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    assert settings["StateDirectory"] == "nara"
    assert f"Environment=NARA_STATE_DIR={STATE_DIR}" in unit

    module = (ROOT / "nara.nix").read_text()
    assert 'stateDir = "nara-${name}"' in module
    assert "StateDirectory = stateDir" in module
    assert 'NARA_STATE_DIR = "/var/lib/${stateDir}"' in module


def test_npm_lock_names_a_url_and_hash_for_every_package() -> None:
    """flake.nix fetches the dashboard's dependencies with importNpmLock, by each package's
    "resolved" URL and "integrity" hash; a lock written without URLs (npm's
    omit-lockfile-registry-resolved) would break the Nix build."""
    lock = json.loads((ROOT / "nara-web" / "package-lock.json").read_text())
    packages = {path: meta for path, meta in lock["packages"].items() if path}
    assert packages
    for path, meta in packages.items():
        assert meta.get("resolved", "").startswith("https://"), path
        assert meta.get("integrity", "").startswith("sha512-"), path
    assert "importNpmLock" in (ROOT / "flake.nix").read_text()


def test_release_sbom_names_the_bootloader_build() -> None:
    """The release SBOM lists the venv; staticx, built from source outside it, is added by
    scripts/sbom_add_bootloader.py, pinned by the sdist hash the build checks."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "sbom_add_bootloader", ROOT / "scripts" / "sbom_add_bootloader.py"
    )
    assert spec and spec.loader
    sbom = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sbom)
    pin = (ROOT / "requirements" / "staticx-source.txt").read_text()
    component = sbom.staticx_component(pin)
    assert component["purl"].startswith("pkg:pypi/staticx@")
    assert component["hashes"][0]["content"] in pin
    bom = {"components": [{"name": "staticx", "version": "0"}, {"name": "aiohttp"}]}
    added = sbom.add_component(bom, component)
    assert [c["name"] for c in added["components"]] == ["aiohttp", "staticx"]
    assert added["components"][1] is component
    assert "sbom_add_bootloader.py" in (ROOT / ".github/workflows/release.yml").read_text()


def test_download_instructions_name_the_files_a_release_publishes() -> None:
    """The release publishes dist/nara-linux-$ARCH for ARCH amd64 and arm64 (Docker's names,
    which the image build uses too); the docs' download steps must name the same files."""
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    arches = re.findall(r"^\s+arch: (\w+)$", release, re.M)
    assert sorted(set(arches)) == ["amd64", "arm64"]
    assert 'cp bin/nara "dist/nara-linux-$ARCH"' in release
    guide = (ROOT / "docs" / "getting-started.md").read_text()
    for arch in arches:
        assert f"`nara-linux-{arch}`" in guide
    assert "nara-linux-x86_64" not in guide and "nara-linux-aarch64" not in guide
    assert "dist/nara-linux-${TARGETARCH}" in (ROOT / "Dockerfile").read_text()


def test_systemd_and_nix_leave_descriptors_for_the_whole_connection_cap() -> None:
    """HTTP connections finding: under the common 1,024-descriptor limit a flood of half-sent
    requests took /livez down. The unit and the module set LimitNOFILE= so that the default
    connection cap is not cut down by the limit and the reserve stays free."""
    from nara.http.server import FD_RESERVE, MAX_CONNECTIONS_DEFAULT, connection_cap

    unit = (ROOT / "packaging" / "nara.service").read_text()
    settings = dict(
        line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")
    )
    unit_limit = int(settings["LimitNOFILE"])
    module = (ROOT / "nara.nix").read_text()
    match = re.search(r"^\s*LimitNOFILE = (\d+);", module, re.M)
    assert match, "nara.nix serviceConfig sets no LimitNOFILE"
    for limit in (unit_limit, int(match.group(1))):
        assert limit >= MAX_CONNECTIONS_DEFAULT + FD_RESERVE
        assert connection_cap(limit, 0) == MAX_CONNECTIONS_DEFAULT
