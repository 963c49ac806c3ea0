# Two-arm check of the survival design of DESIGN.md section 6 under piecewise-constant (non-proportional)
# hazards, with rpact: 3:2 allocation, 273 events, LD-OBF efficacy at 0.75 and 1 only, non-binding futility
# z < 0 at 0.3 (82 events); same accrual, dropout and design as tests/reference/survival_design.R.
# Run from /work/main:  Rscript tests/reference/piecewise_survival.R   -> tests/reference/piecewise_survival.json
# (three patient-level simulations of 100000 trials each; a few minutes).
#
# Hazards: time since entry is split at 4 months (piecewiseSurvivalTime = c(0, 4)). The control hazard is
# log(2)/8.3 in both pieces; the experimental hazard is lambda2 * hr with a per-piece hazard-ratio vector hr:
#   delayed  c(1.0, 0.6)   no effect for 4 months, then HR 0.6
#   crossing c(1.3, 0.6)   harm for 4 months, then HR 0.6
#   null     c(1.0, 1.0)
#
# How rpact takes piecewise hazards (?getSimulationSurvival, ?getPiecewiseSurvivalTime): lambda2 and lambda1
# as vectors of the same length as piecewiseSurvivalTime (first element 0), one hazard per piece. hazardRatio
# must not be given as well: with lambda1 given it is "ignored because it will be calculated" (a warning), and
# with lambda2 alone it is one hazard ratio for all pieces, i.e. proportional hazards. getSimulationSurvival
# calls getPiecewiseSurvivalTime(..., delayedResponseAllowed = TRUE) itself, so an HR of 1 in the first piece
# is accepted. rpact reports the calculated hazardRatio per piece (c(1, 0.6), c(1.3, 0.6)); when lambda1 equals
# lambda2 in every piece it collapses it to a single 1.
#
# Orientation: rpact's directionUpper = FALSE makes HR < 1 the alternative, i.e. z > 0 favours the
# experimental arm as in DESIGN.md. getSimulationSurvival ignores allocationRatioPlanned; the 3:2 allocation is
# given as allocation1 = 3, allocation2 = 2 (group 1 = experimental, group 2 = control).
#
# "proportional_hazards_promise": what the normal-approximation design calculation (getPowerSurvival,
# proportional hazards, exponential control with median 8.3) promises at HR 0.6 (the post-delay HR of the
# delayed scenario) and at HR 0.667 (the design HR), for comparison with the simulated delayed-effect power.
suppressMessages({
  library(rpact)
  library(jsonlite)
})
out_file <- file.path("tests", "reference", "piecewise_survival.json")
versions <- sprintf("rpact %s, %s", packageVersion("rpact"), R.version.string)
n_iter <- 100000
seed <- 12345

a75 <- 2 - 2 * pnorm(qnorm(1 - 0.025 / 2) / sqrt(0.75))
design_call <- sprintf("getDesignGroupSequential(informationRates = c(0.3, 0.75, 1), typeOfDesign = \"asUser\", userAlphaSpending = c(0, %.15g, 0.025), alpha = 0.025, sided = 1, futilityBounds = c(0, -6), bindingFutility = FALSE)", a75)
design <- eval(parse(text = design_call))
bounds <- as.numeric(design$criticalValues)
bounds[!is.finite(bounds)] <- NA

# Everything but the hazards, shared by all calls.
common <- "dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12, accrualTime = c(0, 6), accrualIntensity = c(8, 20), maxNumberOfSubjects = 455, directionUpper = FALSE"
K <- 3
fmt <- function(x) paste(sprintf("%.6g", x), collapse = " ")
pad_fut <- function(x) c(as.numeric(x), rep(0, K - length(x)))   # no futility at the final look
rvec <- function(x) sprintf("c(%s)", paste(format(x), collapse = ", "))

scenarios <- list(delayed = c(1.0, 0.6), crossing = c(1.3, 0.6), null = c(1.0, 1.0))

