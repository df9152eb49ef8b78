"""The layout's rules, checked on the code itself: nothing outside forecaster/models/ names a
specific model (the engine, summaries, reports, explorer and CLI read what a model declares),
and data flows one way (the models import no layer above them; the engine never imports the
notebook API)."""

from __future__ import annotations

import ast
from pathlib import Path

import forecaster
from forecaster.models import registered

PACKAGE = Path(forecaster.__file__).parent
#: The lines allowed to name a model: those exposing a model's own extra tool (Davidson &
#: Houlden's Speed-Up Calculator) and the general law's notebook API (simulate, outcomes),
#: and the package's re-exports of the models' public names.
EXCEPTIONS = {
    "cli.py": ("davidson_houlden._speedup", "usage: forecaster"),  # and its help text
    "_serve/_app.py": ("davidson_houlden._speedup",),
    "_api.py": ("general_law._model", "general_law._parameters"),
    "__init__.py": ("models.davidson_houlden", "models.general_law"),
}


def _model_words() -> set[str]:
    words = {"ladder", "milestone_ladder", "integrator"}
    for name, cls in registered().items():
        words |= {name, cls.__name__}
        words |= {f.name for f in cls.__dataclass_fields__.values() if f.name == "ladder"}
    return {w.lower() for w in words}


def _code_words(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every identifier, attribute, import and string literal that is not a
    docstring."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            out.append((node.lineno, node.id))
        elif isinstance(node, ast.Attribute):
            out.append((node.lineno, node.attr))
        elif isinstance(node, ast.ImportFrom) and node.module:
            out.append((node.lineno, node.module))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            if id(node) not in docstrings:
                out.append((node.lineno, node.value))
    return out


def test_nothing_outside_the_models_names_a_model():
    words = _model_words()
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).as_posix()
        if relative.startswith("models/"):
            continue
        allowed = EXCEPTIONS.get(relative, ())
        for line, text in _code_words(ast.parse(path.read_text())):
            lowered = text.lower()
            hits = [w for w in words if w in lowered.replace(".", "_").split("_") or w == lowered]
            hits += [w for w in words if "_" in w and w in lowered]
            if hits and not any(a in text for a in allowed):
                found.append(f"{relative}:{line}: {text[:60]!r}")
    assert not found, "\n".join(found)


def test_models_import_no_layer_above_them():
    above = ("_engine", "_config", "_outputs", "_summaries", "_forecasts", "_api", "cli")
    above += ("report", "_serve", "calibration", "_kernel")
    for path in sorted((PACKAGE / "models").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                first = node.module.split(".")[0]
                assert first not in above, f"{path.relative_to(PACKAGE)} imports {node.module}"


def test_the_engine_never_imports_the_notebook_api():
    for name in ("_engine.py", "_kernel.py", "_accumulate.py", "_summaries.py"):
        tree = ast.parse((PACKAGE / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                assert node.module not in ("_api", "_forecasts"), f"{name}: {node.module}"
