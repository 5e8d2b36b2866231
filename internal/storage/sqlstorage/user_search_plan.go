package sqlstorage

import (
	"context"
	"slices"
	"strings"
)

// How a search reads user_search on SQLite. The answer is the same on every plan;
// only the work differs, and it differs a lot at a million users:
//
//   - Through the trigram index a search costs in proportion to what the
//     index yields (every candidate is fetched before the page is sorted),
//     so a term most users match (a company's mail domain) would fetch them
//     all. Read in the page's order instead, a common term fills its page at
//     once and reaches the count's cap quickly: that is the dense plan.
//   - FTS5 evaluates a phrase by reading the posting list of every trigram
//     in it, and in an email most trigrams (".co", "com", "exa") are in
//     every row. The trigrams a rare term has that few rows have select it
//     as well and cost a fraction: the FTS5 query names the two rarest.
//   - A rare term under three characters has no trigram to look up: the
//     table is read once and the few matches sorted (sortMatches).
//
// Which is which is estimated on densitySample random rows, read once per
// search (a few hundred kilobytes). SQLite only: PostgreSQL's planner makes
// the same choices from pg_trgm's statistics.
const (
	densitySample = 2000
	denseMatches  = 100 // 5 % of the sample
)

type searchPlan struct {
	dense       bool   // most rows match: read in the page's order
	match       string // SQLite FTS5 query of the term's rarest trigrams; "" none
	sortMatches bool   // no index can look the term up and few rows match
}

// tiebreak is the last sort key, plain or (sortMatches) kept off indexes.
func tiebreak(p searchPlan) string {
	if p.sortMatches {
		return "+s.user_id"
	}
	return "s.user_id"
}

type sampleRow struct {
	text   string
	fields [5]string // email, username, first, last, full name
}

// sampleSQL reads densitySample random rids up to the largest: point
// lookups on the primary key, so a million rows cost no more than a
// thousand, and random, so no periodic pattern in the data aliases with it.
const sampleSQL = `WITH RECURSIVE top(m) AS (SELECT MAX(COALESCE(MAX(rid), 0), 1) FROM user_search),
	pick(k, r) AS (SELECT 1, abs(random() % (SELECT m FROM top)) + 1
		UNION ALL SELECT k + 1, abs(random() % (SELECT m FROM top)) + 1 FROM pick WHERE k < $1)
	SELECT text, email, username, first_name, last_name, full_name FROM user_search WHERE rid IN (SELECT r FROM pick)`

// planSearch reads the sample and decides.
func (s *Store) planSearch(ctx context.Context, term string) (searchPlan, error) {
	rows, err := s.r.QueryContext(ctx, sampleSQL, densitySample)
	if err != nil {
		return searchPlan{}, s.wrap(err)
	}
	defer rows.Close()
	var sample []sampleRow
	for rows.Next() {
		var r sampleRow
		if err := rows.Scan(&r.text, &r.fields[0], &r.fields[1], &r.fields[2], &r.fields[3], &r.fields[4]); err != nil {
			return searchPlan{}, s.wrap(err)
		}
		sample = append(sample, r)
	}
	if err := rows.Err(); err != nil {
		return searchPlan{}, s.wrap(err)
	}
	matches := 0
	for _, r := range sample {
		if r.matches(term) {
			matches++
		}
	}
	// Shares of a sample smaller than densitySample (a small table) count
	// as shares of a full one.
	scale := densitySample / max(len(sample), 1)
	p := searchPlan{dense: matches*scale >= denseMatches, match: rarestTrigrams(term, sample, scale)}
	p.sortMatches = !p.dense && p.match == ""
	return p, nil
}

// matches is the exact test of userSearchWhere, in Go.
func (r sampleRow) matches(term string) bool {
	if !strings.Contains(term, "*") {
		return strings.Contains(r.text, term)
	}
	return slices.ContainsFunc(r.fields[:], func(f string) bool { return globMatch(term, f) })
}

// globMatch reports whether v matches pattern p as a whole, '*' matching
// any run of characters.
func globMatch(p, v string) bool {
	parts := strings.Split(p, "*")
	if !strings.HasPrefix(v, parts[0]) {
		return false
	}
	v = v[len(parts[0]):]
	for _, part := range parts[1 : len(parts)-1] {
		i := strings.Index(v, part)
		if i < 0 {
			return false
		}
		v = v[i+len(part):]
	}
	return strings.HasSuffix(v, parts[len(parts)-1])
}

// rarestTrigrams is the FTS5 query naming the two trigrams of the term's
// literal pieces that the fewest sample rows contain, each a quoted string
// with its quotes doubled
// (https://www.sqlite.org/fts5.html#fts5_strings); "" when no piece has
// three characters (the trigram tokenizer cannot look shorter ones up).
func rarestTrigrams(term string, sample []sampleRow, scale int) string {
	type gram struct {
		g string
		n int
	}
	var grams []gram
	for _, piece := range strings.Split(term, "*") {
		runes := []rune(piece)
		for i := 0; i+3 <= len(runes); i++ {
			g := string(runes[i : i+3])
			if slices.ContainsFunc(grams, func(x gram) bool { return x.g == g }) {
				continue
			}
			n := 0
			for _, r := range sample {
				if strings.Contains(r.text, g) {
					n++
				}
			}
			grams = append(grams, gram{g, n * scale})
		}
	}
	if len(grams) == 0 {
		return ""
	}
	slices.SortStableFunc(grams, func(a, b gram) int { return a.n - b.n })
	quote := func(g string) string { return `"` + strings.ReplaceAll(g, `"`, `""`) + `"` }
	if len(grams) > 1 {
		return quote(grams[0].g) + " AND " + quote(grams[1].g)
	}
	return quote(grams[0].g)
}
