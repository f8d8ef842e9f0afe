package feed

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"stylestudio/app/studio"
	"stylestudio/engine/sim"
	"stylestudio/store"
	"stylestudio/ui/kit"
)

const (
	feedUsersPerRound = 60 // shoppers each policy meets per round
	feedSlateSize     = 9
	feedSteps         = 12
)

// feedCard is one product in the storefront: image, title, price, the ranker's score and what the shopper did.
type feedCard struct {
	slot     int
	item     sim.Item
	variant  int
	score    float64
	clicked  bool
	decided  bool // the shopper has seen the slate: clicked or skipped
	product  store.ProductRow
	explains []string
}

// FeedScreen is the simulated storefront: simulated shoppers meet a feed ranked by the embedded model,
// their clicks and skips play out slate by slate, and charts compare the policies on the same shoppers.
// "Be the shopper" lets a person click instead; their clicks reshape their profile and the ranking.
type FeedScreen struct {
	deps kit.Deps
	root fyne.CanvasObject

	status   *widget.Label
	playBtn  *widget.Button
	stepBtn  *widget.Button
	humanBtn *widget.Button
	rankBtn  *widget.Button // Retrain ranker
	speed    *widget.Slider
	shopper  *widget.Label
	slate    *fyne.Container
	chart    *canvas.Image
	chartTop *widget.Label
	summary  *widget.RichText
	legend   *fyne.Container
	perStyle *widget.Label
	sideBox  *fyne.Container // re-laid out when the legend and texts change

	// UI goroutine only.
	ready     bool
	feed      studio.Feed
	products  map[int64]store.ProductRow
	policies  []string
	round     int
	totals    map[string]*sim.Counter
	series    map[string][]float64
	styleCnt  map[string]*sim.Counter // ranker, by perceived style
	variants  [2]sim.Counter          // ranker: originals, variants
	sessions  [][]feedCard            // slates of the shopper being watched
	shown     int                     // slates of that shopper revealed so far
	playing   bool
	stopPlay  context.CancelFunc
	human     bool
	profile   sim.Profile
	humanSeen map[int]int
	humanUser int64 // the person's sim_users row, for logging their clicks (0 until created)
	humanStep int
	busy      bool
	reloadDue bool // a Reload arrived while a round or load ran: do it when that ends
	// statsGen changes when the running statistics restart (a reload, a new ranker): a round that
	// was running with the old feed is then dropped, not added to the new totals.
	statsGen   int
	retraining bool // a ranker retraining runs
	feedGen    int  // changes when Reload installs a new feed (a retrained ranker for the old one is not installed)
	// humanClicks counts the person's clicks since the ranker last retrained (RankerRetrainAfterClicks).
	humanClicks int
	// Stylized variants' images: object hash by variant id (from the catalog at Reload), thumbnails
	// decoded on demand for the cards on show (variants have no stored thumbnail), and those loading.
	variantHash    map[int64]string
	variantImg     map[int64]image.Image
	variantLoading map[int64]bool
	current        []feedCard // cards on show
	views          []*feedCardView

	// The speed slider's value (slates a second, as float64 bits): the Play loop reads it off the UI
	// goroutine, so the slider's OnChanged stores it here.
	speedBits atomic.Uint64
}

