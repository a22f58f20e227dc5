package account

import (
	"fmt"
	"slices"
	"strings"
)

// Scope limits what an API token may do.
type Scope string

// Scopes. A token carries some of them; a session carries every scope its account may have.
const (
	ScopeAccountRead  Scope = "account:read"
	ScopeAccountWrite Scope = "account:write"
	ScopeNoticesRead  Scope = "notices:read"
	ScopeServersRead  Scope = "servers:read"
	ScopeServersWrite Scope = "servers:write"
	ScopeOrdersRead   Scope = "orders:read"
	ScopeOrdersWrite  Scope = "orders:write"
	ScopeBillingRead  Scope = "billing:read"
	ScopeIPRead       Scope = "ip:read"
	ScopeIPWrite      Scope = "ip:write"
	ScopeStaffRead    Scope = "staff:read"
	ScopeStaffWrite   Scope = "staff:write"
)

// CustomerScopes are the scopes a customer token may hold.
var CustomerScopes = []Scope{ScopeAccountRead, ScopeAccountWrite, ScopeNoticesRead, ScopeServersRead,
	ScopeServersWrite, ScopeOrdersRead, ScopeOrdersWrite, ScopeBillingRead, ScopeIPRead, ScopeIPWrite}

// StaffScopes are the scopes a staff token may hold.
var StaffScopes = append(slices.Clone(CustomerScopes), ScopeStaffRead, ScopeStaffWrite)

// AllowedScopes returns the scopes an account kind may hold.
func AllowedScopes(k Kind) []Scope {
	if k == KindStaff {
		return StaffScopes
	}
	return CustomerScopes
}

// ParseScopes checks a list of scope names for kind k; "*" means every allowed scope.
func ParseScopes(k Kind, names []string) ([]Scope, error) {
	allowed := AllowedScopes(k)
	var out []Scope
	for _, n := range names {
		n = strings.TrimSpace(n)
		if n == "*" {
			return slices.Clone(allowed), nil
		}
		s := Scope(n)
		if !slices.Contains(allowed, s) {
			return nil, fmt.Errorf("unknown scope %q", n)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out, nil
}

// JoinScopes renders scopes space-separated, as stored.
func JoinScopes(ss []Scope) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = string(s)
	}
	return strings.Join(parts, " ")
}

// SplitScopes parses the stored form.
func SplitScopes(s string) []Scope {
	var out []Scope
	for _, p := range strings.Fields(s) {
		out = append(out, Scope(p))
	}
	return out
}
