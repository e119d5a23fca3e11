"""config.frames: pandas values become what the database takes, on either backend."""

import numpy as np
import pandas as pd
import pytest

from config.frames import _array_literal, python_value


@pytest.mark.parametrize("missing", [None, np.nan, pd.NaT, pd.NA])
def test_every_kind_of_missing_value_is_null(missing):
    assert python_value(missing) is None


def test_numpy_scalars_are_unwrapped():
    assert python_value(np.int64(3)) == 3 and type(python_value(np.int64(3))) is int
    assert type(python_value(np.float64(2.5))) is float


def test_array_literals_quote_escape_and_null():
    text = pd.Series(['a"b', "c\\d", None, "", "NULL"])
    assert _array_literal(text, "CharField") == '{"a\\"b","c\\\\d",NULL,"","NULL"}'
    ids = pd.Series([1, None], dtype="Int64")
    assert _array_literal(ids, "BigIntegerField") == "{1,NULL}"
    assert _array_literal(pd.Series([True, False]), "BooleanField") == "{t,f}"
