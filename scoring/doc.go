// Package scoring is surveyd's score math (SCORING.md) as pure functions: histograms of
// answers in; estimates with 95% intervals, comparisons, weights and shrunken leaderboard
// scores out. Nothing here does I/O or keeps state, so every rule is table-tested.
//
// Units: primitives that mirror a textbook formula (Wilson, the z and t tests, the Beta prior)
// take and return proportions in [0, 1]. Everything built on an Estimate speaks its metric's
// display unit: CSAT and CES "% easy" in percent, NPS in points from −100 to 100, CES means on
// the survey's 1–5 or 1–7 scale.
package scoring
