package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/app"
	"github.com/itsgow/itsgow/internal/app/apptest"
)

// newNOC opens a second staff account (role noc) and returns an API token with every scope.
func newNOC(t *testing.T, e *apptest.Env, email string) string {
	t.Helper()
	ctx := context.Background()
	a, err := e.App.Accounts.CreateStaff(ctx, account.System, account.NewStaff{Email: email, Password: "a long enough password",
		Name: "Noa Petit", Language: "fr", Roles: []account.Role{account.RoleNOC}})
	if err != nil {
		t.Fatalf("create staff: %v", err)
	}
	_, secret, err := e.App.Accounts.CreateToken(ctx, account.System, account.Principal{Account: a, Scopes: account.StaffScopes},
		account.NewToken{Name: "t", Scopes: []string{"*"}})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// Carpet bombing is mitigated only with two people: a staff rule toward a prefix waits, refused
// by the guard rails (too-wide), until a second staff member approves it; its author cannot.
// A rule toward one address applies at once; none may touch the infrastructure; deleting a
// rule withdraws it.
func TestNetguardStaffRulesNeedASecondStaffMember(t *testing.T) {
	t.Parallel()
	engines(t, func(t *testing.T, pg bool) {
		opts := apptest.Options{Config: func(c *app.Config) { c.Netguard.Mitigation.Infrastructure = []string{"198.18.255.0/24"} }}
		if pg {
			url := apptest.Config(t, apptest.Options{Postgres: true}).Database.URL
			inner := opts.Config
			opts.Config = func(c *app.Config) { inner(c); c.Database.URL = url }
		}
		e := apptest.New(t, opts)
		admin, noc := e.Creds.Staff.Token, newNOC(t, e, "noa@itsgow.example")
		ngTick(t, e)
		const base = "/api/v1/staff/edge/staff-rules"
		r := e.Do(t, "POST", base, noc, []byte(`{"prefix":"198.18.1.0/24","vectors":["ntp-amplification","dns-amplification"],"reason":"carpet bombing, ticket 42"}`))
		if r.Status != 201 || !strings.Contains(string(r.Body), `"needsApproval":true,"applied":false`) {
			t.Fatalf("add a prefix rule: %d %s", r.Status, r.Body)
		}
		var rule struct{ ID int64 }
		r.JSON(t, &rule)
		ngTick(t, e)
		if got := logRules(e); strings.Contains(got, "198.18.1.0/24") {
			t.Fatalf("a prefix rule reached the edge without approval:\n%s", got)
		}
		if edge := e.Do(t, "GET", "/api/v1/staff/edge/rules", admin, nil); !strings.Contains(string(edge.Body), `"reason":"too-wide"`) {
			t.Errorf("the waiting rule is not among the refusals: %s", edge.Body)
		}
		approve := fmt.Sprintf("%s/%d/approve", base, rule.ID)
		if r := e.Do(t, "POST", approve, noc, nil); r.Status != 403 || r.Problem(t).Code != "approval_by_requester" {
			t.Fatalf("approved by its author: %d %s", r.Status, r.Body)
		}
		if r := e.Do(t, "POST", approve, e.Creds.Customer.Token, nil); r.Status != 403 {
			t.Errorf("approved by a customer: %d", r.Status)
		}
		if r := e.Do(t, "POST", approve, admin, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"applied":true`) {
			t.Fatalf("approved by a second staff member: %d %s", r.Status, r.Body)
		}
		ngTick(t, e)
		got := logRules(e)
		for _, want := range []string{"flow4 dst 198.18.1.0/24 proto 17 sport 53 then discard", "flow4 dst 198.18.1.0/24 proto 17 sport 123 then discard"} {
			if !strings.Contains(got, want) {
				t.Errorf("edge lacks %q:\n%s", want, got)
			}
		}

		// One address applies at once; the infrastructure and bad input are refused on their field.
		r = e.Do(t, "POST", base, noc, []byte(`{"prefix":"198.18.0.10","vectors":["syn-flood"],"reason":"ticket 43"}`))
		if r.Status != 201 || !strings.Contains(string(r.Body), `"needsApproval":false,"applied":true`) {
			t.Fatalf("add a host rule: %d %s", r.Status, r.Body)
		}
		for body, field := range map[string]string{
			`{"prefix":"198.18.255.0/25","vectors":["udp-flood"],"reason":"x"}`: "prefix",
			`{"prefix":"198.0.0.0/8","vectors":["udp-flood"],"reason":"x"}`:     "prefix",
			`{"prefix":"not a prefix","vectors":["udp-flood"],"reason":"x"}`:    "prefix",
			`{"prefix":"198.18.2.0/24","vectors":["teapot"],"reason":"x"}`:      "vectors[0]",
			`{"prefix":"198.18.2.0/24","vectors":[],"reason":"x"}`:              "vectors",
			`{"prefix":"198.18.2.0/24","vectors":["udp-flood"],"reason":" "}`:   "reason",
		} {
			r := e.Do(t, "POST", base, noc, []byte(body))
			if r.Status != 422 || r.Problem(t).Errors[0].Field != field {
				t.Errorf("%s: %d %s, want 422 on %s", body, r.Status, r.Body, field)
			}
		}
		ngTick(t, e)
		if got := logRules(e); !strings.Contains(got, "flow4 dst 198.18.0.10/32 proto 6 tcp-flags +S-A then discard") {
			t.Errorf("host rule not applied:\n%s", got)
		}
		list := e.Do(t, "GET", base, admin, nil)
		if list.Status != 200 || strings.Count(string(list.Body), `"id":`) != 2 {
			t.Errorf("list: %d %s", list.Status, list.Body)
		}
		if r := e.Do(t, "DELETE", fmt.Sprintf("%s/%d", base, rule.ID), admin, nil); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := e.Do(t, "DELETE", fmt.Sprintf("%s/%d", base, rule.ID), admin, nil); r.Status != 404 {
			t.Errorf("delete twice: %d", r.Status)
		}
		ngTick(t, e)
		if got := logRules(e); strings.Contains(got, "198.18.1.0/24") {
			t.Errorf("deleted rule still announced:\n%s", got)
		}
	})
}