// NewFeedScreen builds the screen; Start loads the feed.
func NewFeedScreen(deps kit.Deps) *FeedScreen {
	s := &FeedScreen{deps: deps, policies: studio.PolicyNames(), totals: map[string]*sim.Counter{}, series: map[string][]float64{},
		styleCnt: map[string]*sim.Counter{}}
	s.status = widget.NewLabel("Loading the feed…")
	s.status.Truncation = fyne.TextTruncateEllipsis
	s.playBtn = widget.NewButtonWithIcon("Play", theme.MediaPlayIcon(), s.togglePlay)
	s.stepBtn = widget.NewButtonWithIcon("Step", theme.MediaSkipNextIcon(), s.Step)
	s.humanBtn = widget.NewButtonWithIcon("Be the shopper", theme.AccountIcon(), s.toggleHuman)
	s.rankBtn = widget.NewButtonWithIcon("Retrain ranker", theme.ViewRefreshIcon(), func() { s.RetrainRanker(false) })
	s.speed = widget.NewSlider(1, 10)
	s.speed.OnChanged = func(v float64) { s.speedBits.Store(math.Float64bits(v)) }
	s.speed.SetValue(4)
	s.shopper = widget.NewLabelWithStyle("", fyne.TextAlignLeading, fyne.TextStyle{Bold: true})
	s.slate = container.NewGridWithColumns(3)
	s.chart = canvas.NewImageFromImage(nil)
	s.chart.FillMode = canvas.ImageFillStretch
	s.chart.SetMinSize(fyne.NewSize(360, 180))
	s.chartTop = widget.NewLabel("")
	s.summary = widget.NewRichText()
	s.summary.Wrapping = fyne.TextWrapWord
	s.legend = container.NewVBox()
	s.perStyle = widget.NewLabel("")
	s.perStyle.Wrapping = fyne.TextWrapWord
	for _, b := range []*widget.Button{s.playBtn, s.stepBtn, s.humanBtn, s.rankBtn} {
		b.Disable()
	}

	controls := container.NewHBox(s.playBtn, s.stepBtn, widget.NewLabel("Speed"), container.NewGridWrap(fyne.NewSize(140, 36), s.speed), widget.NewSeparator(), s.humanBtn,
		widget.NewSeparator(), s.rankBtn)
	store := container.NewBorder(s.shopper, nil, nil, nil, container.NewVScroll(s.slate))
	chartBox := container.NewBorder(widget.NewLabelWithStyle("Click-through rate over rounds (same shoppers for every policy)", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		s.chartTop, nil, nil, s.chart)
	s.sideBox = container.NewVBox(chartBox,
		widget.NewLabelWithStyle("CTR so far, and as a share of the oracle's", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.legend, widget.NewSeparator(), s.summary,
		widget.NewLabelWithStyle("Ranker, by perceived style", fyne.TextAlignLeading, fyne.TextStyle{Bold: true}), s.perStyle)
	side := container.NewVScroll(s.sideBox)
	split := container.NewHSplit(store, side)
	split.Offset = 0.6
	s.root = container.NewBorder(container.NewPadded(controls), container.NewPadded(s.status), nil, nil, split)
	return s
}

// Object is the screen's widget tree.
func (s *FeedScreen) Object() fyne.CanvasObject { return s.root }

// Start prepares the feed (items, features, the embedded or library ranker) in the background.
func (s *FeedScreen) Start() { s.Reload() }

// Reload re-reads the catalog into the feed (after imports or labeling); the running statistics restart.
func (s *FeedScreen) Reload() {
	if s.busy {
		s.reloadDue = true // new variants or products must not be missed: reload when this work ends
		return
	}
	s.busy = true
	s.reloadDue = false
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		feed, notes, err := studio.PrepareFeed(ctx, db, true, 1)
		var rows []store.ProductRow
		var vrows []store.FeedVariant
		if err == nil {
			rows, err = db.Products(ctx, store.ProductFilter{})
		}
		if err == nil {
			vrows, err = db.FeedVariants(ctx)
		}
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			s.busy = false
			if s.reloadDue {
				s.Reload()
				return
			}
			if err != nil {
				s.status.SetText("Feed unavailable: " + err.Error())
				RoundShown.Emit(s.deps.Events, struct{}{})
				return
			}
			s.feed = feed
			s.feedGen++
			s.products = make(map[int64]store.ProductRow, len(rows))
			for _, r := range rows {
				s.products[r.ID] = r
			}
			s.variantHash = make(map[int64]string, len(vrows))
			for _, v := range vrows {
				s.variantHash[v.ID] = v.ImageHash
			}
			s.variantImg, s.variantLoading = map[int64]image.Image{}, map[int64]bool{}
			s.ready = true
			s.resetStats()
			for _, b := range []*widget.Button{s.playBtn, s.stepBtn, s.humanBtn} {
				b.Enable()
			}
			if !s.retraining {
				s.rankBtn.Enable()
			}
			s.status.SetText(strings.Join(notes, " · "))
			if s.human {
				s.humanSlate()
			}
			s.Step()
		})
	}()
}

