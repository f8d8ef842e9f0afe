package main

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"stylestudio/engine/demo"
)

// smallDemo seeds a temp library with n demo products through the CLI.
func smallDemo(t *testing.T, n string) string {
	t.Helper()
	lib := t.TempDir()
	if code, _, stderr := runCLI(t, "demo", "--library", lib, "--products", n); code != 0 {
		t.Fatalf("demo exited %d: %s", code, stderr)
	}
	return lib
}

func keysOf(m map[string]json.RawMessage) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestSimulateJSONContractAndDeterminism(t *testing.T) {
	lib := smallDemo(t, "60")
	args := []string{"simulate", "--library", lib, "--users", "150", "--steps", "8", "--policy", "ranker,random", "--seed", "3", "--json"}
	code, stdout, stderr := runCLI(t, args...)
	if code != 0 {
		t.Fatalf("simulate exited %d: %s", code, stderr)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &top); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	for _, k := range []string{"ctr", "ctr_vs_oracle", "impressions", "clicks", "variant_lift", "per_style", "policies", "policy", "oracle_ctr", "notes"} {
		if _, ok := top[k]; !ok {
			t.Errorf("simulate --json lacks %q (keys %v)", k, keysOf(top))
		}
	}
	var got struct {
		Policy      string   `json:"policy"`
		CTR         float64  `json:"ctr"`
		CTRVsOracle float64  `json:"ctr_vs_oracle"`
		Impressions int64    `json:"impressions"`
		Clicks      int64    `json:"clicks"`
		VariantLift *float64 `json:"variant_lift"`
		VariantNote string   `json:"variant_note"`
		PerStyle    map[string]struct {
			Impressions int64   `json:"impressions"`
			Clicks      int64   `json:"clicks"`
			CTR         float64 `json:"ctr"`
		} `json:"per_style"`
		Policies map[string]struct {
			CTR         float64 `json:"ctr"`
			CTRVsOracle float64 `json:"ctr_vs_oracle"`
			Impressions int64   `json:"impressions"`
		} `json:"policies"`
		OracleCTR float64  `json:"oracle_ctr"`
		Ranker    string   `json:"ranker"`
		Perceived string   `json:"perceived"`
		Notes     []string `json:"notes"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	if got.Policy != "ranker" || got.Impressions == 0 || got.Clicks == 0 || got.CTR != float64(got.Clicks)/float64(got.Impressions) {
		t.Fatalf("top level %+v", got)
	}
	if got.OracleCTR <= 0 || got.CTRVsOracle != got.CTR/got.OracleCTR {
		t.Fatalf("ctr_vs_oracle %v with ctr %v and oracle %v", got.CTRVsOracle, got.CTR, got.OracleCTR)
	}
	if got.VariantLift != nil || !strings.Contains(got.VariantNote, "no stylized variants") {
		t.Fatalf("variant_lift %v (%q): want null with a note, the demo has no variants", got.VariantLift, got.VariantNote)
	}
	var styles []string
	for _, s := range demo.Styles() {
		styles = append(styles, s.Name)
	}
	var sum int64
	for _, s := range styles {
		c, ok := got.PerStyle[s]
		if !ok {
			t.Fatalf("per_style lacks %q: %v", s, got.PerStyle)
		}
		sum += c.Impressions
	}
	if sum != got.Impressions {
		t.Fatalf("per_style impressions sum to %d, total %d", sum, got.Impressions)
	}
	if len(got.Policies) != 2 || got.Policies["ranker"].Impressions != got.Impressions || got.Policies["random"].CTR <= 0 {
		t.Fatalf("policies %+v: want ranker and random (the oracle only runs alongside)", got.Policies)
	}
	if got.Ranker != "default" || got.Perceived != "fallback" || len(got.Notes) == 0 {
		t.Fatalf("ranker %q perceived %q notes %q", got.Ranker, got.Perceived, got.Notes)
	}

	// Same seed, same output; another seed, other shoppers.
	if _, again, _ := runCLI(t, args...); again != stdout {
		t.Fatalf("simulate is not deterministic:\n%s\nvs\n%s", stdout, again)
	}
	other := slices.Clone(args)
	other[slices.Index(other, "--seed")+1] = "4"
	if _, diff, _ := runCLI(t, other...); diff == stdout {
		t.Fatal("another seed gave the same output")
	}

	// One policy: no "policies" object.
	code, stdout, _ = runCLI(t, "simulate", "--library", lib, "--users", "20", "--steps", "3", "--policy", "oracle", "--json")
	top = nil
	if err := json.Unmarshal([]byte(stdout), &top); code != 0 || err != nil {
		t.Fatalf("single policy: %d %v", code, err)
	}
	if _, ok := top["policies"]; ok {
		t.Errorf("single policy has a policies object: %s", stdout)
	}
	if string(top["ctr_vs_oracle"]) != "1" {
		t.Errorf("oracle ctr_vs_oracle = %s", top["ctr_vs_oracle"])
	}
}

func TestSimulateRefusesBadInput(t *testing.T) {
	lib := smallDemo(t, "10")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--users", "0"}, "--users must be at least 1"},
		{[]string{"--users", "-3"}, "--users must be at least 1"},
		{[]string{"--steps", "0"}, "--steps must be"},
		{[]string{"--policy", "ranker,bandit"}, `unknown policy "bandit"`},
		{[]string{"--policy", "random,random"}, "listed twice"},
		{[]string{"--policy", ","}, "--policy is empty"},
	} {
		args := append([]string{"simulate", "--library", lib, "--users", "5"}, tc.args...)
		code, stdout, stderr := runCLI(t, args...)
		if code != 2 || !strings.Contains(stderr, tc.want) || stdout != "" {
			t.Errorf("%v: exit %d, stderr %q, stdout %q; want exit 2 (a usage error) saying %q", tc.args, code, stderr, stdout, tc.want)
		}
	}
	// An empty library: a clear message, not a crash.
	code, _, stderr := runCLI(t, "simulate", "--library", emptyLibrary(t), "--users", "5")
	if code != 1 || !strings.Contains(stderr, "add styles") {
		t.Errorf("empty library: exit %d, %q", code, stderr)
	}
}

func TestSimulateLogThenRankTrainOnStoredLogs(t *testing.T) {
	lib := smallDemo(t, "40")
	code, stdout, stderr := runCLI(t, "simulate", "--library", lib, "--users", "300", "--steps", "20", "--policy", "random,popular", "--log", "--json")
	if code != 0 {
		t.Fatalf("simulate --log exited %d: %s", code, stderr)
	}
	var sim struct {
		Logged int64 `json:"logged"`
	}
	if err := json.Unmarshal([]byte(stdout), &sim); err != nil || sim.Logged < 20000 {
		t.Fatalf("logged %d (%v); the test needs at least 20000 stored impressions", sim.Logged, err)
	}
	code, stdout, stderr = runCLI(t, "rank", "train", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("rank train exited %d: %s", code, stderr)
	}
	res := checkRankJSON(t, stdout)
	if res.Logs != "stored" || res.ModelSource != "trained" || !strings.HasSuffix(res.Model, "ranker.safetensors") {
		t.Fatalf("rank train: %+v", res)
	}
	// eval now uses the library's own ranker on the stored logs.
	code, stdout, stderr = runCLI(t, "rank", "eval", "--library", lib, "--json")
	if code != 0 {
		t.Fatalf("rank eval exited %d: %s", code, stderr)
	}
	if res := checkRankJSON(t, stdout); res.Logs != "stored" || res.ModelSource != "library" {
		t.Fatalf("rank eval: %+v", res)
	}
}

// --seeds N runs seeds seed..seed+N-1: counts pool the seeds' runs, and ranker_vs_originals and the
// variant lift get one value per seed with a 95% interval over them.
func TestSimulateSeedsPoolAndGiveAnInterval(t *testing.T) {
	lib := smallDemo(t, "40")
	type out struct {
		Impressions       int64       `json:"impressions"`
		Clicks            int64       `json:"clicks"`
		Seeds             int         `json:"seeds"`
		VariantLiftSeeds  []*float64  `json:"variant_lift_seeds"`
		VariantLiftCI95   *[2]float64 `json:"variant_lift_ci95"`
		RankerVsOriginals *struct {
			Pooled  float64     `json:"pooled"`
			PerSeed []float64   `json:"per_seed"`
			Mean    float64     `json:"mean"`
			CI95    *[2]float64 `json:"ci95"`
		} `json:"ranker_vs_originals"`
		Policies map[string]struct {
			CTR float64 `json:"ctr"`
		} `json:"policies"`
	}
	sim := func(seed string, seeds string) out {
		t.Helper()
		code, stdout, stderr := runCLI(t, "simulate", "--library", lib, "--users", "40", "--steps", "5", "--policy", "ranker,ranker-originals",
			"--seed", seed, "--seeds", seeds, "--json")
		if code != 0 {
			t.Fatalf("simulate exited %d: %s", code, stderr)
		}
		var o out
		if err := json.Unmarshal([]byte(stdout), &o); err != nil {
			t.Fatalf("%v\n%s", err, stdout)
		}
		return o
	}
	all := sim("5", "3")
	var imps, clicks int64
	for k, seed := range []string{"5", "6", "7"} {
		one := sim(seed, "1")
		imps += one.Impressions
		clicks += one.Clicks
		if one.Seeds != 1 || one.RankerVsOriginals == nil || one.RankerVsOriginals.CI95 != nil {
			t.Fatalf("one seed: seeds %d, ranker_vs_originals %+v (want no interval)", one.Seeds, one.RankerVsOriginals)
		}
		want := one.Policies["ranker"].CTR/one.Policies["ranker-originals"].CTR - 1
		if got := all.RankerVsOriginals.PerSeed[k]; got != want {
			t.Errorf("seed %s: per_seed %v, a run of that seed alone gives %v", seed, got, want)
		}
	}
	if all.Seeds != 3 || all.Impressions != imps || all.Clicks != clicks {
		t.Fatalf("3 seeds: seeds %d, %d impressions %d clicks; the seeds alone sum to %d and %d", all.Seeds, all.Impressions, all.Clicks, imps, clicks)
	}
	if iv := all.RankerVsOriginals; iv == nil || len(iv.PerSeed) != 3 || iv.CI95 == nil || iv.CI95[0] > iv.Mean || iv.CI95[1] < iv.Mean {
		t.Fatalf("ranker_vs_originals %+v: want 3 values and an interval around their mean", iv)
	}
	if len(all.VariantLiftSeeds) != 3 || all.VariantLiftSeeds[0] != nil || all.VariantLiftCI95 != nil {
		t.Fatalf("variant lift per seed %v, interval %v: the demo has no variants, so null each", all.VariantLiftSeeds, all.VariantLiftCI95)
	}
	if code, _, stderr := runCLI(t, "simulate", "--library", lib, "--seeds", "0"); code == 0 || !strings.Contains(stderr, "--seeds") {
		t.Fatalf("--seeds 0: exit %d, %q", code, stderr)
	}
}
