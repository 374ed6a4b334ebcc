# The oracle of hatmeta.certainty: metafor's regression test for funnel asymmetry and R's
# power.prop.test. Usage: Rscript grade.R output.json p1,p2 [p1,p2 ...]
#   output.json: regtest(model = "lm") on dat.bcg with predictors sei and ninv, and
#   power.prop.test's n per group for each pair of proportions (alpha 0.05, power 0.8).
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
data(dat.bcg, package = "metadat", envir = environment())
dat <- escalc("OR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
fit <- rma(yi, vi, data = dat)
out <- list(trials = list(ai = dat.bcg$tpos, n1i = dat.bcg$tpos + dat.bcg$tneg,
                          ci = dat.bcg$cpos, n2i = dat.bcg$cpos + dat.bcg$cneg))
for (predictor in c("sei", "ninv")) {
  test <- regtest(fit, model = "lm", predictor = predictor)
  out[[predictor]] <- list(t = as.numeric(test$zval), p = as.numeric(test$pval),
                           df = as.numeric(test$dfs))
}
out$power <- lapply(args[-1], function(pair) {
  p <- as.numeric(strsplit(pair, ",")[[1]])
  list(p1 = p[1], p2 = p[2], n = power.prop.test(p1 = p[1], p2 = p[2], sig.level = 0.05,
                                                  power = 0.8)$n)
})
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE), args[1])
