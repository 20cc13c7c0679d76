"""The in-container HTTP server (the parent process): FastAPI/uvicorn, never imports user code.

    python -m cog_py.server [--host H] [--upload-url U] [--await-explicit-shutdown] [--x-mode M]
    python -m cog.server.http ...      (Cog's command; execs $COG_SERVER_PYTHON when set)

Process model: this parent (uvicorn on uvloop + httptools) and one worker subprocess
(`$COG_WORKER_PYTHON -m cog_py.worker`, standard library only) joined by a socketpair carrying
length-prefixed JSON frames (cog_py/protocol.py). The worker imports the model, runs setup()
and every prediction, and renders the response JSON; the parent admits requests, holds slots,
sends webhooks, fans out SSE and survives the worker (respawn; DEFUNCT after a crash loop).

Environment (Cog's names where Cog has them; ours are marked *):
    PORT                            listen port (5000)
    COG_PREDICT_TYPE_STUB / COG_TRAIN_TYPE_STUB   predictor refs (fallback: ./cog.yaml)
    COG_MAX_CONCURRENCY             slots (fallback: cog.yaml concurrency.max, @concurrent, 1)
    COG_SETUP_TIMEOUT               seconds; SETUP_FAILED when exceeded (default: none)
    COG_WEIGHTS                     passed to setup(weights=...)
    COG_THROTTLE_RESPONSE_INTERVAL  seconds between `logs` webhooks (0.5)
    COG_STREAM_HISTORY_CAPACITY     SSE replay buffer (1024; 0 disables replay)
    WEBHOOK_AUTH_TOKEN              Authorization: Bearer for webhooks
    COG_LOG_LEVEL, LOG_FORMAT       server log level; LOG_FORMAT=console for text (default JSON)
    KUBERNETES_SERVICE_HOST         when set, /var/run/cog/ready (*COG_READY_FILE) is written at READY
    COG_GPU=1 / COG_REQUIRE_GPU=1   GPU check at boot (baked for gpu: true) / fail without a GPU
    *COG_WORKER_PYTHON              interpreter of the worker (default: this one)
    *COG_SERVER_PYTHON              interpreter of the parent, for `cog.server.http` to exec
    *COG_CANCEL_GRACE_S             a canceled prediction still running after this is ended by
                                    restarting the worker (5)
    *COG_SHUTDOWN_GRACE_S           SIGTERM and /shutdown wait this long for in-flight and queued
                                    work (300); what is still queued then gets 503
    *COG_QUEUE_SIZE                 requests that may wait (FIFO) for a slot; beyond them 429 with
                                    Retry-After (fallback: cog.yaml concurrency.queue; unset: 409)
    *COG_BATCH_MAX_SIZE, *COG_BATCH_MAX_WAIT_MS   batching as @batch does (fallback: cog.yaml
                                    batch:, then @batch's numbers; wait 10 ms)
    *COG_WORKER_CRASH_WINDOW_S, *COG_WORKER_CRASH_LIMIT   deaths in the window => DEFUNCT (60, 3)
    *COG_WEBHOOK_MAX_RETRIES, *COG_WEBHOOK_BACKOFF_S, *COG_WEBHOOK_TIMEOUT_S   (12, 0.1, 30)
    *COG_HEALTHCHECK_TIMEOUT        the user healthcheck()'s limit (5.0)
    *COG_GPU_PROBE=1                run the GPU probe even for models without gpu: true
    *COG_MAX_REQUEST_BYTES          largest request body; 413 above it (104857600 = 100 MiB)
    *COG_HEADER_TIMEOUT_S           a request head not complete by then closes the connection (10)
    *COG_DOWNLOAD_TIMEOUT_S         file-input URL: connect and first-byte timeout (10)
    *COG_MAX_DOWNLOAD_BYTES         file-input URL: largest download (10 GiB)
"""
