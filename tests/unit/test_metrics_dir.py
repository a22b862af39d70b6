"""The web workers' metrics directory: one per server address, empty at each start."""

from __future__ import annotations

from hotline.metrics_dir import prepare


def test_each_server_address_gets_a_directory_under_the_data_directory(tmp_path):
    env = {"HOTLINE_DATA_DIR": str(tmp_path / "var")}
    other_env = dict(env)

    directory = prepare(env, "0.0.0.0:5000")
    other = prepare(other_env, "127.0.0.1:5001")

    assert directory == tmp_path / "var" / "metrics" / "web-0.0.0.0-5000"
    assert other == tmp_path / "var" / "metrics" / "web-127.0.0.1-5001"
    assert directory.is_dir() and other.is_dir()
    assert (directory.stat().st_mode & 0o777) == 0o700
    # Named for the workers, which inherit the environment.
    assert env["PROMETHEUS_MULTIPROC_DIR"] == str(directory.resolve())


def test_a_new_run_starts_from_an_empty_directory(tmp_path):
    env = {"HOTLINE_DATA_DIR": str(tmp_path)}
    directory = prepare(env, "0.0.0.0:5000")
    (directory / "counter_4242.db").write_bytes(b"\0" * 16)
    (directory / "histogram_4242.db").write_bytes(b"\0" * 16)

    assert prepare({"HOTLINE_DATA_DIR": str(tmp_path)}, "0.0.0.0:5000") == directory
    assert list(directory.iterdir()) == []


def test_a_directory_named_in_the_environment_is_used_and_emptied_of_counts_only(tmp_path):
    given = tmp_path / "prometheus"
    given.mkdir()
    (given / "counter_1.db").write_bytes(b"\0" * 16)
    (given / "README").write_text("kept")
    env = {"PROMETHEUS_MULTIPROC_DIR": str(given), "HOTLINE_DATA_DIR": str(tmp_path / "var")}

    assert prepare(env, "0.0.0.0:5000") == given
    assert [path.name for path in given.iterdir()] == ["README"]
    assert not (tmp_path / "var").exists()
