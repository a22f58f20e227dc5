package web

import (
	"net/http"

	"github.com/itsgow/itsgow/internal/account"
	catalogue "github.com/itsgow/itsgow/internal/catalog"
)

// catalogData is the public catalogue.
type catalogData struct {
	F         fmtr
	Ranges    []rangeView
	Durations []int
	Options   []catalogue.Option
	CanOrder  bool // a customer is logged in
}

// rangeView is a range and its plans.
type rangeView struct {
	Range catalogue.Range
	Plans []catalogue.Plan
}

// Best is the lowest monthly price of a plan (its longest duration).
func (r rangeView) Best(p catalogue.Plan) int64 {
	var best int64
	for _, x := range p.Prices {
		if best == 0 || x.RecurringCents < best {
			best = x.RecurringCents
		}
	}
	return best
}

func (u *ui) catalogData(r *http.Request) (catalogData, error) {
	c := u.deps.Commerce.Catalog
	rs, err := c.Ranges(r.Context())
	if err != nil {
		return catalogData{}, err
	}
	ps, err := c.Plans(r.Context(), false)
	if err != nil {
		return catalogData{}, err
	}
	opts, err := c.Options(r.Context(), false)
	if err != nil {
		return catalogData{}, err
	}
	d := catalogData{Durations: c.Durations(), Options: opts}
	for _, rg := range rs {
		v := rangeView{Range: rg}
		for _, p := range ps {
			if p.Range == rg.Code {
				v.Plans = append(v.Plans, p)
			}
		}
		if len(v.Plans) > 0 {
			d.Ranges = append(d.Ranges, v)
		}
	}
	a := sessionOf(r)
	d.CanOrder = a.OK && a.Principal.Account.Kind == account.KindCustomer
	return d, nil
}

// catalogPage is GET /catalog: ranges, plans, prices per duration, stock; no login needed.
func (u *ui) catalogPage(w http.ResponseWriter, r *http.Request) error {
	d, err := u.catalogData(r)
	if err != nil {
		return err
	}
	u.render(w, r, http.StatusOK, "commerce_catalog", u.commercePage(r, "catalog", d))
	return nil
}
