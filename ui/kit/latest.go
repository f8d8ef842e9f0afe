package kit

// Latest tells a background result whether it is still wanted: every Next starts a new request and
// makes all earlier ones stale, so a slow answer to an old query never replaces a newer one on screen.
// UI goroutine only (take the ticket there, and check it in the Do that applies the result).
type Latest struct{ n uint64 }

// Ticket is one request of a Latest.
type Ticket struct {
	l *Latest
	n uint64
}

// Next starts a request and returns its ticket.
func (l *Latest) Next() Ticket {
	l.n++
	return Ticket{l: l, n: l.n}
}

// Now is a ticket for the request in progress (the last Next), for work that joins it.
func (l *Latest) Now() Ticket { return Ticket{l: l, n: l.n} }

// Invalidate makes every ticket taken so far stale, without starting a request.
func (l *Latest) Invalidate() { l.n++ }

// Current reports whether no request was started (nor the Latest invalidated) since t was taken.
func (t Ticket) Current() bool { return t.l != nil && t.l.n == t.n }
