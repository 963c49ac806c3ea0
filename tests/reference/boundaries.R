# Reference values for src/seamless/boundaries.py (DESIGN.md section 5).
# Run from /work/main:  Rscript tests/reference/boundaries.R   -> tests/reference/boundaries.json
#
# "cases":    rpact getDesignGroupSequential efficacy bounds (one-sided), plus an independent
#             recomputation of every bound by sequential uniroot on mvtnorm::pmvnorm(Miwa) (stored as
#             "efficacy_bounds_mvtnorm"). A look without efficacy is written as null.
# "crossing": exact first-crossing probabilities by mvtnorm::pmvnorm(Miwa(steps = 4097)), cross-checked
#             with rpact getPowerAndAverageSampleNumber (difference noted in "call").
suppressMessages({
  library(rpact)
  library(mvtnorm)
  library(jsonlite)
})

out_file <- file.path("tests", "reference", "boundaries.json")
MIWA <- Miwa(steps = 4097)
# Miwa replaces an infinite limit by +-1000 when a dimension has one finite limit (exact to double precision)
pmvnorm <- function(...) suppressWarnings(mvtnorm::pmvnorm(...))
versions <- sprintf("rpact %s, mvtnorm %s, %s", packageVersion("rpact"), packageVersion("mvtnorm"),
                    R.version.string)

# ---------------------------------------------------------------- spending functions (analytic)
spend <- function(kind, param, t, alpha) {
  switch(kind,
    obf = 2 * pnorm(qnorm(1 - alpha / 2) / sqrt(t), lower.tail = FALSE),
    pocock = alpha * log(1 + (exp(1) - 1) * t),
    hsd = if (param == 0) alpha * t else alpha * (1 - exp(-param * t)) / (1 - exp(-param)),
    kd = alpha * t^param)
}
rpact_type <- c(obf = "asOF", pocock = "asP", hsd = "asHSD", kd = "asKD")
spending_string <- function(kind, param) if (is.null(param)) kind else paste0(kind, ":", format(param))
vec_str <- function(x) paste0("c(", paste(format(x, digits = 15), collapse = ", "), ")")

corr_matrix <- function(t) outer(t, t, function(a, b) sqrt(pmin(a, b) / pmax(a, b)))

# ---------------------------------------------------------------- independent bound solver
# P(lower < Z < upper) for the first k components; dimensions with (-Inf, Inf) are integrated out
# exactly by dropping them (Miwa can crash on several infinite limits).
pmv <- function(lower, upper, mean, S) {
  keep <- is.finite(lower) | is.finite(upper)
  if (!any(keep)) return(1)
  if (sum(keep) == 1) return(pnorm(upper[keep], mean[keep]) - pnorm(lower[keep], mean[keep]))
  as.numeric(pmvnorm(lower = lower[keep], upper = upper[keep], mean = mean[keep],
                     corr = S[keep, keep, drop = FALSE], algorithm = MIWA))
}
# P_H0(no crossing before look k, Z_k >= x) computed directly (no 1 - P cancellation)
p_cross_at <- function(b_prev, x, S) {
  k <- length(b_prev) + 1
  if (k == 1) return(pnorm(x, lower.tail = FALSE))
  pmv(c(rep(-Inf, k - 1), x), c(b_prev, Inf), rep(0, k), S[1:k, 1:k, drop = FALSE])
}
mvtnorm_bounds <- function(t, cum_alpha, looks) {
  K <- length(t); S <- corr_matrix(t); b <- rep(Inf, K)
  prev <- 0
  for (k in seq_len(K)) {
    if (!(k %in% looks)) next
    inc <- cum_alpha[k] - prev
    if (k == 1) {
      b[k] <- qnorm(inc, lower.tail = FALSE)
    } else {
      # solve on the log scale: increments can be ~1e-12
      f <- function(x) log(p_cross_at(b[seq_len(k - 1)], x, S)) - log(inc)
      b[k] <- uniroot(f, c(-1, 12), tol = 1e-12)$root
    }
    prev <- cum_alpha[k]
  }
  b
}

