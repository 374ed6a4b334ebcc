"""Snakemake adapter: every RIOTT cell carried into the pooled analysis, and its summaries."""

import pandas as pd

from hatmeta import layout
from hatmeta.io import write_csv, write_text
from hatmeta.logs import logged
from hatmeta.riott import layout as riott_layout
from hatmeta.riott import text
from hatmeta.riott.bank import Bank
from hatmeta.riott.facts import published_counts
from hatmeta.riott.grid import read_batches
from hatmeta.riott.patient_level import patient_level_table
from hatmeta.riott.propagation import carry_cells

with logged(snakemake.log[0], "riott_cells_pooled") as log:
    riott, inputs, output = snakemake.params.riott, snakemake.input, snakemake.output
    result = carry_cells(
        read_batches(layout.index(riott_layout.CELLS_BATCH, inputs.cells)),
        read_batches(layout.index(riott_layout.CELLS_IMPUTATIONS, inputs.imputations)),
        Bank.load(inputs.bank),
        riott,
        snakemake.params.higher_is_better,
    )
    for name in ("cells", "points", "structural", "depends"):
        write_csv(result[name], output[name])
    sentences = text.tipping_sentences(result["points"], riott)
    sentences.append(text.depends_sentence(result["depends"], riott))
    write_text("\n".join(sentences) + "\n", output.sentences)
    harmonised = pd.read_csv(inputs.harmonised)
    published = published_counts(harmonised, riott.trial, riott.measure, riott.arms)
    retained = published_counts(harmonised, riott.trial, riott.retention_measure, riott.arms)
    write_csv(
        patient_level_table(published, retained, riott.tipping.imor_methadone),
        output.patient_level,
    )
    log.info("%d cells; %s", len(result["cells"]), " ".join(sentences))