// resetStats restarts the rounds and their running statistics (a new feed or a new ranker).
func (s *FeedScreen) resetStats() {
	s.statsGen++
	s.round = 0
	s.totals, s.series, s.styleCnt = map[string]*sim.Counter{}, map[string][]float64{}, map[string]*sim.Counter{}
	s.variants = [2]sim.Counter{}
	s.sessions, s.shown = nil, 0
}

// Step reveals the watched shopper's next slate; when their session is over, the next round of shoppers
// runs (every policy meets the same shoppers) and the charts update.
func (s *FeedScreen) Step() {
	if !s.ready || s.human {
		return
	}
	if s.shown < len(s.sessions) {
		s.shown++
		s.showSlate()
		return
	}
	if s.busy {
		return
	}
	s.busy = true
	s.round++
	feed, ctx, round, gen := s.feed, s.deps.Ctx, s.round, s.statsGen
	go func() {
		var watched [][]feedCard
		cfg := sim.RunConfig{Users: feedUsersPerRound, Steps: feedSteps, SlateSize: feedSlateSize, Seed: uint64(round),
			Logger: func(imp sim.Impression) {
				if imp.Policy != "ranker" || imp.User != 0 {
					return
				}
				for len(watched) <= imp.Step {
					watched = append(watched, nil)
				}
				it := feed.Items[imp.Item]
				watched[imp.Step] = append(watched[imp.Step], feedCard{slot: imp.Position, item: it, variant: imp.Variant,
					score: feed.Model.Score(imp.Profile, &feed.Items[imp.Item], imp.Variant), clicked: imp.Clicked, decided: true})
			}}
		res, err := sim.Run(ctx, cfg, feed.Items, feed.Styles, feed.Policies(s.policies), nil)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			s.busy = false
			if s.reloadDue {
				s.Reload()
				return
			}
			if gen != s.statsGen {
				s.Step() // the statistics restarted (a new ranker) while this round ran: run it again
				return
			}
			if err != nil {
				s.status.SetText("Simulation failed: " + err.Error())
				return
			}
			s.addRound(res)
			s.sessions, s.shown = watched, 1
			s.showSlate()
			RoundShown.Emit(s.deps.Events, struct{}{})
		})
	}()
}

// addRound folds one round's results into the running totals and redraws the charts.
func (s *FeedScreen) addRound(res sim.Results) {
	for _, p := range res.Policies {
		c := s.totals[p.Name]
		if c == nil {
			c = &sim.Counter{}
			s.totals[p.Name] = c
		}
		c.Impressions += p.Impressions
		c.Clicks += p.Clicks
		s.series[p.Name] = append(s.series[p.Name], c.CTR())
		if p.Name == "ranker" {
			for i, st := range res.Styles {
				sc := s.styleCnt[st]
				if sc == nil {
					sc = &sim.Counter{}
					s.styleCnt[st] = sc
				}
				sc.Impressions += p.Styles[i].Impressions
				sc.Clicks += p.Styles[i].Clicks
			}
			s.variants[0].Impressions += p.Originals.Impressions
			s.variants[0].Clicks += p.Originals.Clicks
			s.variants[1].Impressions += p.Variants.Impressions
			s.variants[1].Clicks += p.Variants.Clicks
		}
	}
	s.drawCharts()
}

