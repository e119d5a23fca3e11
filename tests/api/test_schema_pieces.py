"""The schema's hand-written pieces say exactly what the serializers enforce."""

import re

from core.api import PYTHON_SPACE, non_blank_pattern


def test_the_whitespace_class_is_exactly_what_python_strips():
    space = re.compile(f"[{PYTHON_SPACE}]")
    for code in range(0x110000):
        assert bool(space.fullmatch(chr(code))) == chr(code).isspace(), hex(code)


def test_a_non_blank_value_needs_something_drf_would_not_trim():
    pattern = re.compile(non_blank_pattern())
    assert pattern.fullmatch(" a ") and pattern.fullmatch("é")
    assert not pattern.fullmatch("\u2028\t ") and not pattern.fullmatch("a\x00")


def test_every_operation_has_a_summary_and_publishes_no_docstring():
    """Docstrings are for this code's readers: none reaches the schema integrators read."""
    import inspect

    from drf_spectacular.generators import SchemaGenerator

    from ..served_schema import served_spec

    generator = SchemaGenerator()
    generator.get_schema(public=True)
    docstrings = set()
    for _path, _pattern, method, view in generator._get_paths_and_endpoints():
        for owner in type(view).__mro__:
            if doc := inspect.getdoc(owner):
                docstrings.add(doc)
        handler = getattr(view, getattr(view, "action", None) or method.lower(), None)
        if doc := inspect.getdoc(handler):
            docstrings.add(doc)
    assert any("PostHog" in doc for doc in docstrings)  # the one the issue saw is looked at
    for path, operations in served_spec()["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            description = operation.get("description", "")
            assert description not in docstrings, (method, path, description)


def test_a_scorecards_measures_and_levels_are_typed_with_a_shape_per_rule():
    """Generated clients get scorecard groups, measures and levels as models, and one
    parameters shape per rule the model knows, not an untyped list (every response a test
    receives is validated against these, tests/served_schema.py)."""
    from health.models import Measure

    from ..served_schema import served_spec

    schemas = served_spec()["components"]["schemas"]
    groups = schemas["ScorecardOut"]["properties"]["groups"]["items"]["$ref"]
    assert groups.endswith("/GroupOut") and "measures" in schemas["GroupOut"]["properties"]
    measure = schemas["MeasureOut"]["properties"]
    rule = measure["rule"]
    rule = schemas[rule["$ref"].rsplit("/", 1)[1]] if "$ref" in rule else rule
    assert set(rule["enum"]) == set(Measure.Rule.values)
    titles = {shape["title"] for shape in measure["params"]["anyOf"]}
    assert titles == {f"{rule.capitalize()}Params" for rule in Measure.Rule.values}
    assert set(schemas["LevelOut"]["required"]) == {"name", "lower", "colour"}
