# Network meta-analysis oracles for hatmeta.bayes.network: metafor's rma.mv and R's glm.
# Usage:
#   Rscript network.R output.json arms.csv reference [treatment order ...]
#     arms.csv: trial, treatment, events, total (one row per arm)
#   Rscript network.R output.json dat.hasselblad1998 study trt xi ni reference [order ...]
#     a metadat dataset and its columns of trial, treatment, events and total
# Output (JSON): the arm table; "glm_fixed": exact binomial maximum likelihood of the
# fixed-effect model (logit p = trial baseline + basic parameter; glm with a factor per trial);
# "rma_fixed" and "rma_random": contrast-based rma.mv on log odds ratios against each trial's
# baseline arm (its earliest treatment in the order) with the multi-arm covariance
# (the baseline arm's variance off the diagonal), fixed and random effects (REML, common tau^2,
# correlation 1/2 between a trial's contrasts). A trial with a zero cell has 0.5 added to every
# cell of every arm for rma.mv (the binomial glm needs no correction).
suppressMessages(library(metafor))
args <- commandArgs(trailingOnly = TRUE)
out_path <- args[1]
if (grepl("^dat\\.", args[2])) {
  data(list = args[2], package = "metadat", envir = environment())
  raw <- get(args[2])
  arms <- data.frame(trial = as.character(raw[[args[3]]]),
                     treatment = as.character(raw[[args[4]]]),
                     events = raw[[args[5]]], total = raw[[args[6]]])
  rest <- args[-(1:6)]
} else {
  arms <- read.csv(args[2], colClasses = c(trial = "character", treatment = "character"))
  rest <- args[-(1:2)]
}
reference <- rest[1]
order <- if (length(rest) > 1) rest[-1] else setdiff(unique(arms$treatment), reference)
levels_ <- c(reference, order)
others <- levels_[-1]
arms$treatment <- factor(arms$treatment, levels = levels_)
arms$trial <- factor(arms$trial, levels = unique(arms$trial))

# Exact fixed-effect maximum likelihood: one baseline per trial, one log OR per treatment.
glm_fit <- glm(cbind(events, total - events) ~ 0 + trial + treatment, family = binomial,
               data = arms, control = glm.control(epsilon = 1e-12, maxit = 100))
glm_coef <- summary(glm_fit)$coefficients
glm_rows <- paste0("treatment", others)

# Contrast-based data: each non-baseline arm against its trial's baseline arm.
rows <- list()
blocks <- list()
for (trial in levels(arms$trial)) {
  a <- arms[arms$trial == trial, ]
  a <- a[order(as.integer(a$treatment)), ]
  cc <- if (any(a$events == 0 | a$events == a$total)) 0.5 else 0
  x <- a$events + cc
  n <- a$total + 2 * cc
  logit <- log(x / (n - x))
  v <- 1 / x + 1 / (n - x)
  k <- nrow(a)
  V <- matrix(v[1], k - 1, k - 1)
  diag(V) <- v[1] + v[-1]
  blocks[[trial]] <- V
  for (j in 2:k) {
    design <- setNames(numeric(length(others)), others)
    t_j <- as.character(a$treatment[j])
    t_b <- as.character(a$treatment[1])
    design[t_j] <- 1
    if (t_b != reference) design[t_b] <- -1
    rows[[length(rows) + 1]] <- data.frame(
      trial = trial, comp = paste(t_j, t_b, sep = " vs "), yi = logit[j] - logit[1],
      t(design), check.names = FALSE)
  }
}
contrasts <- do.call(rbind, rows)
V <- bldiag(blocks)
X <- as.matrix(contrasts[, others, drop = FALSE])
tight <- list(rel.tol = 1e-10, iter.max = 10000, eval.max = 10000)
fixed <- rma.mv(yi, V, mods = X, intercept = FALSE, data = contrasts)
random <- rma.mv(yi, V, mods = X, intercept = FALSE, random = ~ comp | trial, rho = 1 / 2,
                 data = contrasts, method = "REML", control = tight)
coefs <- function(fit) list(estimate = setNames(as.list(as.numeric(fit$beta)), others),
                            se = setNames(as.list(as.numeric(fit$se)), others))
out <- list(
  arms = data.frame(trial = as.character(arms$trial), treatment = as.character(arms$treatment),
                    events = arms$events, total = arms$total),
  treatments = levels_,
  glm_fixed = list(estimate = setNames(as.list(glm_coef[glm_rows, 1]), others),
                   se = setNames(as.list(glm_coef[glm_rows, 2]), others)),
  rma_fixed = coefs(fixed),
  rma_random = c(coefs(random), list(tau2 = random$tau2))
)
writeLines(jsonlite::toJSON(out, digits = NA, auto_unbox = TRUE), out_path)
