# Reference values for `simulate analyze` (src/seamless/observed/analysis.py; EXTENSIONS.md section 4).
# Run from the repository root:  Rscript tests/reference/analysis.R   -> tests/reference/analysis.json
#
# Data: tests/data/analysis_trial{3,6}.csv (two simulated trials of tests/data/analysis.toml, the SUCCESSOR-2
# design in increments mode with CG looks at 205 and 273 events). Everything is computed here from the
# patient rows, independently of the package:
# - the analysis times by the design's rules: A1 = last stage-1 entry + 3 months; look k at the calendar time
#   of the k-th target's CG event (CG: stage-1 control and selected dose, all of stage 2);
# - stratified log-rank U (expected - observed on the dose) and V with survival::survdiff on the data cut at
#   each time (a patient entered before the cut, followed to min(time, cut - entry));
# - increments mode, with rpact 3.3.4 getAnalysisResults: a three-stage getDesignInverseNormal
#   (information rates 0.21, 0.75, 1; user spending 0 at A1 and the O'Brien-Fleming-type alpha(t) at 0.75 and
#   1, whose bounds are the design's) and getDataset with the stage-wise log-rank statistics (rpact's sign:
#   -z) and "events" floor(V / 0.24): rpact's information is events * r / (1 + r)^2 (r = 1.5), and it takes
#   whole events only, so its repeated CI is compared with ours computed from the same information, 0.24 x
#   the events given (written out as rpact_events).
#   The look at 205 events is rpact's stage 2: closed-test statistics, decisions, repeated CI, conditional
#   rejection probability and conditional power (68 planned events to the final look) come from rpact.
#   rpact gives no repeated p-value with user spending: it is the root in alpha of rpact's stage-2
#   critical value (getDesignInverseNormal at alpha) minus rpact's closed-test statistic.
# - cohort mode (no external implementation): the stage-1 cohort's z of each dose at the look and the
#   Dunnett p-value of every intersection by mvtnorm::pmvnorm (Miwa algorithm, allocation correlation
#   0.6), the stage-2 cohort's z by survdiff, and the combined z w1 qnorm(1 - p1) + w2 z2, w1^2 = 0.33.
suppressMessages({
  library(rpact)
  library(survival)
  library(mvtnorm)
  library(jsonlite)
})
out_file <- file.path("tests", "reference", "analysis.json")
versions <- sprintf("rpact %s, survival %s, mvtnorm %s, %s", packageVersion("rpact"), packageVersion("survival"),
                    packageVersion("mvtnorm"), R.version.string)
doses <- c("0.3mg", "0.6mg", "1.0mg")
ratio <- 1.5                         # 3:2, stage 1 (3 per dose : 2 control) and stage 2
information_rates <- c(0.21, 0.75, 1)
alpha <- 0.025
obf <- function(t, a) 2 - 2 * pnorm(qnorm(1 - a / 2) / sqrt(t))

cut_at <- function(data, tau) {
  data <- data[data$entry < tau, ]
  data$event <- as.integer(data$event == 1 & data$entry + data$time <= tau)
  data$time <- pmin(data$time, tau - data$entry)
  data
}

logrank <- function(data, dose) {
  # U (expected - observed on the dose) and V of `dose` vs control, stratified by the three factors.
  data <- data[data$arm %in% c("Kd", dose), ]
  data$group <- factor(ifelse(data$arm == dose, "dose", "control"), levels = c("control", "dose"))
  fit <- survdiff(Surv(time, event) ~ group + strata(age, prior_lines, iss), data = data)
  observed <- if (is.matrix(fit$obs)) rowSums(fit$obs) else fit$obs  # one column per stratum
  expected <- if (is.matrix(fit$exp)) rowSums(fit$exp) else fit$exp
  list(U = unname(expected[2] - observed[2]), V = fit$var[2, 2])
}

dunnett_p <- function(z, members) {
  # 1 - F_S(max z over S), correlation 0.6 between doses (allocation 3:3:3:2).
  k <- length(members)
  if (k == 1) return(pnorm(max(z[members]), lower.tail = FALSE))
  sigma <- matrix(0.6, k, k)
  diag(sigma) <- 1
  1 - pmvnorm(upper = rep(max(z[members]), k), sigma = sigma, algorithm = Miwa(steps = 4097))[1]
}

intersections <- function(selected) {
  # Every subset of doses (as names joined by "+", in dose order), those containing `selected` if given.
  out <- list()
  for (mask in 1:7) {
    members <- which(bitwAnd(mask, c(1, 2, 4)) > 0)
    if (is.null(selected) || selected %in% members) out[[paste(doses[members], collapse = "+")]] <- members
  }
  out
}

