"""Start-up inputs: environment first, cog.yaml as the fallback, timings from env."""

from __future__ import annotations

from pathlib import Path

from cog_py.server.settings import load_settings, parse_args


def test_env_refs_win_over_cog_yaml(tmp_path: Path):
    (tmp_path / "cog.yaml").write_text("predict: other.py:P\nconcurrency:\n  max: 4\n")
    s = load_settings(parse_args([]), {"COG_PREDICT_TYPE_STUB": "predict.py:Predictor", "COG_MAX_CONCURRENCY": "2"},
                      tmp_path)
    assert s.predict_ref == "predict.py:Predictor"
    assert s.max_concurrency == 2
    assert s.port == 5000 and s.host == "0.0.0.0"


def test_cog_yaml_fallback(tmp_path: Path):
    (tmp_path / "cog.yaml").write_text("build:\n  gpu: true\nrun: run.py:Runner\ntrain: train.py:train\n"
                                       "concurrency:\n  max: 3\n")
    s = load_settings(parse_args(["--x-mode", "train"]), {"PORT": "6000"}, tmp_path)
    assert (s.predict_ref, s.train_ref, s.max_concurrency) == ("run.py:Runner", "train.py:train", 3)
    assert s.ref == "train.py:train"
    assert s.port == 6000


def test_flags_and_timings():
    s = load_settings(parse_args(["--host", "127.0.0.1", "--upload-url", "http://u/", "--await-explicit-shutdown",
                                  "true", "--threads", "4"]),
                      {"COG_SETUP_TIMEOUT": "0", "COG_CANCEL_GRACE_S": "0.5", "KUBERNETES_SERVICE_HOST": "k",
                       "COG_MAX_CONCURRENCY": "zero"}, Path("/nonexistent"))
    assert s.host == "127.0.0.1" and s.upload_url == "http://u/" and s.await_explicit_shutdown
    assert s.setup_timeout is None          # 0 or invalid: no timeout
    assert s.cancel_grace == 0.5
    assert s.max_concurrency is None
    assert s.ready_file == Path("/var/run/cog/ready")
    assert not load_settings(parse_args([]), {}, Path("/nonexistent")).await_explicit_shutdown


def test_stream_history_capacity():
    def cap(value):
        return load_settings(parse_args([]), {"COG_STREAM_HISTORY_CAPACITY": value}, Path("/nonexistent")).stream_history

    assert (cap("0"), cap("2"), cap("lots")) == (0, 2, 1024)


def test_webhook_token_is_read_but_never_shown(tmp_path: Path):
    s = load_settings(parse_args([]), {"WEBHOOK_AUTH_TOKEN": "s3cr3t-token"}, tmp_path)
    assert s.webhook_auth_token == "s3cr3t-token"
    assert "s3cr3t-token" not in repr(s) and "s3cr3t-token" not in str(s)


def test_queue_size_from_env_or_cog_yaml(tmp_path: Path):
    (tmp_path / "cog.yaml").write_text("predict: p.py:P\nconcurrency:\n  max: 1\n  queue: 16\n")
    assert load_settings(parse_args([]), {}, tmp_path).queue_size == 16
    assert load_settings(parse_args([]), {"COG_QUEUE_SIZE": "3"}, tmp_path).queue_size == 3
    baked = {"COG_PREDICT_TYPE_STUB": "p.py:P"}
    assert load_settings(parse_args([]), baked, tmp_path).queue_size is None   # the build bakes COG_QUEUE_SIZE
    assert load_settings(parse_args([]), {**baked, "COG_QUEUE_SIZE": "0"}, tmp_path).queue_size is None


def test_batch_from_env_or_cog_yaml(tmp_path: Path):
    (tmp_path / "cog.yaml").write_text("predict: p.py:P\nbatch:\n  max_size: 8\n  max_wait_ms: 0\n")
    s = load_settings(parse_args([]), {}, tmp_path)
    assert (s.batch_max_size, s.batch_max_wait_ms) == (8, 0.0)
    s = load_settings(parse_args([]), {"COG_PREDICT_TYPE_STUB": "p.py:P", "COG_BATCH_MAX_SIZE": "4",
                                       "COG_BATCH_MAX_WAIT_MS": "2.5"}, tmp_path)
    assert (s.batch_max_size, s.batch_max_wait_ms) == (4, 2.5)
    assert load_settings(parse_args([]), {"COG_PREDICT_TYPE_STUB": "p.py:P"}, tmp_path).batch_max_size is None


def test_no_flags_reads_as_argparse_defaults_without_importing_argparse():
    """An image's CMD passes no flags: the defaults come without argparse (imported before the spawn)."""
    import subprocess
    import sys

    from cog_py.server.settings import parser

    assert vars(parse_args([])) == vars(parser().parse_args([]))
    code = "import sys; from cog_py.server.settings import parse_args; parse_args([]); print('argparse' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
