package feed

import (
	"context"
	"image"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/demo"
	"stylestudio/engine/imaging"
	"stylestudio/engine/sim"
	"stylestudio/internal/testkit/testlib"
	"stylestudio/store"
	"stylestudio/store/library"
	"stylestudio/ui/kit/kittest"
)

func TestFeedScreenSimulatesAndLetsAPersonShop(t *testing.T) {
	db := testlib.DemoLibrary(t, 60, 7)
	sh := headlessShell(t, db)
	stepped := make(chan struct{}, 8)
	f := sh.Screen
	f.OnRoundShown(func() { stepped <- struct{}{} })
	sh.Start()
	wait := func() { t.Helper(); waitRound(t, stepped) }
	wait()
	sh.OnUI(func() {
		if !f.ready {
			t.Fatalf("feed not ready: %s", f.status.Text)
		}
		if f.round != 1 || len(f.current) == 0 || len(f.current) > feedSlateSize {
			t.Fatalf("round %d shows %d cards", f.round, len(f.current))
		}
		for _, name := range f.policies {
			if f.totals[name] == nil || f.totals[name].Impressions == 0 {
				t.Fatalf("policy %s has no impressions", name)
			}
		}
		if f.totals["oracle"].CTR() < f.totals["random"].CTR() {
			t.Errorf("oracle CTR %.3f below random %.3f", f.totals["oracle"].CTR(), f.totals["random"].CTR())
		}
		// Step through the watched shopper's session, then a new round runs.
		for f.shown < len(f.sessions) {
			f.Step()
		}
		f.Step()
	})
	wait()
	sh.OnUI(func() {
		if f.round != 2 || len(f.series["ranker"]) != 2 {
			t.Fatalf("after a second round: round %d, series %v", f.round, f.series["ranker"])
		}
		// Be the shopper: a click updates the person's profile and the slate is ranked again.
		f.toggleHuman()
		first := f.current[0]
		f.humanClick(first)
		if f.profile.Clicks != 1 {
			t.Fatalf("profile clicks %d after one click", f.profile.Clicks)
		}
		if len(f.current) == 0 {
			t.Fatal("no slate after the click")
		}
		// Back to the simulation: the watched shopper's slate, not the person's clickable one.
		f.toggleHuman()
		if !strings.HasPrefix(f.shopper.Text, "Round ") || f.views[0].click.Visible() {
			t.Errorf("back to the simulation, the feed shows %q with the person's Click buttons %v", f.shopper.Text, f.views[0].click.Visible())
		}
		// Back while the rounds start again (no simulated slate yet): nothing of the person's stays.
		f.toggleHuman()
		f.humanClick(f.current[0])
		f.sessions, f.shown = nil, 0
		f.toggleHuman()
		if len(f.current) != 0 || strings.HasPrefix(f.shopper.Text, "You are the shopper") {
			t.Errorf("with no simulated slate, back to the simulation shows %d cards and %q", len(f.current), f.shopper.Text)
		}
	})
}

// Play steps at the slider's speed and waits for the UI between steps: the real window once queued
// closures without bound (memory grew by 80 MB a second) because the loop read a delay that a queued
// closure had not set yet. Pause stops it.
func TestFeedPlayFollowsTheSpeedAndPauses(t *testing.T) {
	sh := headlessShell(t, testlib.DemoLibrary(t, 60, 7))
	f := sh.Screen
	stepped := make(chan struct{}, 1)
	f.OnRoundShown(func() { kittest.SendLatest(stepped, struct{}{}) })
	sh.Start()
	waitRound(t, stepped)
	slates := func() (n int) {
		sh.OnUI(func() { n = f.round*feedSteps + f.shown })
		return n
	}
	sh.OnUI(func() {
		f.speed.SetValue(4) // slates a second
		f.togglePlay()
	})
	before, posted := slates(), sh.Deps.Posted()
	time.Sleep(3 * time.Second)
	advanced, queued := slates()-before, sh.Deps.Posted()-posted
	if advanced < 3 {
		t.Errorf("Play showed %d slates in 3 s at 4 a second", advanced)
	}
	// 12 steps plus a round's updates and slack; a flooding loop queues millions.
	if queued > 400 {
		t.Errorf("Play queued %d UI updates in 3 s at 4 slates a second", queued)
	}
	sh.OnUI(f.togglePlay) // Pause
	time.Sleep(300 * time.Millisecond)
	paused := slates()
	time.Sleep(time.Second)
	if after := slates(); after != paused {
		t.Errorf("the feed moved on after Pause: %d -> %d slates", paused, after)
	}
}