func (s *FeedScreen) drawCharts() {
	top := 0.0
	for _, ser := range s.series {
		for _, v := range ser {
			top = max(top, v)
		}
	}
	top = mathCeilTo(top*1.1, 0.01)
	s.chart.Image = lineChart(720, 320, s.series, top, theme.Color(theme.ColorNameInputBackground))
	s.chart.Refresh()
	s.chartTop.SetText(fmt.Sprintf("top of chart: %.0f%% CTR · %d round%s × %d shoppers", 100*top, s.round, studio.Plural(s.round), feedUsersPerRound))

	colors := policyColors()
	oracle := s.totals["oracle"].CTR()
	s.legend.Objects = nil
	var md strings.Builder
	for _, name := range s.policies {
		c := s.totals[name]
		if c == nil {
			continue
		}
		swatch := canvas.NewRectangle(colors[name])
		swatch.SetMinSize(fyne.NewSize(14, 14))
		share := ""
		if oracle > 0 {
			share = fmt.Sprintf(" · %.0f%% of oracle", 100*c.CTR()/oracle)
		}
		s.legend.Add(container.NewHBox(container.NewCenter(swatch), widget.NewLabel(fmt.Sprintf("%s: %.2f%%%s", name, 100*c.CTR(), share))))
	}
	s.legend.Refresh()
	if s.variants[1].Impressions > 0 && s.variants[0].CTR() > 0 {
		// With the counts: a lift after one round rests on a handful of clicks.
		fmt.Fprintf(&md, "Stylized variants shown by the ranker: CTR %.2f%% (%d clicks of %d) vs originals %.2f%% (%d of %d): lift %+.0f%%\n",
			100*s.variants[1].CTR(), s.variants[1].Clicks, s.variants[1].Impressions,
			100*s.variants[0].CTR(), s.variants[0].Clicks, s.variants[0].Impressions,
			100*(s.variants[1].CTR()/s.variants[0].CTR()-1))
	} else {
		md.WriteString("No stylized variants in this catalog yet, so the ranker shows originals only (no variant lift to report).\n")
	}
	s.summary.ParseMarkdown(md.String())
	var names []string
	for st := range s.styleCnt {
		names = append(names, st)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, st := range names {
		c := s.styleCnt[st]
		if c.Impressions == 0 {
			fmt.Fprintf(&b, "%s: not shown yet\n", st)
			continue
		}
		fmt.Fprintf(&b, "%s: %.2f%% CTR, %d click%s of %d shown\n", st, 100*c.CTR(), c.Clicks, studio.Plural(int(c.Clicks)), c.Impressions)
	}
	s.perStyle.SetText(strings.TrimSpace(b.String()))
	s.sideBox.Refresh()
}

func mathCeilTo(v, step float64) float64 {
	if v <= 0 {
		return step
	}
	n := int(v/step) + 1
	return float64(n) * step
}

// showSlate draws the watched shopper's slates revealed so far (the newest).
func (s *FeedScreen) showSlate() {
	if len(s.sessions) == 0 {
		// No simulated slate yet (back from being the shopper while the rounds start again): none of
		// the person's cards may stay up, clickable, as if they were still the shopper.
		s.shopper.SetText("Press Play or Step to watch simulated shoppers.")
		s.setCards(nil)
		return
	}
	s.shown = min(max(s.shown, 1), len(s.sessions))
	cards := s.sessions[s.shown-1]
	clicks := 0
	for _, c := range cards {
		if c.clicked {
			clicks++
		}
	}
	ranked := "ranked by the ranker"
	if s.feed.Source.Variants > 0 {
		ranked += " with variants"
	}
	s.shopper.SetText(fmt.Sprintf("Round %d · shopper 1 · slate %d of %d · %d click%s — %s",
		s.round, s.shown, len(s.sessions), clicks, studio.Plural(clicks), ranked))
	s.setCards(cards)
}

func (s *FeedScreen) setCards(cards []feedCard) {
	s.current = cards
	for len(s.views) < len(cards) {
		s.views = append(s.views, newFeedCardView())
	}
	objs := make([]fyne.CanvasObject, len(cards))
	for i, c := range cards {
		s.bindCard(s.views[i], c)
		objs[i] = s.views[i].root
	}
	s.slate.Objects = objs
	s.slate.Refresh()
}

// feedCardView is one slot of the storefront. The slots are made once and rebound to each slate's
// cards: a new image object per card and slate made the renderer upload a new texture each time and
// keep it for a minute, so Play grew the process by about 100 MB a minute.
type feedCardView struct {
	root   fyne.CanvasObject
	frame  *canvas.Rectangle
	img    *canvas.Image
	title  *widget.Label
	meta   *widget.Label // price and how likely the ranker thinks a click is
	kind   *widget.Label // which picture is shown (a style's variant or the original) and the shopper's click
	why    *widget.Button
	click  *widget.Button
	action *fyne.Container
}

func newFeedCardView() *feedCardView {
	v := &feedCardView{frame: canvas.NewRectangle(color.Transparent), img: canvas.NewImageFromImage(nil),
		title: widget.NewLabel(""), meta: widget.NewLabel(""), kind: widget.NewLabel("")}
	v.img.FillMode = canvas.ImageFillContain
	v.img.SetMinSize(fyne.NewSize(120, 120))
	v.title.Truncation = fyne.TextTruncateEllipsis
	v.meta.Truncation = fyne.TextTruncateEllipsis
	v.kind.Truncation = fyne.TextTruncateEllipsis
	v.why = widget.NewButtonWithIcon("", theme.InfoIcon(), nil)
	v.click = widget.NewButton("Click", nil)
	v.click.Importance = widget.HighImportance
	v.action = container.NewHBox(v.click, v.why)
	v.frame.StrokeWidth = 3
	// Price and likelihood on one line, the picture shown and the click on the next: on one line they
	// were cut off at the app's default window size ("$20.99 · 12.2% likely · n…").
	lines := container.New(layout.NewCustomPaddedVBoxLayout(0), v.title, container.NewBorder(nil, nil, nil, v.action, v.meta), v.kind)
	body := container.NewBorder(nil, lines, nil, nil, v.img)
	v.root = container.NewStack(v.frame, container.NewPadded(body))
	return v
}

// bindCard shows one storefront card in a slot.
func (s *FeedScreen) bindCard(v *feedCardView, c feedCard) {
	row := s.products[c.item.ID]
	if c.variant > 0 {
		// The stylized image, not the product's photo: it is what the shopper is shown and reacts to.
		v.img.Image = s.variantThumb(c.item.Variants[c.variant].ID)
	} else {
		v.img.Image = s.deps.Thumbs.Get(row.ImageHash)
	}
	v.img.Translucency = 0
	v.title.SetText(row.Title)
	info := fmt.Sprintf("%s · %.1f%% likely", kit.FormatPrice(row.PriceCents), 100*c.score)
	kind := "original photo"
	if c.variant > 0 {
		kind = c.item.Variants[c.variant].Style + " variant"
	}
	v.why.OnTapped = func() { s.explain(c) }
	v.click.OnTapped = func() { s.humanClick(c) }
	if s.human {
		v.click.Show()
	} else {
		v.click.Hide()
	}
	v.frame.StrokeColor = color.Transparent
	switch {
	case c.decided && c.clicked:
		v.frame.StrokeColor = color.NRGBA{0x2e, 0x9d, 0x32, 0xff}
		kind = "Clicked · " + kind
	case c.decided:
		v.img.Translucency = 0.55 // skipped
	}
	v.meta.SetText(info)
	v.kind.SetText(kind)
	v.frame.Refresh()
	v.img.Refresh()
	v.action.Refresh()
}

// variantThumb returns a variant's thumbnail, or nil while it loads (the cards are drawn again when it
// has). UI goroutine.
func (s *FeedScreen) variantThumb(id int64) image.Image {
	if img := s.variantImg[id]; img != nil {
		return img
	}
	hash, ok := s.variantHash[id]
	if !ok || s.variantLoading[id] {
		return nil
	}
	s.variantLoading[id] = true
	db, ctx, loading := s.deps.DB, s.deps.Ctx, s.variantLoading
	go func() {
		img, err := studio.VariantThumbnail(db, hash)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			delete(loading, id)
			if err != nil || s.variantHash[id] != hash {
				return // unreadable (the card stays blank), or a reload replaced the variants meanwhile
			}
			if len(s.variantImg) >= maxVariantThumbs {
				clear(s.variantImg) // only the cards on show need theirs
			}
			s.variantImg[id] = img
			s.setCards(s.current)
		})
	}()
	return nil
}

