package manage

import "strings"

// Every search and listing pages and filters by one rule, whichever
// endpoint, engine or transport it comes through: a negative startRow or
// numberOfResults (recent-login's offset and limit) is [invalid]<field>,
// an id filter that is not a UUID [couldNotConvert]<field>; 0 rows is the
// search's default and more than MaxPageSize are MaxPageSize.

// MaxPageSize bounds every page a search answers (numberOfResults, limit):
// a caller asking for more gets this many and pages on with startRow.
const MaxPageSize = 500

// paging is one paging value and the field that carries it.
type paging struct {
	field string
	value int
}

// searchPaging is a {"search":{...}} request's startRow and numberOfResults.
func searchPaging(startRow, numberOfResults int) []paging {
	return []paging{{"search.startRow", startRow}, {"search.numberOfResults", numberOfResults}}
}

// checkPaging adds the paging rule's problems to e.
func checkPaging(e *Invalid, ps ...paging) {
	for _, p := range ps {
		if p.value < 0 {
			name := p.field[strings.LastIndexByte(p.field, '.')+1:]
			e.Field("invalid", p.field, "The ["+name+"] must not be negative.")
		}
	}
}

// checkFilterID adds [couldNotConvert]field to e when id, an optional id
// filter, is not a UUID: it could match nothing, and a typo answering an
// empty page would read as "none".
func checkFilterID(e *Invalid, field, id string) {
	if id != "" && !ValidID(id) {
		name := field[strings.LastIndexByte(field, '.')+1:]
		e.Field("couldNotConvert", field, "The ["+name+"] ["+truncate(id, 64)+"] is not a valid UUID.")
	}
}

// checkFilterIDs is checkFilterID for a list of ids (one problem for the
// first that is not a UUID).
func checkFilterIDs(e *Invalid, field string, ids []string) {
	for _, id := range ids {
		if !ValidID(id) {
			e.Field("couldNotConvert", field, "The id ["+truncate(id, 64)+"] is not a valid UUID.")
			return
		}
	}
}

// pageSize is n within [1, MaxPageSize], def when n is not positive.
func pageSize(n, def int) int {
	if n <= 0 {
		return def
	}
	return min(n, MaxPageSize)
}

// PageOf is one page of a search answered from a list in memory (startRow
// rows skipped, numberOfResults answered: 0 is 25), checked by the paging
// rule: an *Invalid for a negative value.
func PageOf[T any](list []T, startRow, numberOfResults int) ([]T, error) {
	e := &Invalid{}
	checkPaging(e, searchPaging(startRow, numberOfResults)...)
	if err := e.Err(); err != nil {
		return nil, err
	}
	start := min(startRow, len(list))
	return list[start:min(start+pageSize(numberOfResults, 25), len(list))], nil
}
