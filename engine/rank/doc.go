// Package rank is Style Studio's feed ranking model: it estimates the probability that a shopper
// clicks a product image, from the shopper's profile (sim.Profile, built from their clicks and skips)
// and the image (its perceived style probabilities, feature vector, category and price). It trains on
// logged impressions with gorgonia, scores in plain Go, explains its scores, and measures itself
// offline (AUC, NDCG@K, HR@K, log loss).
//
// # Model
//
// A logistic model on the outer product of a profile vector q and an item vector x:
//
//	q = [1, s_1..s_S, ln(1+clicks), ln(1+impressions)]                       (nP = S+3)
//	x = [1, π_1..π_S, f_1..f_F, e_cat (C one-hot), ln price, Σπ_k², share(cat)]   (nX = 1+S+F+C+3)
//	P(click) = σ(qᵀ W x̂)
//
// where s is the profile's style distribution, π the image's perceived style probabilities, f its
// feature vector, Σπ_k² how clearly the image shows one style, share(cat) the profile's weight on the
// item's category, and x̂ is x with its dense columns (π, f, ln price, Σπ_k², share) standardised by the training means and deviations. The row of W
// for q's constant 1 is plain logistic regression on the image; the rows for s are a VBPR-like
// interaction between what the shopper liked and the image's style (sᵀ·W_ss·π) and visual features
// (sᵀ·W_sf·f); the engagement rows let confidence scale everything. The model is linear in W, so
// training (binary cross-entropy, Adam with decoupled weight decay, from zero weights) is convex and
// deterministic given the seed that shuffles the batches.
//
// Serving folds the standardisation and the profile into one vector per shopper (u = qᵀW/σ), so
// scoring a candidate is a dot product of about S+F+3 terms (see Model.ScoreCandidates).
//
// # Files
//
// Save writes safetensors (engine/nn): tensor "rank.weight" [nP, nX] (W), "rank.item_mean" [nX] and
// "rank.item_std" [nX] (the standardisation; 0 and 1 for the constant and one-hot columns), with
// metadata format="stylestudio.rank", version="1", styles and categories (JSON arrays) and
// feature_dim. Load refuses a file whose shape does not match what the caller's catalog needs.
package rank
