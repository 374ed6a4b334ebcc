# The metafor oracle: every classical number of hatmeta.classical, computed by metafor.
# Usage: Rscript metafor.R input.csv output.json
#   input.csv: trial, ai, n1i, ci, n2i (treatment events and size, control events and size)
#   or a metadat dataset: Rscript metafor.R dat.li2007 output.json ai n1i ci n2i
#   (its columns of treatment events and size, control events and size), or with "cells" after
#   them when the columns are the four cells: Rscript metafor.R dat.bcg out tpos tneg cpos cneg cells
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
if (grepl("^dat\\.", args[1])) {
  data(list = args[1], package = "metadat", envir = environment())
  raw <- get(args[1])
  cols <- args[3:6]
  cells <- length(args) > 6 && args[7] == "cells"
  n1i <- if (cells) raw[[cols[1]]] + raw[[cols[2]]] else raw[[cols[2]]]
  n2i <- if (cells) raw[[cols[3]]] + raw[[cols[4]]] else raw[[cols[4]]]
  dat <- data.frame(trial = seq_len(nrow(raw)), ai = raw[[cols[1]]], n1i = n1i,
                    ci = raw[[cols[3]]], n2i = n2i)
} else {
  dat <- read.csv(args[1])
}
tight <- list(threshold = 1e-12, maxiter = 10000, stepadj = 0.5)
num <- function(x) if (is.null(x) || length(x) == 0) NA else as.numeric(x)
out <- list(data = dat)
for (m in c("OR", "RR", "RD")) {
  es <- escalc(m, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat)
  res <- list(yi = as.numeric(es$yi), vi = as.numeric(es$vi))
  mh <- rma.mh(measure = m, ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat)
  res$MH <- list(estimate = num(mh$beta), se = num(mh$se), lower = num(mh$ci.lb),
                 upper = num(mh$ci.ub))
  fe <- rma(yi, vi, data = es, method = "EE")
  res$IV <- list(estimate = num(fe$beta), se = num(fe$se), lower = num(fe$ci.lb),
                 upper = num(fe$ci.ub), Q = num(fe$QE))
  for (method in c("DL", "REML")) {
    re <- rma(yi, vi, data = es, method = method, control = tight)
    kh <- rma(yi, vi, data = es, method = method, test = "knha", control = tight)
    pr <- predict(kh)
    res[[method]] <- list(estimate = num(re$beta), se = num(re$se), lower = num(re$ci.lb),
                          upper = num(re$ci.ub), tau2 = num(re$tau2), I2 = num(re$I2) / 100,
                          Q = num(re$QE), p_Q = num(re$QEp), hksj_lower = num(kh$ci.lb),
                          hksj_upper = num(kh$ci.ub), pi_lower = num(pr$pi.lb),
                          pi_upper = num(pr$pi.ub))
  }
  out[[m]] <- res
}
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE, na = "null"), args[2])
