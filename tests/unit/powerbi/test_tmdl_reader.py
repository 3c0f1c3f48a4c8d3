"""The reader the model tests rely on: it must refuse what Power BI would refuse, and keep multi-line
expressions and descriptions whole (the twin comments and partition sources are read from them)."""

from __future__ import annotations

import pytest

from .tmdl_reader import TmdlError, read


def test_a_misspelt_property_is_an_error_naming_file_and_line(tmp_path):
    bad = tmp_path / "bad.tmdl"
    bad.write_text("table t\n\tcolumn c\n\t\tdataTyp: string\n")
    with pytest.raises(TmdlError, match=r"bad.tmdl:3: unknown property"):
        read(bad)


def test_space_indentation_is_an_error(tmp_path):
    bad = tmp_path / "spaces.tmdl"
    bad.write_text("table t\n    column c\n")
    with pytest.raises(TmdlError, match="tabs, not spaces"):
        read(bad)


def test_multi_line_measures_partitions_and_descriptions_are_read_whole(tmp_path):
    path = tmp_path / "t.tmdl"
    path.write_text(
        "/// A table.\ntable 'My Table'\n\tlineageTag: x\n\n"
        "\t/// First line.\n\t/// twin: sql/queries/select_kpi_a.sql\n"
        "\tmeasure 'It''s %' =\n\t\t\tVAR a = 1\n\t\t\tRETURN a\n\t\tformatString: 0.0%\n\n"
        "\tpartition p = m\n\t\tmode: import\n\t\tsource =\n"
        "\t\t\t\tlet\n\t\t\t\t\tS = 1\n\t\t\t\tin\n\t\t\t\t\tS\n"
    )
    (table,) = read(path)
    (measure,) = table.all("measure")
    (partition,) = table.all("partition")
    assert (table.name, table.description) == ("My Table", "A table.")
    assert measure.name == "It's %" and measure.value == "VAR a = 1\nRETURN a"
    assert measure.description == "First line.\ntwin: sql/queries/select_kpi_a.sql"
    assert measure.properties == {"formatString": "0.0%"}
    assert partition.value == "m" and partition.source == "let\n\tS = 1\nin\n\tS"
