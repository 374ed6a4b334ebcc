# Network meta-analyses (config networks): one job per evidence set for every network, so that
# the network model is compiled once per job and no network pays a process start of its own.


rule network:
    """Fit every configured network of an evidence set (random and fixed effects, node-splits),
    or report it as disconnected with its parts named, and draw its graph and forest."""
    input:
        harmonised=layout.HARMONISED,
        trials=SETTINGS.data.trials or [],
        bibliography=SETTINGS.data.bibliography,
    output:
        tables=expand(
            [
                layout.NETWORK_ARMS,
                layout.NETWORK_LEAGUE,
                layout.NETWORK_VERSUS_REFERENCE,
                layout.NETWORK_RANKS,
                layout.NETWORK_MODEL_FIT,
                layout.NETWORK_CONSISTENCY,
                layout.NETWORK_DIAGNOSTICS,
            ],
            evidence="{evidence}",
            network=NETWORK_NAMES,
        ),
        plot=report(
            expand(layout.NETWORK_PLOT, evidence="{evidence}", network=NETWORK_NAMES),
            caption="../report/network_plot.rst",
            category="Network meta-analysis",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "network graphs"},
        ),
        forest=report(
            expand(layout.NETWORK_FOREST, evidence="{evidence}", network=NETWORK_NAMES),
            caption="../report/network_forest.rst",
            category="Network meta-analysis",
            subcategory="{evidence}",
            labels={"evidence": "{evidence}", "figure": "network forest plots"},
        ),
    params:
        networks=NETWORKS,
        statuses=network_statuses,
        code=code_fingerprint("network.py"),
    # Beside the pairwise fit: it needs only the harmonised sheet.
    priority: 90
    threads: 1
    resources:
        mem_mb=3000,
        runtime=30,
    log:
        "logs/network/{evidence}.log",
    script:
        "../scripts/network.py"
