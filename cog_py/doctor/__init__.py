"""`cog doctor`: diagnose a project before a slow build fails, and fix what is safe to fix.

    project = load_project(cwd, "cog.yaml")      # reads files only: no Docker, no import of the model
    findings = run_checks(project)               # every registered check, in registry order
    apply_fixes(project.root, findings)          # --fix: line edits, everything else byte-identical

model.py holds the Finding/Fix/Project types; one module per group of checks (config_checks,
python_checks, project_checks, env_checks); registry.py orders them; fixer.py edits files;
report.py renders Cog's output shape.
"""