// maxVariantThumbs bounds the decoded variant thumbnails kept (a slate shows nine).
const maxVariantThumbs = 256

// explain shows why the ranker scored this card as it did: its largest feature contributions.
func (s *FeedScreen) explain(c feedCard) {
	p := s.profile
	if !s.human {
		p = sim.NewProfile(len(s.feed.Styles), sim.Categories(s.feed.Items))
	}
	var b strings.Builder
	b.WriteString("Largest contributions to the ranker's logit (positive raises the click probability):\n\n")
	for _, ct := range s.feed.Model.Explain(&p, &c.item, c.variant) {
		fmt.Fprintf(&b, "%+.3f  %s\n", ct.Value, featureWords(ct.Feature))
	}
	if !s.human {
		b.WriteString("\n(for a new shopper's profile; play as the shopper to see your own)")
	}
	s.deps.ShowInformation("Why "+s.products[c.item.ID].Title+"?", b.String())
}

func (s *FeedScreen) togglePlay() {
	if s.playing {
		s.stopPlaying()
		return
	}
	if s.human {
		s.toggleHuman()
	}
	s.playing = true
	s.playBtn.SetText("Pause")
	s.playBtn.SetIcon(theme.MediaPauseIcon())
	ctx, cancel := context.WithCancel(s.deps.Ctx)
	s.stopPlay = cancel
	go s.play(ctx)
}

