"""The network stage from config alone: a synthetic review with three treatments gets its
network section and summary-of-findings rows, and a network in two parts is reported as such."""

from __future__ import annotations

import re

import pytest
import yaml
from conftest import OTHER_REVIEW, review_copy, snakemake

#: Rows added to the synthetic review's sheet: a third arm (NAL) in GAMMA2010, a trial of NAL
#: against placebo, and a trial of two treatments no other trial has (MET, LAAM).
FIELDS = "trial,country,year,arm,treatment,events,total,status,source,location"


def rows(*records: str) -> str:
    """Sheet rows of 12-week abstinence counts from ``FIELDS``-ordered records."""
    out = []
    for record in records:
        value = dict(zip(FIELDS.split(","), record.split(","), strict=True))
        out.append(
            f"{value['trial']},{value['country']},{value['year']},{value['arm']},"
            f"{value['treatment']},abstinence,abstinent_12w,Abstinent at 12 weeks,12 weeks,"
            f"randomised,{value['events']},{value['total']},,favourable,participants,"
            f"{value['status']},counts,{value['source']},{value['location']},Synthetic test data"
        )
    return "\n".join(out) + "\n"


ROWS = rows(
    "GAMMA2010,Mu,2010,NAL,Synthetic naltrexone arm,35,78,secondary,SYN3,news report",
    "DELTA2015,Oz,2015,NAL,Synthetic naltrexone arm,30,70,reported,SYN1,table 3",
    "DELTA2015,Oz,2015,PLA,Synthetic placebo arm,20,72,reported,SYN1,table 3",
    "EPS2018,Oz,2018,MET,Synthetic methadone arm,40,90,reported,SYN2,table 1",
    "EPS2018,Oz,2018,LAAM,Synthetic LAAM arm,44,88,reported,SYN2,table 1",
)
NETWORKS = {
    "abstinence": {
        "title": "Abstinence, every treatment",
        "outcome": "abstinence",
        "measures": ["abstinent_12w", "relapse_12w"],
        "trials": ["ALPHA2001", "BETA2005", "GAMMA2010", "DELTA2015"],
        "pairs": [["BUP", "NAL"]],
    },
    "apart": {
        "title": "Abstinence, two unconnected trials",
        "outcome": "abstinence",
        "measures": ["abstinent_12w"],
        "trials": ["ALPHA2001", "EPS2018"],
    },
}


@pytest.mark.workflow
def test_a_three_treatment_review_gets_its_network_from_config_alone(tmp_path):
    review = review_copy(OTHER_REVIEW, tmp_path / "review")
    sheet = review / "extraction.csv"
    sheet.write_text(sheet.read_text() + ROWS)
    config = yaml.safe_load((review / "config.yaml").read_text())
    config["networks"] = NETWORKS
    (review / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    snakemake(
        "--directory", str(review), "--config", "review=config.yaml", "--cores", "2",
        "results/report/report.html",
    )  # fmt: skip
    results = review / "results"
    html = (results / "report/report.html").read_text()
    section = html[html.index('<section id="network">') :]
    section = section[: section.index("</section>")]
    # The connected network: three treatments, GAMMA2010 with all three arms.
    assert "3 treatments (PLA, BUP, NAL)" in section
    assert re.search(r"<td>GAMMA2010</td>\s*<td>NAL</td>", section)
    assert "league table" in section and "SUCRA" in section
    assert "Inconsistency not assessable" in section or "node-split" in section.lower()
    # The network in two parts: named, not analysed.
    assert "disconnected into 2 components" in section
    assert "{PLA, BUP} (trials: ALPHA2001)" in section
    assert "{MET, LAAM} (trials: EPS2018)" in section
    assert (results / "network/all/apart/league.csv").read_text().count("\n") == 1
    # The summary of findings has the network rows: each treatment against PLA, and BUP vs NAL.
    grade = html[html.index('<section id="grade">') :]
    grade = grade[: grade.index("</section>")]
    rows = re.findall(r'<tr data-network="abstinence">(.*?)</tr>', grade, re.S)
    assert [re.findall(r"<td>(.*?)</td>", r)[1] for r in rows] == [
        "BUP vs PLA",
        "NAL vs PLA",
        "BUP vs NAL",
    ]
    assert all(re.search(r"(High|Moderate|Low|Very low)", r) for r in rows)
    assert "Incoherence" in grade and "Network rules" in grade
