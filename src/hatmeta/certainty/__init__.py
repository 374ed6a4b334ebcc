"""GRADE certainty of evidence: one module per domain, the rating, absolute effects, statements.

Every analysis starts at high certainty (randomised trials). Each domain's rule
(:mod:`.risk_of_bias`, :mod:`.inconsistency`, :mod:`.indirectness`, :mod:`.imprecision`,
:mod:`.publication_bias`) returns a :class:`~hatmeta.certainty.domains.Domain`: the levels it
rates down (0 not serious, 1 serious, 2 very serious), the rule in words and the numbers that
triggered it. :mod:`.domains` applies the panel's overrides and rates; :mod:`.absolute` gives
the anticipated absolute effects from the posterior draws, :mod:`.statements` the
plain-language statement, and :mod:`.assess` puts one analysis's row together (:mod:`.events`
for counts of events, both from the shared pieces of :mod:`.rows`).
"""