// play steps the feed at the speed the slider shows until ctx ends. Each step waits for the UI to have
// applied the one before, so the loop never queues more than one step however slow the UI is.
func (s *FeedScreen) play(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.playDelay()):
		}
		applied := make(chan struct{})
		s.deps.Do(func() {
			defer close(applied)
			if ctx.Err() == nil {
				s.Step()
			}
		})
		select {
		case <-applied:
		case <-ctx.Done():
			return
		}
	}
}

// playDelay is the time between two slates at the slider's speed. Any goroutine.
func (s *FeedScreen) playDelay() time.Duration {
	perSecond := math.Float64frombits(s.speedBits.Load())
	if perSecond <= 0 {
		perSecond = 1
	}
	return time.Duration(float64(time.Second) / perSecond)
}

func (s *FeedScreen) stopPlaying() {
	if s.stopPlay != nil {
		s.stopPlay()
	}
	s.playing = false
	s.playBtn.SetText("Play")
	s.playBtn.SetIcon(theme.MediaPlayIcon())
}

// toggleHuman switches between watching simulated shoppers and being the shopper.
func (s *FeedScreen) toggleHuman() {
	if s.playing {
		s.stopPlaying()
	}
	s.human = !s.human
	if !s.human {
		s.humanBtn.SetText("Be the shopper")
		s.showSlate()
		return
	}
	s.humanBtn.SetText("Back to the simulation")
	s.profile = sim.NewProfile(len(s.feed.Styles), sim.Categories(s.feed.Items))
	s.humanSeen = map[int]int{}
	s.humanUser, s.humanStep = 0, 0
	s.humanSlate()
	// The person's clicks are stored like any shopper's, so `rank train` learns from them too.
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		id, err := db.AddSimUsers(ctx, 1, 0, func(int) string { return `{"human":true}` })
		if err != nil {
			return
		}
		s.deps.Do(func() {
			if s.human {
				s.humanUser = id
			}
		})
	}()
}

// humanSlate ranks the catalog for the person's profile (best image per product) and shows the top slate.
func (s *FeedScreen) humanSlate() {
	items := s.feed.Items
	var cands []sim.Choice
	for i, it := range items {
		for v := range it.Variants {
			cands = append(cands, sim.Choice{Item: i, Variant: v})
		}
	}
	scores := make([]float64, len(cands))
	s.feed.Model.ScoreCandidates(&s.profile, items, cands, scores)
	best := map[int]int{} // item -> index into cands
	for ci, c := range cands {
		scores[ci] -= 0.05 * float64(s.humanSeen[c.Item]) // shown before: a little less
		if b, ok := best[c.Item]; !ok || scores[ci] > scores[b] {
			best[c.Item] = ci
		}
	}
	order := make([]int, 0, len(best))
	for _, ci := range best {
		order = append(order, ci)
	}
	sort.Slice(order, func(a, b int) bool { return scores[order[a]] > scores[order[b]] })
	var cards []feedCard
	for slot, ci := range order[:min(feedSlateSize, len(order))] {
		c := cands[ci]
		cards = append(cards, feedCard{slot: slot, item: items[c.Item], variant: c.Variant,
			score: s.feed.Model.Score(&s.profile, &items[c.Item], c.Variant)})
	}
	s.shopper.SetText(fmt.Sprintf("You are the shopper · %d click%s so far: click what you would buy; the ranking follows your taste",
		s.profile.Clicks, studio.Plural(s.profile.Clicks)))
	s.setCards(cards)
}