analyse <- function(file) {
  data <- read.csv(file, stringsAsFactors = FALSE)
  stage1 <- data[data$stage == 1, ]
  a1 <- max(stage1$entry) + 3
  selected_name <- unique(data$arm[data$stage == 2 & data$arm != "Kd"])
  selected <- match(selected_name, doses)
  cg <- data[data$stage == 2 | data$arm %in% c("Kd", selected_name), ]
  cg_events <- sort((cg$entry + cg$time)[cg$event == 1])
  look_time <- cg_events[c(205, 273)]
  look_time <- look_time[!is.na(look_time) & look_time <= max(data$entry + data$time)]

  at_a1 <- lapply(doses, function(d) logrank(cut_at(stage1, a1), d))
  z1 <- sapply(at_a1, function(s) s$U / sqrt(s$V))
  v1 <- sapply(at_a1, function(s) s$V)

  looks <- list()
  for (k in seq_along(look_time)) {
    tau <- look_time[k]
    union <- logrank(cut_at(cg, tau), selected_name)
    increment_v <- union$V - v1[selected]
    z_increment <- (union$U - at_a1[[selected]]$U) / sqrt(increment_v)
    # cohort mode pieces at the look
    at_look <- lapply(doses, function(d) logrank(cut_at(stage1, tau), d))
    z1_look <- sapply(at_look, function(s) s$U / sqrt(s$V))
    stage2 <- logrank(cut_at(data[data$stage == 2, ], tau), selected_name)
    z2 <- stage2$U / sqrt(stage2$V)
    p1 <- lapply(intersections(selected), function(m) dunnett_p(z1_look, m))
    combined <- lapply(p1, function(p) sqrt(0.33) * qnorm(1 - p) + sqrt(0.67) * z2)
    looks[[k]] <- list(time = tau, union_U = union$U, union_V = union$V, increment_z = z_increment,
                       increment_V = increment_v,
                       cohort = list(stage1_z = z1_look, stage1_V = sapply(at_look, function(s) s$V),
                                     stage1_p = p1, stage2_z = z2, stage2_V = stage2$V, combined_z = combined))
  }

  # rpact at the interim (its stage 2): increments mode.
  design <- getDesignInverseNormal(kMax = 3, alpha = alpha, informationRates = information_rates,
                                   typeOfDesign = "asUser",
                                   userAlphaSpending = c(0, obf(0.75, alpha), alpha))
  events <- function(v) floor(v / (ratio / (1 + ratio)^2))
  # rpact 3.3.4's getDataset refuses a survival data set whose last arm alone continues: the selected dose is
  # rpact's arm 1 (the Dunnett correlations are equal, so the order of the doses does not matter).
  order <- c(selected, setdiff(seq_along(doses), selected))
  args <- list()
  for (i in seq_along(order)) {
    j <- order[i]
    later <- if (j == selected) events(looks[[1]]$increment_V) else NA
    lr <- if (j == selected) -looks[[1]]$increment_z else NA
    args[[paste0("events", i)]] <- c(events(v1[j]), later)
    args[[paste0("logRanks", i)]] <- c(-z1[j], lr)
    args[[paste0("allocationRatios", i)]] <- c(ratio, if (j == selected) ratio else NA)
  }
  dataset <- do.call(getDataset, args)
  hr_observed <- exp(-looks[[1]]$union_U / looks[[1]]$union_V)
  result <- function(theta) {
    suppressWarnings(getAnalysisResults(design, dataset, stage = 2, directionUpper = FALSE,
                                        intersectionTest = "Dunnett", nPlanned = 68, thetaH1 = theta,
                                        allocationRatioPlanned = ratio))
  }
  planned <- result(0.72)
  observed <- result(hr_observed)
  closed <- getClosedCombinationTestResults(getStageResults(design, dataset, stage = 2, directionUpper = FALSE,
                                                            intersectionTest = "Dunnett"))
  rows <- apply(closed$indices, 1, function(r) paste(doses[sort(order[r == 1])], collapse = "+"))
  statistic <- closed$overallAdjustedTestStatistics[, 2]
  names(statistic) <- rows
  binding <- min(statistic[!is.na(statistic) & sapply(strsplit(rows, "\\+"), function(m) selected_name %in% m)])
  critical <- function(a) {
    getDesignInverseNormal(kMax = 3, alpha = a, informationRates = information_rates, typeOfDesign = "asUser",
                           userAlphaSpending = c(0, obf(0.75, a), a))$criticalValues[2]
  }
  repeated_p <- uniroot(function(a) critical(a) - binding, c(1e-6, 0.49), tol = 1e-13)$root

  list(file = basename(file), selected = selected_name, selection_time = a1, stage1_z = z1, stage1_V = v1,
       stage1_p = lapply(intersections(NULL), function(m) dunnett_p(z1, m)), looks = looks,
       rpact = list(
         rpact_events = list(stage1 = events(v1[selected]), stage2 = events(looks[[1]]$increment_V)),
         critical_values = design$criticalValues[2:3],
         closed_statistics = as.list(statistic[!is.na(statistic)]),
         rejected = planned$.closedTestResults$rejected[1, 2],
         repeated_ci = c(planned$repeatedConfidenceIntervalLowerBounds[1, 2],
                         planned$repeatedConfidenceIntervalUpperBounds[1, 2]),
         conditional_rejection_probability = planned$conditionalRejectionProbabilities[1, 2],
         conditional_power_planned = planned$conditionalPower[1, 3], planned_hr = 0.72,
         conditional_power_observed = observed$conditionalPower[1, 3], observed_hr = hr_observed,
         repeated_p = repeated_p))
}

files <- file.path("tests", "data", c("analysis_trial3.csv", "analysis_trial6.csv"))
out <- list(versions = versions, trials = lapply(files, analyse))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), out_file)
cat("wrote", out_file, "\n")