// A Reload that arrives while a round runs (new variants or products made meanwhile) is done when the
// round ends, not dropped.
func TestFeedReloadDuringARoundIsNotDropped(t *testing.T) {
	db := testlib.DemoLibrary(t, 40, 7)
	sh := startedShell(t, db)
	f := sh.Screen
	sh.OnUI(func() {
		for f.shown < len(f.sessions) {
			f.Step()
		}
		f.Step() // a new round starts in the background
		if !f.busy {
			t.Fatal("no round running")
		}
		if _, err := demo.Seed(context.Background(), db, demo.Catalog(40, 99), nil); err != nil {
			t.Fatal(err)
		}
		f.Reload()
	})
	deadline := time.Now().Add(90 * time.Second)
	for {
		var n int
		sh.OnUI(func() { n = len(f.products) })
		if n > 40 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the feed still holds %d products: the Reload during the round was dropped", n)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startedShell is headlessShell started, once it shows its first round.
func startedShell(t *testing.T, db *store.DB) *testShell {
	t.Helper()
	sh := headlessShell(t, db)
	stepped := make(chan struct{}, 1)
	sh.Screen.OnRoundShown(func() { kittest.SendLatest(stepped, struct{}{}) })
	sh.Start()
	waitRound(t, stepped)
	return sh
}

// waitRound waits up to 3 minutes for the screen to show a simulated round.
func waitRound(t *testing.T, stepped chan struct{}) {
	t.Helper()
	select {
	case <-stepped:
	case <-time.After(3 * time.Minute):
		t.Fatal("no simulated round")
	}
}

// The Feed screen retrains the ranker itself: on its own after RankerRetrainAfterClicks of the person's
// clicks in Be the shopper (those clicks among its training logs), and on the Retrain ranker button. The
// new ranker is saved into the library and ranks the feed.
func TestFeedRetrainsTheRankerAfterThePersonsClicksAndOnTheButton(t *testing.T) {
	if testing.Short() {
		t.Skip("two ranker trainings (a minute on two cores); runs without -short")
	}
	db := testlib.DemoLibrary(t, 40, 7)
	sh := headlessShell(t, db)
	f := sh.Screen
	stepped := make(chan struct{}, 1)
	retrained := make(chan RankerRetrain, 2)
	f.OnRoundShown(func() { kittest.SendLatest(stepped, struct{}{}) })
	RankerRetrained.On(sh.Deps.Events, func(r RankerRetrain) { retrained <- r })
	sh.Start()
	waitRound(t, stepped)
	sh.OnUI(f.toggleHuman)
	deadline := time.Now().Add(30 * time.Second)
	for {
		var id int64
		sh.OnUI(func() { id = f.humanUser })
		if id != 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the person's shopper row was never made")
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := f.feed.Model
	sh.OnUI(func() {
		if f.rankBtn.Disabled() {
			t.Fatal("Retrain ranker is disabled on a ready feed")
		}
		for range studio.RankerRetrainAfterClicks {
			f.humanClick(f.current[0])
		}
	})
	wait := func() RankerRetrain {
		t.Helper()
		select {
		case r := <-retrained:
			return r
		case <-time.After(4 * time.Minute):
			t.Fatal("the ranker never retrained")
		}
		return RankerRetrain{}
	}
	r := wait()
	if r.Err != nil || !r.Auto {
		t.Fatalf("after %d clicks: %+v", studio.RankerRetrainAfterClicks, r)
	}
	// Every click stored its slate before the retraining started: they all trained.
	if want := studio.RankerRetrainAfterClicks * len(f.current); r.Report.Extra != want {
		t.Errorf("the retraining used %d of the person's impressions, want %d (%d slates of %d)", r.Report.Extra, want, studio.RankerRetrainAfterClicks, len(f.current))
	}
	if _, err := os.Stat(library.RankerPath(db.Dir())); err != nil {
		t.Fatalf("the retrained ranker was not saved: %v", err)
	}
	sh.OnUI(func() {
		if f.feed.Model == before || f.feed.Ranker.Source != studio.RankerFromLibrary {
			t.Errorf("the feed still ranks with the old ranker (%+v)", f.feed.Ranker)
		}
		if !strings.Contains(f.status.Text, "Ranker retrained") || f.rankBtn.Disabled() {
			t.Errorf("status %q, button disabled %v", f.status.Text, f.rankBtn.Disabled())
		}
		f.toggleHuman()
		test.Tap(f.rankBtn)
		if !f.rankBtn.Disabled() {
			t.Error("Retrain ranker stays enabled while it runs")
		}
	})
	if r := wait(); r.Err != nil || r.Auto {
		t.Fatalf("the button's retraining: %+v", r)
	}
}

// A card that shows a stylized variant shows the variant's image, not the product's photo: the
// shopper reacts to what is shown (it once showed the photo with "neon variant" under it).
func TestFeedVariantCardsShowTheStylizedImage(t *testing.T) {
	db := testlib.DemoLibrary(t, 40, 7)
	ctx := context.Background()
	run, err := db.CreateRun(ctx, "variants", "{}")
	if err != nil {
		t.Fatal(err)
	}
	styles, err := db.Styles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	prods, err := db.Products(ctx, store.ProductFilter{})
	if err != nil {
		t.Fatal(err)
	}
	red := image.NewNRGBA(image.Rect(0, 0, 64, 64))
	for i := 0; i < len(red.Pix); i += 4 {
		red.Pix[i], red.Pix[i+3] = 230, 255
	}
	data, err := imaging.EncodePNG(red)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutVariantImage(ctx, prods[0].ID, styles[0].ID, run.ID, data); err != nil {
		t.Fatal(err)
	}
	sh := startedShell(t, db)
	f := sh.Screen
	sh.OnUI(func() {
		for _, it := range f.feed.Items {
			if it.ID == prods[0].ID && len(it.Variants) == 2 {
				f.setCards([]feedCard{{item: it, variant: 1}, {item: it, variant: 0}})
				return
			}
		}
		t.Fatalf("the feed has no variant for product %d", prods[0].ID)
	})
	isRed := func(img image.Image) bool {
		if img == nil {
			return false
		}
		b := img.Bounds()
		r, g, bl, _ := img.At(b.Min.X+b.Dx()/2, b.Min.Y+b.Dy()/2).RGBA()
		return r>>8 > 200 && g>>8 < 40 && bl>>8 < 40
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		var variant, photo image.Image
		sh.OnUI(func() { variant, photo = f.views[0].img.Image, f.views[1].img.Image })
		if isRed(variant) {
			if isRed(photo) {
				t.Fatal("the original's card shows the variant's image too")
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the variant's card does not show the variant's image (got %v)", variant != nil)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The explanation names a colour-histogram feature by its channel and range, not by its index.
func TestFeatureWordsNameTheColourBins(t *testing.T) {
	if got := featureWords("image feature 0"); got != "colour: share of pixels with red 0–21 (of 255)" {
		t.Errorf("feature 0 reads %q", got)
	}
	if got := featureWords("image feature 35"); got != "colour: share of pixels with blue 235–255 (of 255)" {
		t.Errorf("feature 35 reads %q", got)
	}
	if got := featureWords("price"); got != "price" {
		t.Errorf("price reads %q", got)
	}
}

// A card's lines fit its width at the app's default window size (1280 px less the sidebar): the price,
// likelihood and "neon variant" on one line were cut off ("$20.99 · 12.2% likely · n…").
func TestFeedCardLinesFitAtTheDefaultSize(t *testing.T) {
	db := testlib.DemoLibrary(t, 40, 7)
	sh := startedShell(t, db)
	f := sh.Screen
	sh.OnUI(func() {
		sh.Deps.Window.Resize(fyne.NewSize(1140, 760))
		// The longest lines a card can have: a clicked variant in the demo's longest style name, at the
		// highest price (and a likelihood with two digits).
		var cards []feedCard
		for _, it := range f.feed.Items[:6] {
			it.Variants = append(slices.Clone(it.Variants), sim.Variant{ID: -1, Style: "vintage"})
			it.PriceCents = 99999
			cards = append(cards, feedCard{item: it, variant: len(it.Variants) - 1, decided: true, clicked: true, score: 0.123})
		}
		f.setCards(cards)
	})
	sh.OnUI(func() {
		for i, v := range f.views[:len(f.current)] {
			for _, l := range []*widget.Label{v.meta, v.kind} {
				need := fyne.MeasureText(l.Text, theme.TextSize(), l.TextStyle).Width + 2*theme.InnerPadding()
				if need > l.Size().Width+0.5 {
					t.Errorf("card %d: %q needs %.0f px, has %.0f", i, l.Text, need, l.Size().Width)
				}
			}
		}
	})
}
