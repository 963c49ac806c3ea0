# Reference values for src/seamless/logrank.py (DESIGN.md section 2).
# Run from /work/main:  Rscript tests/reference/logrank.R   -> tests/reference/logrank.json
#
# score U = sum over strata of (expected - observed) events in arm 1, variance V = survdiff$var[2, 2]
# (already summed over strata by survdiff), z = U / sqrt(V); all from
# survival::survdiff(Surv(time, event) ~ arm + strata(stratum)).
# Checks: a direct R transcription of the DESIGN.md section 2 formula, and the Cox score test with
# exact ties (coxph(..., ties = "exact"); its score test equals the log-rank test, hypergeometric
# variance included), stored as "coxph_exact_score_chisq" where it exists.
suppressMessages({
  library(survival)
  library(jsonlite)
})
out_file <- file.path("tests", "reference", "logrank.json")
versions <- sprintf("survival %s, %s", packageVersion("survival"), R.version.string)

datasets <- list()
add <- function(name, time, event, arm, stratum, note) {
  stopifnot(length(time) == length(event), length(time) == length(arm), length(time) == length(stratum))
  datasets[[length(datasets) + 1]] <<- list(name = name, time = time, event = as.integer(event),
                                            arm = as.integer(arm), stratum = as.integer(stratum), note = note)
}

add("no_ties_one_stratum",
    time  = c(2.3, 4.1, 5.7, 6.2, 7.9, 8.4, 9.1, 10.6, 11.2, 12.8, 13.5, 14.9, 15.3, 16.7, 18.2, 19.4, 21.0, 22.6, 24.3, 27.5),
    event = c(1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0),
    arm   = c(0, 1, 0, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0),
    stratum = rep(0, 20),
    note = "distinct times, one stratum")

add("many_ties",
    time  = c(3, 3, 3, 3, 5, 5, 5, 2, 2, 8, 8, 8, 6, 6, 1, 1, 4, 4, 4, 7,  3, 3, 5, 5, 5, 2, 2, 6, 6, 6),
    event = c(1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0,  1, 0, 1, 1, 0, 1, 0, 1, 1, 0),
    arm   = c(0, 1, 1, 0, 1, 0, 0, 1, 0, 1, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0,  1, 0, 0, 1, 1, 1, 0, 0, 1, 1),
    stratum = c(rep(0, 20), rep(1, 10)),
    note = "integer times: tied events between arms and events tied with censorings (censored at t still at risk at t), two strata")

add("three_strata",
    time  = c(1.5, 2.0, 2.0, 3.5, 4.0, 4.0, 5.5, 6.0, 7.5, 8.0, 9.0, 12.0,
              0.5, 1.0, 2.5, 2.5, 3.0, 4.5, 5.0, 5.0, 6.5, 7.0, 10.0, 11.0,
              1.0, 1.0, 2.0, 3.0, 3.0, 3.0, 4.0, 6.0, 8.0, 9.5, 9.5, 13.0),
    event = c(1, 1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 0,
              1, 1, 1, 0, 1, 1, 1, 1, 0, 1, 0, 1,
              1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0),
    arm   = c(0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1, 0,
              1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 1, 0,
              0, 1, 1, 0, 1, 1, 0, 0, 1, 0, 1, 1),
    stratum = rep(0:2, each = 12),
    note = "three strata of 12, with ties")

add("single_patient_stratum",
    time  = c(2, 4, 4, 6, 7, 9, 10, 11, 13, 15, 16, 18, 20, 21, 25,  5,  3, 3, 6, 8, 8, 12, 14, 14, 17, 19),
    event = c(1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1, 0, 1, 0,  1,  1, 0, 1, 1, 1, 0, 1, 0, 1, 0),
    arm   = c(1, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0, 1,  1,  0, 1, 1, 0, 1, 0, 0, 1, 1, 0),
    stratum = c(rep(0, 15), 1, rep(2, 10)),
    note = "stratum 1 holds exactly one patient (an event, Y = 1: contributes 0 to U and V)")

add("stratum_no_events",
    time  = c(1.2, 2.4, 3.1, 3.1, 4.8, 5.5, 6.0, 7.3, 8.8, 9.9, 11.0, 12.5,  2.0, 4.0, 6.0, 8.0, 10.0, 12.0, 14.0),
    event = c(1, 0, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0,  0, 0, 0, 0, 0, 0, 0),
    arm   = c(0, 1, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0,  0, 1, 0, 1, 1, 0, 1),
    stratum = c(rep(0, 12), rep(1, 7)),
    note = "stratum 1 has no events (contributes 0)")

add("arm_runs_out",
    time  = c(1, 2, 2, 3, 4, 5, 6, 7, 9, 10, 12, 15, 16, 18, 20,  1, 3, 3, 4, 6, 8, 9, 11, 14, 17),
    event = c(1, 1, 0, 1, 1, 0, 1, 1, 1, 0,  1,  1,  0,  1,  1,  0, 1, 1, 0, 1, 1, 1,  1,  0,  1),
    arm   = c(1, 1, 0, 1, 1, 1, 1, 1, 0, 0,  0,  0,  0,  0,  0,  1, 0, 1, 1, 0, 1, 0,  0,  1,  0),
    stratum = c(rep(0, 15), rep(1, 10)),
    note = "arm 1 has no one at risk after time 7 (stratum 0) and 14 (stratum 1) while control events continue")