// humanClick records a click on c and skips on the rest of the slate, then re-ranks.
func (s *FeedScreen) humanClick(c feedCard) {
	items := s.feed.Items
	idx := -1
	for i := range items {
		if items[i].ID == c.item.ID {
			idx = i
		}
	}
	if idx < 0 {
		return
	}
	for _, o := range s.current {
		if o.item.ID == c.item.ID {
			continue
		}
		for j := range items {
			if items[j].ID == o.item.ID {
				sim.UpdateProfile(&s.profile, false, &items[j].Variants[o.variant], &items[j])
				s.humanSeen[j]++
			}
		}
	}
	sim.UpdateProfile(&s.profile, true, &items[idx].Variants[c.variant], &items[idx])
	s.humanSeen[idx]++
	s.humanClicks++
	var then func()
	if s.humanClicks >= studio.RankerRetrainAfterClicks && !s.retraining {
		s.humanClicks = 0
		then = func() { s.RetrainRanker(true) } // once this slate is stored, so it trains too
	}
	s.logHumanSlate(c, then)
	s.humanSlate()
}

// logHumanSlate stores the slate the person saw as impressions (policy "human"), the clicked one
// clicked; then, when set, runs on the UI goroutine after the write (also when nothing was stored).
func (s *FeedScreen) logHumanSlate(clicked feedCard, then func()) {
	if s.humanUser == 0 {
		if then != nil {
			then()
		}
		return
	}
	rows := make([]store.Interaction, 0, len(s.current))
	for _, o := range s.current {
		rows = append(rows, store.Interaction{UserID: s.humanUser, ProductID: o.item.ID, VariantID: o.item.Variants[o.variant].ID,
			Step: s.humanStep, Position: o.slot, Clicked: o.item.ID == clicked.item.ID, Policy: "human"})
	}
	s.humanStep++
	db, ctx := s.deps.DB, s.deps.Ctx
	go func() {
		err := db.AddInteractions(ctx, rows)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			if err != nil {
				s.status.SetText("Could not store your clicks: " + err.Error())
			}
			if then != nil {
				then()
			}
		})
	}()
}

// RankerRetrain is what RankerRetrained announces: the report of a ranker retraining or how it failed,
// and whether the person's clicks started it (Auto) rather than the button.
type RankerRetrain struct {
	Report studio.RankerReport
	Err    error
	Auto   bool
}

// RankerRetrained is announced on Deps.Events (UI goroutine) when a ranker retraining ends.
const RankerRetrained kit.Topic[RankerRetrain] = "feed.ranker"

