"""Every check, in the order `cog doctor` runs and reports them (grouped as Cog groups them)."""

from __future__ import annotations

from cog_py.doctor import config_checks, env_checks, project_checks, python_checks
from cog_py.doctor.model import Check

CHECKS: tuple[Check, ...] = (
    Check("config-parse", "Config parsing", "Config", config_checks.check_parse),
    Check("config-schema", "Config schema", "Config", config_checks.check_schema),
    Check("config-deprecated-fields", "Deprecated fields", "Config", config_checks.check_deprecated_fields),
    Check("config-predict-ref", "Predict reference", "Config", config_checks.check_predict_ref),
    Check("config-framework-pin", "torch/tensorflow pins", "Config", config_checks.check_framework_pins),
    Check("config-python-eol", "Python end of life", "Config", config_checks.check_python_eol),
    Check("config-build-run-download", "Downloads in build.run", "Config", config_checks.check_build_run_downloads),
    Check("python-deprecated-imports", "Deprecated imports", "Python", python_checks.check_deprecated_imports),
    Check("python-pydantic-basemodel", "Pydantic BaseModel workaround", "Python",
          python_checks.check_pydantic_basemodel),
    Check("python-missing-type-annotations", "Type annotations", "Python", python_checks.check_missing_annotations),
    Check("python-optional-input", "Inputs with default None", "Python", python_checks.check_optional_inputs),
    Check("python-missing-requirement", "Imports and requirements", "Python", project_checks.check_missing_requirements),
    Check("project-large-files", "Large files in the code layer", "Project", project_checks.check_large_files),
    Check("env-python-version", "Python version", "Environment", env_checks.check_python_version),
    Check("env-docker", "Docker", "Environment", env_checks.check_docker),
    Check("env-gpu-compat", "GPU compatibility", "Environment", env_checks.check_gpu_compat),
)