add("stratum_one_arm_and_all_fail",
    time  = c(2, 3, 3, 5, 5, 5, 7, 8, 8, 10,  1, 2, 4, 4, 6, 9,  3, 3, 6, 6, 6, 6),
    event = c(1, 1, 1, 0, 1, 1, 1, 1, 0,  1,  1, 1, 0, 1, 1, 0,  1, 1, 1, 1, 1, 1),
    arm   = c(0, 1, 0, 1, 0, 1, 1, 0, 1,  0,  0, 0, 0, 0, 0, 0,  1, 0, 0, 1, 1, 0),
    stratum = c(rep(0, 10), rep(1, 6), rep(2, 6)),
    note = "stratum 1 holds only control patients (contributes 0); in stratum 2 every patient at risk at time 6 fails (d = Y > 1: (Y - d)/(Y - 1) = 0)")

# larger random set: exponential PFS, 3:2 allocation, 4 strata, uniform dropout, administrative cut at 24;
# times rounded to 0.1 so that ties occur (also between events and the cut-off censorings)
set.seed(20260217)
n <- 240
stratum <- sample(0:3, n, replace = TRUE, prob = c(0.4, 0.3, 0.2, 0.1))
arm <- rbinom(n, 1, 0.6)
rate <- log(2) / 8.3 * c(1, 1.2, 1.5, 0.8)[stratum + 1] * ifelse(arm == 1, 0.7, 1)
# parse the printed decimals so that R uses exactly the doubles a JSON reader gets
tt <- as.numeric(sprintf("%.1f", rexp(n, rate)))
cc <- pmin(as.numeric(sprintf("%.1f", runif(n, 0, 60))), 24)
add("random_240_four_strata",
    time = pmin(tt, cc), event = as.integer(tt <= cc), arm = arm, stratum = stratum,
    note = "set.seed(20260217); stratum ~ sample(0:3, prob = c(.4, .3, .2, .1)); arm ~ rbinom(0.6); T ~ rexp(log(2)/8.3 * c(1, 1.2, 1.5, .8)[stratum] * (0.7 if arm 1)) rounded to 0.1; C = min(runif(0, 60) rounded to 0.1, 24); time = min(T, C), event = T <= C")

# DESIGN.md section 2 formula, transcribed directly
design_formula <- function(time, event, arm, stratum) {
  U <- 0; V <- 0
  for (h in unique(stratum)) {
    s <- stratum == h
    for (t in sort(unique(time[s & event == 1]))) {
      at <- s & time >= t
      Y1 <- sum(at & arm == 1); Y0 <- sum(at & arm == 0); Y <- Y1 + Y0
      d <- sum(s & time == t & event == 1); d1 <- sum(s & time == t & event == 1 & arm == 1)
      U <- U + d * Y1 / Y - d1
      if (Y > 1) V <- V + d * (Y1 * Y0 / Y^2) * (Y - d) / (Y - 1)
    }
  }
  c(U, V)
}

out <- list()
for (ds in datasets) {
  df <- data.frame(time = ds$time, event = ds$event, arm = ds$arm, stratum = ds$stratum)
  sd <- survdiff(Surv(time, event) ~ arm + strata(stratum), data = df)
  obs <- if (is.matrix(sd$obs)) rowSums(sd$obs) else sd$obs
  expd <- if (is.matrix(sd$exp)) rowSums(sd$exp) else sd$exp
  U <- expd[2] - obs[2]
  V <- sd$var[2, 2]
  z <- U / sqrt(V)
  chk <- design_formula(df$time, df$event, df$arm, df$stratum)
  stopifnot(abs(chk[1] - U) < 1e-10, abs(chk[2] - V) < 1e-10, abs(z^2 - sd$chisq) < 1e-8)
  cx <- tryCatch({
    fit <- coxph(Surv(time, event) ~ arm + strata(stratum), data = df, ties = "exact")
    unname(fit$score)
  }, error = function(e) NA)
  cx_note <- if (is.na(cx)) "coxph(ties = \"exact\") failed" else
    sprintf("coxph(Surv(time, event) ~ arm + strata(stratum), ties = \"exact\")$score = %.12g (|diff to z^2| = %.2g)", cx, abs(cx - z^2))
  call <- sprintf("sd <- survival::survdiff(Surv(time, event) ~ arm + strata(stratum), data = df); score = sum(sd$exp[2, ]) - sum(sd$obs[2, ]) (exp summed over strata), variance = sd$var[2, 2], z = score/sqrt(variance) (z^2 = sd$chisq = %.12g); DESIGN.md s.2 formula transcribed in R agrees to %.2g; %s; %s. Data: %s",
                  sd$chisq, max(abs(chk - c(U, V))), cx_note, versions, ds$note)
  cat(sprintf("%-30s n=%3d U=% .10f V=%.10f z=% .10f  coxph-exact chisq diff %.2g\n", ds$name,
              nrow(df), U, V, z, abs(cx - z^2)))
  out[[length(out) + 1]] <- list(name = ds$name, time = I(ds$time), event = I(ds$event), arm = I(ds$arm),
                                 stratum = I(ds$stratum), score = unname(U), variance = unname(V),
                                 z = unname(z), coxph_exact_score_chisq = cx, call = call)
}
writeLines(toJSON(list(datasets = out), auto_unbox = TRUE, digits = NA, na = "null", null = "null",
                  pretty = TRUE), out_file)
cat("wrote", out_file, ":", length(out), "datasets\n")
