# Two-arm check of DESIGN.md section 6 with rpact: 3:2 allocation, 273 events, LD-OBF efficacy at 0.75 and 1
# only, non-binding futility z < 0 at 0.3 (82 events).
# Run from /work/main:  Rscript tests/reference/survival_design.R   -> tests/reference/survival_design.json
#
# Orientation: rpact's directionUpper = FALSE makes HR < 1 the alternative, i.e. z > 0 favours the
# experimental arm as in DESIGN.md (with the default directionUpper = TRUE the "power" at HR 0.667 is ~0).
# getSimulationSurvival ignores allocationRatioPlanned; the 3:2 allocation is given as allocation1 = 3,
# allocation2 = 2 (group 1 = experimental, group 2 = control).
suppressMessages({
  library(rpact)
  library(jsonlite)
})
out_file <- file.path("tests", "reference", "survival_design.json")
versions <- sprintf("rpact %s, %s", packageVersion("rpact"), R.version.string)
n_iter <- 100000
seed <- 12345

a75 <- 2 - 2 * pnorm(qnorm(1 - 0.025 / 2) / sqrt(0.75))
design_call <- sprintf("getDesignGroupSequential(informationRates = c(0.3, 0.75, 1), typeOfDesign = \"asUser\", userAlphaSpending = c(0, %.15g, 0.025), alpha = 0.025, sided = 1, futilityBounds = c(0, -6), bindingFutility = FALSE)", a75)
design <- eval(parse(text = design_call))
bounds <- as.numeric(design$criticalValues)
bounds[!is.finite(bounds)] <- NA

common <- "hazardRatio = %s, lambda2 = log(2)/8.3, dropoutRate1 = 0.05, dropoutRate2 = 0.05, dropoutTime = 12, accrualTime = c(0, 6), accrualIntensity = c(8, 20), maxNumberOfSubjects = 455, directionUpper = FALSE"
K <- 3
fmt <- function(x) paste(sprintf("%.6g", x), collapse = " ")
pad_fut <- function(x) c(as.numeric(x), rep(0, K - length(x)))   # no futility at the final look

# ---------------------------------------------------------------- normal approximation
power_out <- list()
for (hr in c(0.667, 1)) {
  call <- sprintf("getPowerSurvival(design, %s, allocationRatioPlanned = 1.5, maxNumberOfEvents = 273)",
                  sprintf(common, format(hr)))
  p <- eval(parse(text = call))
  e <- list(
    hazard_ratio = hr,
    overall_reject = p$overallReject,
    reject_per_look = I(as.numeric(p$rejectPerStage)),
    futility_per_look = I(pad_fut(p$futilityPerStage)),
    early_stop = as.numeric(p$earlyStop),
    expected_events = as.numeric(p$expectedNumberOfEvents),
    events_per_look = I(as.numeric(p$eventsPerStage)),
    analysis_times = I(as.numeric(p$analysisTime)),
    expected_study_duration = as.numeric(p$studyDuration),
    max_study_duration = as.numeric(p$maxStudyDuration),
    subjects_per_look = I(as.numeric(p$numberOfSubjects)),
    expected_subjects = as.numeric(p$expectedNumberOfSubjects),
    total_accrual_time = as.numeric(p$totalAccrualTime),
    call = paste0("design <- ", design_call, "; ", call,
                  " -> overallReject, rejectPerStage, futilityPerStage (looks 1..K-1; 0 appended for the final look), earlyStop, expectedNumberOfEvents, eventsPerStage, analysisTime, studyDuration, maxStudyDuration, numberOfSubjects, expectedNumberOfSubjects, totalAccrualTime; ",
                  versions))
  cat(sprintf("approx HR %.3f: power %.6f reject %s futility %s early stop %.5f E[events] %.3f times %s E[subjects] %.2f\n",
              hr, e$overall_reject, fmt(e$reject_per_look),
              fmt(e$futility_per_look), e$early_stop,
              e$expected_events, fmt(e$analysis_times), e$expected_subjects))
  power_out[[length(power_out) + 1]] <- e
}

