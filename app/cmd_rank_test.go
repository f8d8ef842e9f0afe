package main

import (
	"encoding/json"
	"strings"
	"testing"
)

type rankResultForTest struct {
	Logs        string `json:"logs"`
	Model       string `json:"model"`
	ModelSource string `json:"model_source"`
	Test        int    `json:"test_impressions"`
}

// checkRankJSON checks the `rank train|eval --json` contract and returns its other fields.
func checkRankJSON(t *testing.T, stdout string) rankResultForTest {
	t.Helper()
	var top map[string]map[string]*float64
	var res rankResultForTest
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	top = map[string]map[string]*float64{}
	for _, k := range []string{"ranker", "random", "popularity"} {
		var m map[string]*float64
		if err := json.Unmarshal(raw[k], &m); err != nil {
			t.Fatalf("%q is not an object of metrics: %s", k, raw[k])
		}
		for _, metric := range []string{"auc", "ndcg10", "hr10", "logloss"} {
			v, ok := m[metric]
			if !ok || v == nil || *v < 0 {
				t.Fatalf("%s.%s missing or undefined: %s", k, metric, raw[k])
			}
		}
		top[k] = m
	}
	if *top["ranker"]["auc"] <= *top["random"]["auc"] || *top["ranker"]["ndcg10"] <= *top["random"]["ndcg10"] {
		t.Errorf("the ranker does not beat random scores: %s", stdout)
	}
	if res.Test == 0 {
		t.Errorf("no held-out impressions: %s", stdout)
	}
	return res
}

func TestRankEvalJSONOnSimulatedLogs(t *testing.T) {
	lib := smallDemo(t, "40")
	code, stdout, stderr := runCLI(t, "rank", "eval", "--library", lib, "--users", "400", "--json")
	if code != 0 {
		t.Fatalf("rank eval exited %d: %s", code, stderr)
	}
	res := checkRankJSON(t, stdout)
	if res.Logs != "simulated" || res.ModelSource != "default" || res.Model != "built-in" {
		t.Fatalf("rank eval on a fresh demo library: %+v", res)
	}
}

func TestRankUsage(t *testing.T) {
	if code, _, stderr := runCLI(t, "rank"); code != 2 || !strings.Contains(stderr, "rank <train|eval>") {
		t.Errorf("rank without a subcommand: %d %q", code, stderr)
	}
	if code, _, stderr := runCLI(t, "rank", "fit"); code != 2 || !strings.Contains(stderr, `unknown rank command "fit"`) {
		t.Errorf("rank fit: %d %q", code, stderr)
	}
}

func TestBenchRankJSON(t *testing.T) {
	code, stdout, stderr := runCLI(t, "bench", "rank", "--candidates", "5000", "--runs", "2", "--users", "50", "--json")
	if code != 0 {
		t.Fatalf("bench rank exited %d: %s", code, stderr)
	}
	var got struct {
		ScoreMS         *float64  `json:"score_ms"`
		ImpressionsPerS *float64  `json:"impressions_per_s"`
		Candidates      int       `json:"candidates"`
		ScoreRuns       []float64 `json:"score_runs_ms"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, stdout)
	}
	if got.ScoreMS == nil || *got.ScoreMS <= 0 || got.ImpressionsPerS == nil || *got.ImpressionsPerS <= 0 {
		t.Fatalf("bench rank: %s", stdout)
	}
	if got.Candidates != 5000 || len(got.ScoreRuns) != 2 {
		t.Fatalf("candidates %d, runs %v", got.Candidates, got.ScoreRuns)
	}
}