# ---------------------------------------------------------------- patient-level simulation, piecewise hazards
sim_out <- list()
for (name in names(scenarios)) {
  hr <- scenarios[[name]]
  hazards <- sprintf("piecewiseSurvivalTime = c(0, 4), lambda2 = c(log(2)/8.3, log(2)/8.3), lambda1 = c(log(2)/8.3, log(2)/8.3) * %s",
                     rvec(hr))
  call <- sprintf("getSimulationSurvival(design, %s, %s, allocation1 = 3, allocation2 = 2, plannedEvents = c(82, 205, 273), maxNumberOfIterations = %d, seed = %d)",
                  hazards, common, n_iter, seed)
  tm <- system.time(s <- eval(parse(text = call)))[["elapsed"]]
  rej <- as.numeric(s$overallReject)
  e <- list(
    scenario = name,
    hazard_ratios = I(hr),
    lambda1 = I(as.numeric(s$lambda1)),
    lambda2 = I(as.numeric(s$lambda2)),
    rpact_hazard_ratio = I(as.numeric(s$hazardRatio)),
    iterations = n_iter,
    seed = seed,
    overall_reject = rej,
    overall_reject_se = sqrt(rej * (1 - rej) / n_iter),
    reject_per_look = I(as.numeric(s$rejectPerStage)),
    futility_per_look = I(pad_fut(s$futilityPerStage)),
    early_stop = as.numeric(s$earlyStop),
    expected_events = as.numeric(s$expectedNumberOfEvents),
    analysis_times = I(as.numeric(s$analysisTime)),
    expected_study_duration = as.numeric(s$studyDuration),
    expected_subjects = as.numeric(s$expectedNumberOfSubjects),
    subjects_per_look = I(as.numeric(s$numberOfSubjects)),
    events_not_achieved = I(as.numeric(s$eventsNotAchieved)),
    iterations_per_look = I(as.numeric(s$iterations)),
    elapsed_seconds = tm,
    call = paste0("design <- ", design_call, "; ", call,
                  " -> lambda1, lambda2, hazardRatio, overallReject, rejectPerStage, futilityPerStage (looks 1..K-1; 0 appended for the final look), earlyStop, expectedNumberOfEvents, analysisTime (mean calendar time of each analysis over the trials that reach it), studyDuration, expectedNumberOfSubjects, numberOfSubjects (per look, over trials reaching it), eventsNotAchieved, iterations (per look); unstratified log-rank, patient level; ",
                  versions))
  cat(sprintf("sim %-8s HR %s (%d it, %.0f s): reject %.5f (se %.5f) per look %s futility %s early stop %.5f E[events] %.2f times %s duration %.3f E[subjects] %.2f\n",
              name, fmt(hr), n_iter, tm, rej, e$overall_reject_se, fmt(e$reject_per_look),
              fmt(e$futility_per_look), e$early_stop, e$expected_events,
              fmt(e$analysis_times), e$expected_study_duration, e$expected_subjects))
  sim_out[[name]] <- e
}

# ---------------------------------------------------------------- what a proportional-hazards calculation promises
promise_out <- list()
for (hr in c(0.6, 0.667)) {
  call <- sprintf("getPowerSurvival(design, hazardRatio = %s, lambda2 = log(2)/8.3, %s, allocationRatioPlanned = 1.5, maxNumberOfEvents = 273)",
                  format(hr), common)
  p <- eval(parse(text = call))
  e <- list(
    hazard_ratio = hr,
    overall_reject = p$overallReject,
    reject_per_look = I(as.numeric(p$rejectPerStage)),
    futility_per_look = I(pad_fut(p$futilityPerStage)),
    early_stop = as.numeric(p$earlyStop),
    expected_events = as.numeric(p$expectedNumberOfEvents),
    analysis_times = I(as.numeric(p$analysisTime)),
    expected_study_duration = as.numeric(p$studyDuration),
    expected_subjects = as.numeric(p$expectedNumberOfSubjects),
    call = paste0("design <- ", design_call, "; ", call,
                  " -> overallReject, rejectPerStage, futilityPerStage (looks 1..K-1; 0 appended for the final look), earlyStop, expectedNumberOfEvents, analysisTime, studyDuration, expectedNumberOfSubjects; normal approximation, proportional hazards; ",
                  versions))
  cat(sprintf("PH promise HR %.3f: power %.6f reject %s futility %s E[events] %.3f times %s\n",
              hr, e$overall_reject, fmt(e$reject_per_look), fmt(e$futility_per_look),
              e$expected_events, fmt(e$analysis_times)))
  promise_out[[length(promise_out) + 1]] <- e
}

res <- list(
  design = list(information_rates = I(c(0.3, 0.75, 1)), planned_events = I(c(82, 205, 273)),
                efficacy_bounds = I(bounds), futility_bounds = I(c(0, NA, NA)), binding_futility = FALSE,
                allocation_ratio = 1.5, piecewise_survival_time = I(c(0, 4)), control_median = 8.3,
                control_hazard = I(rep(log(2) / 8.3, 2)),
                scenarios = lapply(scenarios, I),
                dropout_per_year = 0.05, accrual_time = I(c(0, 6)), accrual_intensity = I(c(8, 20)),
                max_subjects = 455, call = paste0(design_call, "$criticalValues; ", versions)),
  simulation = sim_out,
  proportional_hazards_promise = promise_out)
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), out_file)
cat("wrote", out_file, "\n")