# ---------------------------------------------------------------- patient-level simulation
sim_out <- list()
for (hr in c(0.667, 1)) {
  call <- sprintf("getSimulationSurvival(design, %s, allocation1 = 3, allocation2 = 2, plannedEvents = c(82, 205, 273), maxNumberOfIterations = %d, seed = %d)",
                  sprintf(common, format(hr)), n_iter, seed)
  tm <- system.time(s <- eval(parse(text = call)))[["elapsed"]]
  rej <- as.numeric(s$overallReject)
  e <- list(
    hazard_ratio = hr,
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
                  " -> overallReject, rejectPerStage, futilityPerStage (looks 1..K-1; 0 appended for the final look), earlyStop, expectedNumberOfEvents, analysisTime (mean calendar time of each analysis over the trials that reach it), studyDuration, expectedNumberOfSubjects, numberOfSubjects (per look, over trials reaching it), eventsNotAchieved, iterations (per look); unstratified log-rank, patient level; ",
                  versions))
  cat(sprintf("sim HR %.3f (%d it, %.0f s): reject %.5f (se %.5f) per look %s futility %s early stop %.5f E[events] %.2f times %s duration %.3f E[subjects] %.2f\n",
              hr, n_iter, tm, rej, e$overall_reject_se, fmt(e$reject_per_look),
              fmt(e$futility_per_look), e$early_stop, e$expected_events,
              fmt(e$analysis_times), e$expected_study_duration, e$expected_subjects))
  sim_out[[length(sim_out) + 1]] <- e
}

# ---------------------------------------------------------------- fixed design, H0: skew of the patient-level log-rank
# DESIGN.md section 6: "P(z > 1.96) is about 0.026 at 273 events with 3:2, 0.025 with 1:1"
fixed_out <- list()
fixed_design_call <- "getDesignGroupSequential(kMax = 1, alpha = 0.025, sided = 1)"
fixed <- eval(parse(text = fixed_design_call))
for (alloc in list(c(3, 2), c(1, 1))) {
  call <- sprintf("getSimulationSurvival(fixed, %s, allocation1 = %d, allocation2 = %d, plannedEvents = 273, maxNumberOfIterations = %d, seed = %d)",
                  sprintf(common, "1"), alloc[1], alloc[2], n_iter, seed)
  s <- eval(parse(text = call))
  rej <- as.numeric(s$overallReject)
  fixed_out[[length(fixed_out) + 1]] <- list(
    allocation = I(alloc), hazard_ratio = 1, events = 273, critical_value = as.numeric(fixed$criticalValues),
    iterations = n_iter, reject = rej, reject_se = sqrt(rej * (1 - rej) / n_iter),
    call = paste0("fixed <- ", fixed_design_call, "; ", call, " -> overallReject; ", versions))
  cat(sprintf("fixed design H0 allocation %d:%d, 273 events: P(z > %.4f) = %.5f (se %.5f)\n", alloc[1], alloc[2],
              fixed$criticalValues, rej, sqrt(rej * (1 - rej) / n_iter)))
}

res <- list(
  design = list(information_rates = I(c(0.3, 0.75, 1)), planned_events = I(c(82, 205, 273)),
                efficacy_bounds = I(bounds), futility_bounds = I(c(0, NA, NA)), binding_futility = FALSE,
                allocation_ratio = 1.5, hazard_ratios = I(c(0.667, 1)), control_median = 8.3,
                dropout_per_year = 0.05, accrual_time = I(c(0, 6)), accrual_intensity = I(c(8, 20)),
                max_subjects = 455, call = paste0(design_call, "$criticalValues; ", versions)),
  power_approximation = power_out,
  simulation = sim_out,
  fixed_design_null = fixed_out,
  expected_from_design_md = list(power_simulation = 0.8877, power_approximation = 0.8822,
                                 type_one_error_simulation = 0.0254, futility_stop_h0_simulation = 0.501,
                                 type_one_error_approximation = 0.0235))
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), out_file)
cat("wrote", out_file, "\n")