// RetrainRanker retrains the library's ranker for the feed as it is now, stylized variants and the
// person's stored clicks included (studio.RetrainFeedRanker), in the background; when it ends the feed
// ranks with it and the rounds start again. auto: started by the person's clicks. UI goroutine.
func (s *FeedScreen) RetrainRanker(auto bool) {
	if !s.ready || s.retraining {
		return
	}
	s.retraining = true
	s.rankBtn.Disable()
	why := ""
	if auto {
		why = fmt.Sprintf(" (after %d of your clicks)", studio.RankerRetrainAfterClicks)
	}
	s.status.SetText(fmt.Sprintf("Retraining the ranker%s on this feed: %d products, %d stylized variants…", why, s.feed.Source.Products, s.feed.Source.Variants))
	db, ctx, feed, gen := s.deps.DB, s.deps.Ctx, s.feed, s.feedGen
	go func() {
		next, rep, err := studio.RetrainFeedRanker(ctx, db, feed, 1)
		if ctx.Err() != nil {
			return
		}
		s.deps.Do(func() {
			s.retraining = false
			if s.ready {
				s.rankBtn.Enable()
			}
			if err != nil {
				s.status.SetText("Could not retrain the ranker: " + err.Error())
				RankerRetrained.Emit(s.deps.Events, RankerRetrain{Err: err, Auto: auto})
				return
			}
			m := rep.Metrics
			logs := "the catalog's stored impressions"
			if rep.Logs == studio.LogsSimulated {
				logs = fmt.Sprintf("simulated shoppers browsing this feed (%d products, %d stylized variants)", feed.Source.Products, feed.Source.Variants)
				if rep.Extra > 0 {
					logs += fmt.Sprintf(" and %d stored impressions, yours among them", rep.Extra)
				}
			}
			msg := fmt.Sprintf("Ranker retrained%s on %s: held-out AUC %.3f (popularity %.3f, random %.3f); saved to the library",
				why, logs, m.Ranker.AUC, m.Popularity.AUC, m.Random.AUC)
			if gen == s.feedGen {
				s.feed.Model, s.feed.Ranker = next.Model, next.Ranker
				s.resetStats()
				msg += "; the rounds start again with it"
				if s.human {
					s.humanSlate()
				} else {
					s.Step()
				}
			} // else a reload installed a newer feed meanwhile; it loaded the saved ranker itself
			s.status.SetText(msg)
			RankerRetrained.Emit(s.deps.Events, RankerRetrain{Report: rep, Auto: auto})
		})
	}()
}

// ThumbArrived redraws the slate when one of its thumbnails has loaded.
func (s *FeedScreen) ThumbArrived(hash string) {
	for _, c := range s.current {
		if s.products[c.item.ID].ImageHash == hash {
			s.setCards(s.current)
			return
		}
	}
}

// currentHashes are the thumbnails the slate on show needs.
func (s *FeedScreen) currentHashes() []string {
	var out []string
	for _, c := range s.current {
		out = append(out, s.products[c.item.ID].ImageHash)
	}
	return out
}

// RoundShown is what the Feed screen announces on Deps.Events (UI goroutine) after each simulated
// round is shown.
const RoundShown kit.Topic[struct{}] = "feed.round"

// OnRoundShown subscribes f to RoundShown (a headless screenshot waits for a few rounds).
func (s *FeedScreen) OnRoundShown(f func()) { RoundShown.On(s.deps.Events, func(struct{}) { f() }) }

// NextRound skips the watched shopper's remaining slates and steps into the next round. UI goroutine.
func (s *FeedScreen) NextRound() {
	s.shown = len(s.sessions)
	s.Step()
}

// PreloadCards loads the thumbnails of the slate on show and paints them (headless screenshots, which
// have no free-running loader). UI goroutine.
func (s *FeedScreen) PreloadCards(ctx context.Context) {
	s.deps.Thumbs.Preload(ctx, s.currentHashes())
	s.setCards(s.current)
}

// featureWords names the ranker's image features as the feed computes them (studio.ColorHistogram: the
// share of pixels per channel and bin), where the ranker, which knows only their index, says "image
// feature N".
func featureWords(name string) string {
	var j int
	if _, err := fmt.Sscanf(name, "image feature %d", &j); err != nil || j < 0 || j >= 3*studio.HistogramBins {
		return name
	}
	ch, bin := j/studio.HistogramBins, j%studio.HistogramBins
	// The values v with v·B/256 in bin (B bins): from ⌈bin·256/B⌉ to ⌈(bin+1)·256/B⌉−1.
	B := studio.HistogramBins
	lo, hi := (bin*256+B-1)/B, ((bin+1)*256+B-1)/B-1
	return fmt.Sprintf("colour: share of pixels with %s %d–%d (of 255)", [3]string{"red", "green", "blue"}[ch], lo, hi)
}
