# Reference values for src/seamless/dunnett.py (DESIGN.md section 3).
# Run from /work/main:  Rscript tests/reference/dunnett.R   -> tests/reference/dunnett.json
#
# Z ~ N(0, R), R_ii = 1, R_ij = lambda_i * lambda_j; adjusted p = 1 - P(all Z_i < max_z) by
# mvtnorm::pmvnorm(algorithm = Miwa(steps = 4097)); critical value c solves P(all Z_i < c) = 1 - alpha
# (uniroot, tol = 1e-12). Each value is cross-checked against the one-dimensional integral
# F(c) = int phi(u) prod Phi((c - lambda_i u)/sqrt(1 - lambda_i^2)) du by stats::integrate.
suppressMessages({
  library(mvtnorm)
  library(jsonlite)
})
out_file <- file.path("tests", "reference", "dunnett.json")
MIWA <- Miwa(steps = 4097)
versions <- sprintf("mvtnorm %s, %s", packageVersion("mvtnorm"), R.version.string)
vec_str <- function(x) paste0("c(", paste(format(x, digits = 15, trim = TRUE), collapse = ", "), ")")

corr_of <- function(l) { R <- outer(l, l); diag(R) <- 1; R }
cdf_miwa <- function(c, l) {
  if (length(l) == 1) return(pnorm(c))
  as.numeric(pmvnorm(upper = rep(c, length(l)), corr = corr_of(l), algorithm = MIWA))
}
cdf_1d <- function(c, l) {
  f <- function(u) {
    v <- dnorm(u)
    for (li in l) v <- v * pnorm((c - li * u) / sqrt(1 - li^2))
    v
  }
  integrate(f, -Inf, Inf, rel.tol = 1e-13, abs.tol = 1e-15)$value
}
loadings_from_ratios <- function(r) sqrt(r / (1 + r))

# loading sets: name -> (loadings, description for the call string)
sets <- list()
for (k in c(1, 2, 3, 4, 6)) {
  sets[[length(sets) + 1]] <- list(l = rep(sqrt(0.6), k), desc = sprintf("rep(sqrt(0.6), %d)", k))
  if (k > 1) sets[[length(sets) + 1]] <- list(l = rep(sqrt(0.5), k), desc = sprintf("rep(sqrt(0.5), %d)", k))
}
for (r in list(c(1.5, 1, 2), c(1.5, 1), c(1, 2, 3, 0.5), c(0.8, 1.2, 1, 2.5, 1.5, 1))) {
  sets[[length(sets) + 1]] <- list(l = loadings_from_ratios(r),
                                   desc = sprintf("sqrt(r/(1+r)) with r = %s", vec_str(r)))
}

pvalues <- list()
for (s in sets) {
  for (z in c(-0.5, 0.5, 1.5, 2.0, 2.5, 3.0)) {
    if (z < 0 && length(s$l) < 3) next
    p <- 1 - cdf_miwa(z, s$l)
    p1 <- 1 - cdf_1d(z, s$l)
    call <- sprintf("1 - mvtnorm::pmvnorm(upper = rep(%s, %d), corr = R, algorithm = Miwa(steps = 4097)), R = outer(l, l) with diag 1, l = %s; 1-D integrate() check differs by %.2g; %s",
                    format(z), length(s$l), s$desc, abs(p - p1), versions)
    stopifnot(abs(p - p1) < 1e-9)
    pvalues[[length(pvalues) + 1]] <- list(loadings = I(s$l), max_z = z, p = p, call = call)
  }
}

crit <- list()
for (s in sets) {
  if (!(length(s$l) %in% c(1, 2, 3, 4, 6))) next
  for (a in c(0.025, 0.05)) {
    cv <- uniroot(function(c) cdf_miwa(c, s$l) - (1 - a), c(0, 6), tol = 1e-12)$root
    cv1 <- uniroot(function(c) cdf_1d(c, s$l) - (1 - a), c(0, 6), tol = 1e-12)$root
    stopifnot(abs(cv - cv1) < 1e-8)
    call <- sprintf("uniroot(function(c) mvtnorm::pmvnorm(upper = rep(c, %d), corr = R, algorithm = Miwa(steps = 4097)) - (1 - %s), c(0, 6), tol = 1e-12)$root, R = outer(l, l) with diag 1, l = %s; 1-D integrate() check differs by %.2g; %s",
                    length(s$l), format(a), s$desc, abs(cv - cv1), versions)
    crit[[length(crit) + 1]] <- list(loadings = I(s$l), alpha = a, critical_value = cv, call = call)
  }
}

# DESIGN.md section 3 published values
published <- list(
  list(what = "critical value k=3 rho=0.6 alpha=0.025", got = uniroot(function(c) cdf_miwa(c, rep(sqrt(0.6), 3)) - 0.975, c(0, 6), tol = 1e-12)$root, pub = 2.3276, dig = 4),
  list(what = "p k=3 rho=0.6 z=1.5", got = 1 - cdf_miwa(1.5, rep(sqrt(0.6), 3)), pub = 0.14390, dig = 5),
  list(what = "p k=3 rho=0.6 z=2.0", got = 1 - cdf_miwa(2.0, rep(sqrt(0.6), 3)), pub = 0.05412, dig = 5),
  list(what = "p k=3 rho=0.6 z=2.5", got = 1 - cdf_miwa(2.5, rep(sqrt(0.6), 3)), pub = 0.01595, dig = 5),
  list(what = "critical value k=3 rho=0.5 alpha=0.025", got = uniroot(function(c) cdf_miwa(c, rep(sqrt(0.5), 3)) - 0.975, c(0, 6), tol = 1e-12)$root, pub = 2.3490, dig = 4),
  list(what = "critical value k=2 rho=0.6 alpha=0.025", got = uniroot(function(c) cdf_miwa(c, rep(sqrt(0.6), 2)) - 0.975, c(0, 6), tol = 1e-12)$root, pub = 2.1987, dig = 4))
pub_out <- list()
for (p in published) {
  ok <- round(p$got, p$dig) == p$pub
  cat(sprintf("%-42s got %.10f published %s -> %s\n", p$what, p$got, format(p$pub), if (ok) "reproduced" else "NOT REPRODUCED"))
  pub_out[[length(pub_out) + 1]] <- list(what = p$what, published = p$pub, value = p$got, reproduced = ok)
}

res <- list(pvalues = pvalues, critical_values = crit, published = pub_out,
            note = paste("Miwa(steps = 4097) values; every value agrees with the 1-D integral to < 1e-9 (p) / 1e-8 (c);", versions))
writeLines(toJSON(res, auto_unbox = TRUE, digits = NA, na = "null", null = "null", pretty = TRUE), out_file)
cat("wrote", out_file, ":", length(pvalues), "p-values,", length(crit), "critical values\n")