# ---------------------------------------------------------------- one boundary case
make_case <- function(t, alpha, kind, param = NULL, looks = seq_along(t), published = NULL) {
  K <- length(t)
  all_looks <- length(looks) == K
  spent <- spend(kind, param, t, alpha)
  spent[K] <- alpha
  # cumulative alpha at each look: spending value at efficacy looks; a look without efficacy repeats
  # the previous efficacy look's value (0 before the first); the last look spends all of alpha.
  cum_user <- numeric(K); prev <- 0
  for (k in seq_len(K)) {
    if (k %in% looks) prev <- spent[k]
    cum_user[k] <- prev
  }
  if (all_looks) {
    args <- list(informationRates = t, typeOfDesign = rpact_type[[kind]], alpha = alpha, sided = 1)
    if (!is.null(param)) args$gammaA <- param
    call <- sprintf("getDesignGroupSequential(informationRates = %s, typeOfDesign = \"%s\", %salpha = %s, sided = 1)$criticalValues",
                    vec_str(t), rpact_type[[kind]],
                    if (is.null(param)) "" else sprintf("gammaA = %s, ", format(param)), format(alpha))
  } else {
    args <- list(informationRates = t, typeOfDesign = "asUser", userAlphaSpending = cum_user,
                 alpha = alpha, sided = 1)
    call <- sprintf("getDesignGroupSequential(informationRates = %s, typeOfDesign = \"asUser\", userAlphaSpending = %s, alpha = %s, sided = 1)$criticalValues  # userAlphaSpending = %s spending at efficacy looks %s, previous value repeated at looks without efficacy",
                    vec_str(t), vec_str(cum_user), format(alpha), spending_string(kind, param),
                    vec_str(looks))
  }
  d <- suppressWarnings(suppressMessages(do.call(getDesignGroupSequential, args)))
  bounds <- as.numeric(d$criticalValues)
  no_eff <- !(seq_len(K) %in% looks)
  # rpact returns Inf or a large value where there is no efficacy (its root-finding tolerance can leave
  # ~1e-11 of alpha to be "spent" at a look without efficacy, e.g. a bound of 4.98); written as null.
  rpact_no_eff <- bounds[no_eff]
  bounds[no_eff] <- NA
  cum <- cum_user; cum[no_eff] <- NA
  mv <- mvtnorm_bounds(t, cum_user, looks)
  mv[no_eff] <- NA
  diff <- max(abs(mv - bounds), na.rm = TRUE)
  # rpact solves to an alpha tolerance of 1e-8 (its minimum allowed is 1e-10); where that leaves its bound
  # more than 1e-7 from the exact mvtnorm recursion, the mvtnorm value is the reference.
  use_mv <- diff > 1e-7
  ref <- if (use_mv) mv else bounds
  call <- paste0(call, sprintf("; rpact criticalValues = %s (no-efficacy looks: %s); rpact alphaSpent = %s; cumulative_alpha = analytic spending function; efficacy_bounds_mvtnorm = sequential uniroot(tol = 1e-12) on log P(first crossing at k) by mvtnorm::pmvnorm(algorithm = Miwa(steps = 4097)), max |rpact - mvtnorm| = %.3g; efficacy_bounds = %s; %s",
                             vec_str(bounds), vec_str(rpact_no_eff), vec_str(as.numeric(d$alphaSpent)), diff,
                             if (use_mv) "mvtnorm values (rpact off by more than 1e-7, see efficacy_bounds_rpact)" else "rpact values",
                             versions))
  entry <- list(information_rates = I(t), alpha = alpha, spending = spending_string(kind, param),
                efficacy_looks = I(as.integer(looks)), efficacy_bounds = I(ref),
                cumulative_alpha = I(cum), efficacy_bounds_rpact = I(bounds),
                efficacy_bounds_mvtnorm = I(mv), call = call)
  if (!is.null(published)) {
    pub_diff <- max(abs(published - bounds), na.rm = TRUE)
    cat(sprintf("published check %s %s looks %s: max |rpact - published| = %.3g\n",
                vec_str(t), kind, vec_str(looks), pub_diff))
    stopifnot(pub_diff < 1e-6)
    entry$published_bounds <- I(published)
    entry$call <- paste0(entry$call, sprintf("; DESIGN.md section 5 published (6 decimals) %s reproduced, max |diff| = %.3g",
                                             vec_str(published), pub_diff))
  }
  cat(sprintf("%-7s %-24s looks %-12s alpha %.3f: bounds %s  (mvtnorm diff %.2e%s)\n",
              spending_string(kind, param), vec_str(t), vec_str(looks), alpha,
              paste(format(ref, digits = 8), collapse = " "), diff, if (use_mv) " USING MVTNORM" else ""))
  entry
}

rates <- list(c(0.75, 1), c(0.3, 0.75, 1), c(0.5, 1), c(0.25, 0.5, 0.75, 1),
              c(0.2, 0.4, 0.6, 0.8, 1), c(0.1, 0.35, 1))
cases <- list()
add <- function(x) cases[[length(cases) + 1]] <<- x

