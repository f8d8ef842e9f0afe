// Package sim is Style Studio's simulated storefront: shoppers with hidden tastes browse a feed of
// product images chosen by a policy, click (or not) by a multinomial logit, and the run counts
// impressions, clicks and click-through rates per policy, per style and for stylized variants versus
// original images. It is a small RecSim-like simulator: deterministic given a seed, streaming its
// statistics so that memory does not grow with the number of shoppers.
//
// # Catalog
//
// An Item is a product (category, price) with image Variants; variant 0 is the original photo, the
// others are the same product re-rendered in another style. Variant.Perceived is the style classifier's
// probability vector on that image: it is what a shopper perceives of the picture, so a convincing
// stylized variant looks like its target style and an unconvincing one still looks like the original.
// NewCatalog validates the items and indexes every (item, variant) pair as a candidate.
//
// # Shoppers (hidden state)
//
// Shopper u is drawn from its own random stream, seeded by (RunConfig.Seed, u), so every policy meets
// the same shoppers. With S styles and C categories:
//
//	style affinity     a ∈ Δ^S: k favourite styles (k = 2 with probability SecondFavourite, else 1),
//	                   the first getting w ~ U(0.55, 0.8) of the favourite mass and the second 1-w;
//	                   a = (1-ρ)·favourites + ρ·Dirichlet(1,…,1), ρ = Background
//	category affinity  b ~ Dirichlet(α,…,α) over C categories, α = CategoryConcentration
//	price sensitivity  λ ~ U(PriceMin, PriceMax)
//	patience           B ~ U(PatienceMin, PatienceMax), a budget in slates
//
// The utility of item i shown as variant v, after the shopper has already been shown item i n times,
// with π = Perceived of that variant, c the item's category and p̃ the catalog's median price:
//
//	U(i, v) = βs·⟨a, π⟩ + βc·C·b_c − λ·ln(price_i / p̃) − φ·n
//
// (βs = StyleWeight, βc = CategoryWeight, φ = Fatigue). The no-click option has the constant utility
// u0 = NoClick. Shown a slate i_1..i_K the shopper clicks at most one image, by a multinomial logit
// (the logit's Gumbel noise is the utility noise):
//
//	P(click i_j) = exp(U_j) / (exp(u0) + Σ_k exp(U_k)),   P(no click) = exp(u0) / (exp(u0) + Σ_k exp(U_k))
//
// ChoiceProbabilities computes exactly this vector. One uniform number per slate, from a stream
// seeded by (Seed, shopper), decides the outcome, so policies are compared on common random numbers.
//
// After a click on (i, v) tastes drift toward what was clicked (η = Drift):
//
//	a ← (1-η)·a + η·π,   b ← (1-η)·b + η·e_c
//
// Every slate costs one unit of patience and a slate without a click costs NoClickCost more; the
// session ends when the budget is spent or after RunConfig.Steps slates.
//
// # What the platform knows
//
// Policies never see the hidden state (except the Oracle, which exists to give an upper bound). They
// see a Profile built only from what was shown and clicked (see UpdateProfile), the number of times
// each item was shown to this shopper, and their own running per-candidate statistics.
//
// # Policies
//
// Random, Popular (smoothed click-through rate of each (item, variant) so far), Ranker (a Scorer's
// click probability for every candidate, best variant per product; NewRankerOriginals scores original
// images only), Oracle (the slate of the K highest true utilities, which maximises the probability of a
// click on that slate) and Epsilon (an exploration wrapper). Ranker and Popular discount items already
// shown to the shopper; Ranker also spreads a slate over styles while it does not know the shopper.
//
// # Run
//
// Run plays every policy against the same stream of shoppers. Policies run side by side (one goroutine
// each, at most GOMAXPROCS at once) on chunks of shoppers; results and logged impressions do not depend
// on the scheduling. Memory is bounded: statistics are streamed, impressions are kept only per chunk
// and only when RunConfig.Logger is set, and Users is capped at MaxUsers.
package sim
