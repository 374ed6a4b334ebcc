"""Reading hand-edited files: physical lines, strict YAML, suggestions for misspelt names."""

from __future__ import annotations

import pytest

from hatmeta.config import ConfigError, read_workflow_config
from hatmeta.data.csvtext import ExtractionError, read_text_table
from hatmeta.preflight import suggestion
from hatmeta.yamltext import YamlFileError, locate, read_yaml

COLUMNS = ("trial", "events", "note")


def test_rows_carry_their_physical_line_after_blank_lines_and_multiline_cells(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text('trial,events,note\n\nA,1,"two\nlines"\n\nB,2,\n,,\n')
    frame = read_text_table(path, COLUMNS, "sheet")
    assert frame.index.tolist() == [3, 6] and frame.loc[6, "trial"] == "B"


def test_a_ragged_row_is_named_by_its_physical_line(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text('trial,events,note\n"A",1,"x\ny"\nB,2,,\n')
    with pytest.raises(
        ExtractionError, match=r"sheet.csv, line 4: 4 fields where the header has 3"
    ):
        read_text_table(path, COLUMNS, "sheet")


def test_an_unclosed_quote_points_at_the_line_that_opens_it(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text('trial,events,note\nA,1,\nB,2,"open\nC,3,\nD,4,\n')
    with pytest.raises(ExtractionError, match=r"line 3: .*quote"):
        read_text_table(path, COLUMNS, "sheet")


def test_a_utf8_byte_order_mark_is_accepted(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_bytes("trial,events,note\nZ\u00fcrich,1,\n".encode("utf-8-sig"))
    assert read_text_table(path, COLUMNS, "sheet").loc[2, "trial"] == "Z\u00fcrich"


def test_yaml_duplicate_keys_and_syntax_errors_name_line_and_column(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("a: 1\nb:\n  c: 2\n  c: 3\n")
    with pytest.raises(YamlFileError, match=r"c.yaml, line 4, column 3: key 'c' appears twice"):
        read_yaml(path)
    path.write_text("a: 1\n  b: [2\n")
    with pytest.raises(YamlFileError, match=r"c.yaml, line 2, column 4"):
        read_yaml(path)


def test_positions_of_keys_and_list_items(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("analyses:\n  x:\n    trials: [A, B]\n")
    _, positions = read_yaml(path)
    assert locate(positions, ["analyses", "x", "trials", 1]) == f"{path}, line 3, column 17"
    # A key only a default fills is placed at its nearest written parent.
    assert locate(positions, ["analyses", "x", "note"]) == f"{path}, line 2, column 3"


def test_review_config_is_read_and_command_line_values_laid_over_it(tmp_path):
    path = tmp_path / "review.yaml"
    path.write_text("sampler: {draws: 10, chains: 2}\n")
    config = {"review": str(path), "sampler": {"draws": 20}}
    source, _ = read_workflow_config(config, [])
    assert source == str(path) and config == {"sampler": {"draws": 20, "chains": 2}}
    with pytest.raises(ConfigError, match="config file not found"):
        read_workflow_config({"review": str(tmp_path / "nope.yaml")}, [])


@pytest.mark.parametrize(
    ("typo", "known", "expected"),
    [
        ("EN 2010", ["EN2010", "CA2009"], "EN2010"),
        ("sih", ["SIH", "OMMT"], "SIH"),
        ("OMT", ["SIH", "OMMT", "CONV"], "OMMT"),
        ("retained_26wk", ["retained_26w", "retained_12m"], "retained_26w"),
    ],
)
def test_misspelt_names_get_the_closest_known_name(typo, known, expected):
    assert suggestion(typo, known) == f" (did you mean '{expected}'?)"


def test_no_suggestion_for_a_name_like_nothing_known():
    assert suggestion("mortality", ["SIH", "OMMT"]) == ""


def test_blank_lines_before_the_header_keep_physical_lines(tmp_path):
    path = tmp_path / "sheet.csv"
    path.write_text("\n\ntrial;events;note\nA;1;\n")
    with pytest.raises(ExtractionError, match=r"sheet.csv, line 3: fields are separated by semi"):
        read_text_table(path, COLUMNS, "sheet")
    path.write_text("\ntrial,events\nA,1\n")
    with pytest.raises(ExtractionError, match=r"line 2, column 'note': required column is missing"):
        read_text_table(path, COLUMNS, "sheet")