# published DESIGN.md section 5 values (rpact 3.3.4)
add(make_case(c(0.75, 1), 0.025, "obf", published = c(2.339711, 2.011777)))
add(make_case(c(0.3, 0.75, 1), 0.025, "obf", published = c(3.928573, 2.340302, 2.011866)))
add(make_case(c(0.3, 0.75, 1), 0.025, "obf", looks = c(2, 3), published = c(NA, 2.339711, 2.011777)))

# all looks with efficacy
for (t in rates[-(1:2)]) add(make_case(t, 0.025, "obf"))
for (t in rates) add(make_case(t, 0.025, "pocock"))
for (g in c(-4, -2, 1)) for (t in rates[c(2, 4, 6)]) add(make_case(t, 0.025, "hsd", g))
for (r in c(1, 2, 3)) for (t in rates[c(2, 4, 6)]) add(make_case(t, 0.025, "kd", r))
for (a in c(0.05, 0.01)) {
  add(make_case(c(0.3, 0.75, 1), a, "obf"))
  add(make_case(c(0.25, 0.5, 0.75, 1), a, "obf"))
  add(make_case(c(0.5, 1), a, "pocock"))
  add(make_case(c(0.2, 0.4, 0.6, 0.8, 1), a, "hsd", -2))
  add(make_case(c(0.1, 0.35, 1), a, "kd", 2))
}

# efficacy at a subset of looks
add(make_case(c(0.25, 0.5, 0.75, 1), 0.025, "obf", looks = c(2, 4)))
add(make_case(c(0.25, 0.5, 0.75, 1), 0.025, "obf", looks = c(3, 4)))
add(make_case(c(0.2, 0.4, 0.6, 0.8, 1), 0.025, "pocock", looks = c(3, 5)))
add(make_case(c(0.2, 0.4, 0.6, 0.8, 1), 0.025, "obf", looks = c(1, 3, 5)))
add(make_case(c(0.3, 0.75, 1), 0.025, "hsd", -4, looks = c(2, 3)))
add(make_case(c(0.3, 0.75, 1), 0.025, "pocock", looks = c(2, 3)))
add(make_case(c(0.1, 0.35, 1), 0.025, "kd", 2, looks = c(1, 3)))
add(make_case(c(0.1, 0.35, 1), 0.025, "obf", looks = c(2, 3)))
add(make_case(c(0.3, 0.75, 1), 0.05, "obf", looks = c(2, 3)))
add(make_case(c(0.3, 0.75, 1), 0.025, "obf", looks = c(3)))

# ---------------------------------------------------------------- crossing probabilities
crossing <- function(t, b, a, drift) {
  K <- length(t); S <- corr_matrix(t); mu <- drift * sqrt(t)
  b[is.na(b)] <- Inf; a[is.na(a)] <- -Inf
  eff <- fut <- numeric(K)
  for (k in seq_len(K)) {
    lo <- c(a[seq_len(k - 1)], b[k]); up <- c(b[seq_len(k - 1)], Inf)
    P <- function(lo, up) pmv(lo, up, mu[1:k], S[1:k, 1:k, drop = FALSE])
    eff[k] <- if (is.finite(b[k])) P(lo, up) else 0
    fut[k] <- if (is.finite(a[k])) P(c(a[seq_len(k - 1)], -Inf), c(b[seq_len(k - 1)], a[k])) else 0
  }
  list(efficacy = eff, futility = fut)
}

