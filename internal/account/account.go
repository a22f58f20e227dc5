package account

import (
	"fmt"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
)

// ID identifies an account (customer or staff).
type ID int64

// Kind tells customers from staff.
type Kind string

// Account kinds.
const (
	KindCustomer Kind = "customer"
	KindStaff    Kind = "staff"
)

// Role is a staff role.
type Role string

// Staff roles.
const (
	RoleAdmin      Role = "admin"
	RoleBilling    Role = "billing"
	RoleNOC        Role = "noc"
	RoleAbuse      Role = "abuse"
	RoleSupport    Role = "support"
	RoleTechnician Role = "technician"
)

// Roles lists every staff role.
var Roles = []Role{RoleAdmin, RoleBilling, RoleNOC, RoleAbuse, RoleSupport, RoleTechnician}

// Account is a person who logs in.
type Account struct {
	ID           ID
	Kind         Kind
	Email        string
	Name         string
	Language     string // fr or en
	PasswordHash string
	TOTPSecret   string
	TOTPEnabled  bool
	TOTPLastStep int64
	FailedLogins int
	LockedUntil  time.Time
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
	Roles        []Role    // staff only
	Customer     *Customer // customers only
}

// HasRole reports whether a staff account has role r (admin has every role).
func (a Account) HasRole(r Role) bool {
	if a.Kind != KindStaff {
		return false
	}
	return slices.Contains(a.Roles, RoleAdmin) || slices.Contains(a.Roles, r)
}

// Label is how the account appears in the audit log.
func (a Account) Label() string { return fmt.Sprintf("%s:%d <%s>", a.Kind, a.ID, a.Email) }

// CustomerType is person or company.
type CustomerType string

// Customer types.
const (
	Person  CustomerType = "person"
	Company CustomerType = "company"
)

// Customer holds the billing identity of a customer account.
type Customer struct {
	Type        CustomerType
	CompanyName string
	Address     string
	PostalCode  string
	City        string
	Country     string // ISO 3166-1 alpha-2
	SIREN       string // companies registered in France
	VATNumber   string // intra-EU VAT number, e.g. FR40303265045
	Phone       string
}

// NewCustomer is the input to create a customer.
type NewCustomer struct {
	Email    string
	Password string
	Name     string
	Language string
	Customer Customer
}

// NewStaff is the input to create a staff member.
type NewStaff struct {
	Email    string
	Password string
	Name     string
	Language string
	Roles    []Role
}

var (
	sirenRe   = regexp.MustCompile(`^[0-9]{9}$`)
	vatRe     = regexp.MustCompile(`^[A-Z]{2}[0-9A-Z]{2,13}$`)
	countryRe = regexp.MustCompile(`^[A-Z]{2}$`)
)

// ValidSIREN checks a French SIREN (9 digits, Luhn).
func ValidSIREN(s string) bool {
	if !sirenRe.MatchString(s) {
		return false
	}
	sum := 0
	for i := 0; i < 9; i++ {
		d := int(s[8-i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}

// ValidVATNumber checks the shape of an EU VAT number, and the key of a French one.
func ValidVATNumber(s string) bool {
	if !vatRe.MatchString(s) {
		return false
	}
	if strings.HasPrefix(s, "FR") {
		if len(s) != 13 || !ValidSIREN(s[4:]) {
			return false
		}
		key := s[2:4]
		if key[0] >= '0' && key[0] <= '9' && key[1] >= '0' && key[1] <= '9' {
			var siren int64
			fmt.Sscan(s[4:], &siren)
			want := (12 + 3*(siren%97)) % 97
			return fmt.Sprintf("%02d", want) == key
		}
	}
	return true
}

func normEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func validEmail(s string) bool {
	a, err := mail.ParseAddress(s)
	return err == nil && a.Address == s && len(s) <= 254
}

func validLanguage(s string) bool { return s == "fr" || s == "en" }

func (n *NewCustomer) validate(minPassword int) error {
	var v errs.Validator
	n.Email = normEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	c := &n.Customer
	c.Country = strings.ToUpper(strings.TrimSpace(c.Country))
	c.VATNumber = strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(c.VATNumber), " ", ""))
	c.SIREN = strings.ReplaceAll(strings.TrimSpace(c.SIREN), " ", "")
	v.Check(validEmail(n.Email), "email", "must be a valid email address")
	v.Check(len(n.Password) >= minPassword, "password", fmt.Sprintf("must be at least %d characters", minPassword))
	v.Check(len(n.Password) <= 1024, "password", "is too long")
	v.Check(n.Name != "" && len(n.Name) <= 200, "name", "is required (at most 200 characters)")
	if n.Language == "" {
		n.Language = "fr"
	}
	v.Check(validLanguage(n.Language), "language", "must be fr or en")
	v.Check(c.Type == Person || c.Type == Company, "customer.type", "must be person or company")
	v.Check(countryRe.MatchString(c.Country), "customer.country", "must be an ISO 3166-1 alpha-2 code")
	if c.Type == Company {
		v.Check(strings.TrimSpace(c.CompanyName) != "", "customer.companyName", "is required for a company")
		if c.Country == "FR" {
			v.Check(ValidSIREN(c.SIREN), "customer.siren", "must be a valid 9-digit SIREN")
		}
	} else {
		v.Check(c.SIREN == "", "customer.siren", "only companies have a SIREN")
	}
	if c.VATNumber != "" {
		v.Check(ValidVATNumber(c.VATNumber), "customer.vatNumber", "must be a valid EU VAT number")
	}
	return v.Err()
}

func (n *NewStaff) validate(minPassword int) error {
	var v errs.Validator
	n.Email = normEmail(n.Email)
	n.Name = strings.TrimSpace(n.Name)
	v.Check(validEmail(n.Email), "email", "must be a valid email address")
	v.Check(len(n.Password) >= minPassword, "password", fmt.Sprintf("must be at least %d characters", minPassword))
	v.Check(n.Name != "", "name", "is required")
	if n.Language == "" {
		n.Language = "en"
	}
	v.Check(validLanguage(n.Language), "language", "must be fr or en")
	v.Check(len(n.Roles) > 0, "roles", "at least one role is required")
	for _, r := range n.Roles {
		v.Check(slices.Contains(Roles, r), "roles", fmt.Sprintf("unknown role %q", r))
	}
	return v.Err()
}
