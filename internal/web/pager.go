package web

import (
	"net/http"
	"strconv"

	"github.com/itsgow/itsgow/internal/errs"
)

// pageSize is the number of rows of a listing page.
const pageSize = 25

// pager links a listing page to the first and the next one. Lists go newest first, and a page
// is the rows with ids below ?before=.
type pager struct {
	First string // "" on the first page
	Next  string // "" on the last page
}

// cursorOf reads ?before= (0 when absent).
func cursorOf(r *http.Request) (int64, error) {
	s := r.URL.Query().Get("before")
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, &errs.Error{Kind: errs.Invalid, Code: "invalid_cursor", Msg: "invalid page link",
			Fields: []errs.FieldError{{Field: "before", Message: "must be a page link from the previous page"}}}
	}
	return n, nil
}

// paginate trims rows fetched with limit pageSize+1 and builds the links; id returns a row's id.
func paginate[T any](r *http.Request, rows []T, id func(T) int64) ([]T, pager) {
	var p pager
	q := r.URL.Query()
	q.Del("flash")
	if q.Get("before") != "" {
		q.Del("before")
		p.First = r.URL.Path
		if len(q) > 0 {
			p.First += "?" + q.Encode()
		}
	}
	if len(rows) > pageSize {
		rows = rows[:pageSize]
		q.Set("before", strconv.FormatInt(id(rows[len(rows)-1]), 10))
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	return rows, p
}
