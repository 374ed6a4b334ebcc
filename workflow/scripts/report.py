"""Snakemake adapter: assemble results/report/report.html from the declared results."""

import yaml

from hatmeta import layout
from hatmeta.io import write_csv, write_json
from hatmeta.logs import logged
from hatmeta.report.provenance import provenance
from hatmeta.report.render import build_context, write_report
from hatmeta.report.results import ReportInputs

with logged(snakemake.log[0], "report") as log:
    params, inputs = snakemake.params, snakemake.input
    settings = params.settings
    sections = []
    named = dict(inputs.items())
    if "rob_judgements" in named:
        from hatmeta.certainty.rob2 import overall_rule_text
        from hatmeta.report.risk_of_bias import section as rob_section

        paths = {k.removeprefix("rob_"): v for k, v in named.items() if k.startswith("rob_")}
        paths["judgements"] = paths.pop("judgements")
        rule = overall_rule_text(
            settings.certainty.rob_several_concerns_high,
            settings.certainty.rob_several_concerns_reason,
        )
        sections.append(rob_section(paths, settings.analyses, rule))
    if "flow_characteristics" in named:
        from hatmeta.report.studies import section as studies_section

        paths = {k.removeprefix("flow_"): v for k, v in named.items() if k.startswith("flow_")}
        sections.append(studies_section(paths, settings.evidence.main))
    if settings.riott is not None:
        from hatmeta.riott import layout as riott_layout
        from hatmeta.riott.report import section

        paths = {
            key.removeprefix("riott_"): value
            for key, value in inputs.items()
            if key.startswith("riott_")
        }
        paths["heatmaps"] = layout.index(riott_layout.HEATMAP, inputs.riott_heatmaps)
        sections.append(section(settings.riott, paths))
    if params.networks is not None:
        from hatmeta.certainty.network import network_sof, read_judgements
        from hatmeta.report.network import section as network_section
        from hatmeta.report.network import sof_table

        networks = params.networks
        indexed = {
            kind: layout.index(pattern, named[f"network_{kind}"])
            for kind, pattern in layout.NETWORK_FILES._asdict().items()
        }
        main = settings.evidence.main
        files = {
            name: layout.NetworkFiles(**{k: v[(main, name)] for k, v in indexed.items()})
            for name in networks.networks
        }
        fits = layout.fits_index(inputs.fits)
        pairwise = {}
        for name, spec in networks.networks.items():
            if spec.pairwise is not None:
                analysis = settings.analyses[spec.pairwise]
                fit = fits[(main, analysis.name, analysis.primary_prior)]
                pairwise[name] = (analysis.title, fit.summary)
        rows = network_sof(
            {name: (spec, files[name]._asdict()) for name, spec in networks.networks.items()},
            read_judgements(named.get("rob_judgements")),
            settings.certainty,
            networks.certainty,
            networks.reference,
        )
        sof = sof_table(rows, networks.labels)
        from hatmeta.certainty.network import sof_frame

        write_csv(sof_frame(rows), snakemake.output.network_summary)
        sections.append(network_section(files, networks, pairwise, sof))
    # The stages' fingerprints are also their rules' params: Snakemake re-ran any stage whose
    # results came from other code, so these name the code behind every input.
    info = provenance(params.data_files, code={**params.stage_code, "report": params.code})
    write_json(info, snakemake.output.provenance)
    context = build_context(
        settings,
        ReportInputs.from_paths(dict(inputs.items())),
        provenance=info,
        config_yaml=yaml.safe_dump(dict(params.config), sort_keys=False, allow_unicode=True),
        sections=sections,
    )
    if "vega" in named:  # the interactive views' library, inlined: the report opens offline
        from hatmeta.report.vega import library

        context["vega"] = library(inputs.vega)
    write_csv(context["grade_frame"], snakemake.output.summary)
    write_csv(context["sof_frame"], snakemake.output.bayesian)
    write_report(context, snakemake.output.html)
    log.info(
        "wrote %s (%d flagged fits; %d optional section(s))",
        snakemake.output.html,
        context["n_flagged"],
        len(sections),
    )