# design: rpact design whose critical values are used as the efficacy bounds; fut: futility per look
# (NA = none; a value at the last look is allowed, rpact cannot check it)
make_crossing <- function(design_call, fut, drift) {
  d <- suppressWarnings(suppressMessages(eval(parse(text = design_call))))
  t <- as.numeric(d$informationRates); K <- length(t)
  b <- as.numeric(d$criticalValues); b[!is.finite(b) | b > 6] <- NA
  cr <- crossing(t, b, fut, drift)
  # cross-check with rpact (its futility bounds: -6 = none; stages 1..K-1 only)
  fut_r <- fut[1:(K - 1)]; fut_r[is.na(fut_r)] <- -6
  dr <- suppressWarnings(suppressMessages(eval(parse(text = sub("\\)$", sprintf(", futilityBounds = %s, bindingFutility = FALSE)", vec_str(fut_r)), design_call)))))
  stopifnot(max(abs(as.numeric(dr$criticalValues) - as.numeric(d$criticalValues)), na.rm = TRUE) < 1e-12 ||
              all(is.infinite(dr$criticalValues) == is.infinite(d$criticalValues)))
  pw <- getPowerAndAverageSampleNumber(dr, theta = drift / 10, nMax = 100)
  r_eff <- as.numeric(pw$rejectPerStage); r_fut <- as.numeric(pw$futilityPerStage)
  diff_eff <- max(abs(r_eff - cr$efficacy))
  diff_fut <- max(abs(r_fut - cr$futility[1:(K - 1)]))
  call <- sprintf("mvtnorm::pmvnorm(lower, upper, mean = %s * sqrt(t), corr = sqrt(t_j/t_k), algorithm = Miwa(steps = 4097)) per look: efficacy_k = P(a_j <= Z_j < b_j for j < k, Z_k >= b_k), futility_k = P(a_j <= Z_j < b_j for j < k, Z_k < a_k); efficacy bounds = %s$criticalValues; cross-check rpact getPowerAndAverageSampleNumber(<design with futilityBounds = %s, bindingFutility = FALSE>, theta = drift/10, nMax = 100): max |diff| rejectPerStage %.3g, futilityPerStage (looks 1..K-1) %.3g; %s",
                  format(drift, digits = 15), design_call, vec_str(fut_r), diff_eff, diff_fut, versions)
  cat(sprintf("crossing %-40s drift %.4f: eff %s fut %s | rpact diff %.2e %.2e\n", vec_str(t), drift,
              paste(format(cr$efficacy, digits = 6), collapse = " "),
              paste(format(cr$futility, digits = 6), collapse = " "), diff_eff, diff_fut))
  list(information_rates = I(t), efficacy_bounds = I(b), futility_bounds = I(fut), drift = drift,
       efficacy = I(cr$efficacy), futility = I(cr$futility), call = call)
}

a75 <- spend("obf", NULL, 0.75, 0.025)
two_arm <- sprintf("getDesignGroupSequential(informationRates = c(0.3, 0.75, 1), typeOfDesign = \"asUser\", userAlphaSpending = c(0, %s, 0.025), alpha = 0.025, sided = 1)",
                   format(a75, digits = 15))
drift_two_arm <- -log(0.667) * sqrt(273 * 6 / 25)
cr <- list()
addc <- function(x) cr[[length(cr) + 1]] <<- x
# the two-arm check design (DESIGN.md section 6): no efficacy at 0.3, futility z < 0 at 0.3 only
addc(make_crossing(two_arm, c(0, NA, NA), drift_two_arm))
addc(make_crossing(two_arm, c(0, NA, NA), 0))
addc(make_crossing(two_arm, c(NA, NA, NA), drift_two_arm))
addc(make_crossing(two_arm, c(NA, NA, NA), 0))
obf3 <- "getDesignGroupSequential(informationRates = c(0.3, 0.75, 1), typeOfDesign = \"asOF\", alpha = 0.025, sided = 1)"
addc(make_crossing(obf3, c(NA, NA, NA), 0))
addc(make_crossing(obf3, c(NA, NA, NA), 3))
addc(make_crossing(obf3, c(0, 0.5, NA), 3))
poc4 <- "getDesignGroupSequential(informationRates = c(0.25, 0.5, 0.75, 1), typeOfDesign = \"asP\", alpha = 0.025, sided = 1)"
addc(make_crossing(poc4, c(-0.5, 0, 0.5, NA), 2.5))
addc(make_crossing(poc4, c(-0.5, 0, 0.5, NA), 0))
hsd2 <- "getDesignGroupSequential(informationRates = c(0.5, 1), typeOfDesign = \"asHSD\", gammaA = -2, alpha = 0.025, sided = 1)"
addc(make_crossing(hsd2, c(0.2, NA), 2.8))
kd5 <- "getDesignGroupSequential(informationRates = c(0.2, 0.4, 0.6, 0.8, 1), typeOfDesign = \"asKD\", gammaA = 3, alpha = 0.025, sided = 1)"
dkd <- suppressMessages(eval(parse(text = kd5)))
# futility at the last look equal to the efficacy bound: efficacy + futility then sum to 1
addc(make_crossing(kd5, c(-1, -0.5, 0, 0.5, dkd$criticalValues[5]), 3.2))
uneq <- "getDesignGroupSequential(informationRates = c(0.1, 0.35, 1), typeOfDesign = \"asOF\", alpha = 0.025, sided = 1)"
addc(make_crossing(uneq, c(-1, 0.3, NA), -0.5))

res <- list(cases = cases, crossing = cr)
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), out_file)
cat("wrote", out_file, ":", length(cases), "cases,", length(cr), "crossing\n")
