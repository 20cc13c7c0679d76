"""cog_py.server.uvicorn_lite: uvicorn's Config/Server without its package init, the rest on demand."""

from __future__ import annotations

import subprocess
import sys


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_the_server_imports_no_click_and_full_uvicorn_still_works():
    out = _run(
        "import sys\n"
        "from cog_py.server import uvicorn_lite\n"
        "import uvicorn.lifespan.on, uvicorn.protocols.http.h11_impl\n"   # `from uvicorn import Config` inside
        "print('click' in sys.modules, 'uvicorn.main' in sys.modules)\n"
        "import uvicorn\n"
        "print(uvicorn.Config is uvicorn_lite.Config, uvicorn.Server is uvicorn_lite.Server)\n"
        "print(callable(uvicorn.run), 'click' in sys.modules, uvicorn.__version__ == sys.modules['uvicorn._version'].__version__)\n"
    )
    assert out.splitlines() == ["False False", "True True", "True True True"]


def test_uvicorn_imported_before_is_left_as_it_is():
    out = _run("import uvicorn, sys\nfrom cog_py.server import uvicorn_lite\n"
               "print(uvicorn_lite.Config is uvicorn.Config, sys.modules['uvicorn'] is uvicorn)")
    assert out == "True True"


def test_an_unknown_name_is_an_attribute_error():
    out = _run("from cog_py.server import uvicorn_lite\nimport uvicorn\n"
               "try:\n    uvicorn.nothing_here\nexcept AttributeError as e:\n    print('AttributeError', e)")
    assert out == "AttributeError module 'uvicorn' has no attribute 'nothing_here'"
