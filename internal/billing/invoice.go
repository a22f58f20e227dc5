package billing

import (
	"fmt"
	"slices"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/money"
)

// InvoiceID identifies an invoice or a credit note.
type InvoiceID int64

// Kind tells invoices from credit notes; each has its own numbering series.
type Kind string

// Kinds and their series.
const (
	KindInvoice    Kind = "invoice"
	KindCreditNote Kind = "creditNote"
)

// Series returns the numbering series of a kind: F for invoices, A (avoir) for credit notes.
func (k Kind) Series() string {
	if k == KindCreditNote {
		return "A"
	}
	return "F"
}

// Status of an invoice. A credit note is always Issued.
type Status string

// Invoice states. An invoice is never deleted: a credit note cancels it (Cancelled when it was
// unpaid, Refunded when the money went back).
const (
	Unpaid    Status = "unpaid"
	Paid      Status = "paid"
	Cancelled Status = "cancelled"
	Refunded  Status = "refunded"
	Issued    Status = "issued"
)

// Purpose says why an invoice was issued.
type Purpose string

// Purposes.
const (
	PurposeOrder      Purpose = "order"      // the order form, paid
	PurposeRenewal    Purpose = "renewal"    // the next term of a contract
	PurposeRefund     Purpose = "refund"     // credit note: late delivery, cancellation
	PurposeWithdrawal Purpose = "withdrawal" // credit note: consumer withdrawal (pro rata after delivery)
	PurposeCancel     Purpose = "cancel"     // credit note: an unpaid invoice cancelled
)

// Party is a name and address copied onto an invoice (the customer's details at issue time).
type Party struct {
	Type       string `json:"type,omitempty"` // person or company
	Name       string `json:"name"`
	Company    string `json:"company,omitempty"`
	Address    string `json:"address,omitempty"`
	PostalCode string `json:"postalCode,omitempty"`
	City       string `json:"city,omitempty"`
	Country    string `json:"country"`
	SIREN      string `json:"siren,omitempty"`
	VATNumber  string `json:"vatNumber,omitempty"`
	Email      string `json:"email,omitempty"`
}

// PartyOf copies a customer's billing identity.
func PartyOf(a account.Account, vatNumber string) Party {
	p := Party{Name: a.Name, Email: a.Email}
	if c := a.Customer; c != nil {
		p.Type, p.Company, p.Address, p.PostalCode, p.City, p.Country, p.SIREN, p.VATNumber =
			string(c.Type), c.CompanyName, c.Address, c.PostalCode, c.City, c.Country, c.SIREN, c.VATNumber
		if vatNumber != "" {
			p.VATNumber = vatNumber
		}
	}
	return p
}

// Seller is the host's identity, printed on every invoice (French mandatory mentions).
type Seller struct {
	Name       string `yaml:"name" json:"name"`
	LegalForm  string `yaml:"legal_form" json:"legalForm"` // e.g. "SAS au capital de 100 000 €"
	Address    string `yaml:"address" json:"address"`
	PostalCode string `yaml:"postal_code" json:"postalCode"`
	City       string `yaml:"city" json:"city"`
	Country    string `yaml:"country" json:"country"`
	SIREN      string `yaml:"siren" json:"siren"`
	RCS        string `yaml:"rcs" json:"rcs"` // e.g. "RCS Lille Métropole"
	VATNumber  string `yaml:"vat_number" json:"vatNumber"`
	IBAN       string `yaml:"iban" json:"iban"`
	BIC        string `yaml:"bic" json:"bic"`
	Email      string `yaml:"email" json:"email"`
	// Late-payment penalty rate, as printed (Code de commerce L441-10), in basis points per year.
	LatePenaltyBasisPoints int `yaml:"late_penalty_basis_points" json:"latePenaltyBasisPoints"`
	// Fixed indemnity for recovery costs owed by a business paying late (D441-5): 40 EUR.
	RecoveryIndemnityCents int64 `yaml:"recovery_indemnity_cents" json:"recoveryIndemnityCents"`
	// Days between issue and due date of a renewal invoice issued without a term end to fall on.
	PaymentTermDays int `yaml:"payment_term_days" json:"paymentTermDays"`
}

// Line is one line of an order form, invoice or credit note. Amounts exclude VAT.
type Line struct {
	Kind           string `json:"kind"` // setup, rental, option, optionSetup, refund
	Code           string `json:"code,omitempty"`
	Description    string `json:"description"`
	Quantity       int64  `json:"quantity"`
	UnitCents      int64  `json:"unitCents"`
	VATBasisPoints int    `json:"vatBasisPoints"`
	TotalCents     int64  `json:"totalCents"`
}

// VATTotal is the total of one VAT rate.
type VATTotal struct {
	BasisPoints int   `json:"basisPoints"`
	BaseCents   int64 `json:"baseCents"`
	TaxCents    int64 `json:"taxCents"`
}

// Totals are a document's amounts.
type Totals struct {
	Lines        []Line
	VAT          []VATTotal
	ExclTaxCents int64
	TaxCents     int64
	InclTaxCents int64
}

// Compute sets each line's VAT rate and total, then totals per rate: VAT is computed once per
// rate on its base (never per line), rounded half away from zero.
func Compute(lines []Line, r Rule) Totals {
	t := Totals{Lines: make([]Line, len(lines))}
	byRate := map[int]*VATTotal{}
	for i, l := range lines {
		l.VATBasisPoints = r.BasisPoints
		l.TotalCents = l.Quantity * l.UnitCents
		t.Lines[i] = l
		v := byRate[l.VATBasisPoints]
		if v == nil {
			v = &VATTotal{BasisPoints: l.VATBasisPoints}
			byRate[l.VATBasisPoints] = v
		}
		v.BaseCents += l.TotalCents
	}
	for _, v := range byRate {
		v.TaxCents = money.Rate(v.BaseCents, v.BasisPoints)
		t.VAT = append(t.VAT, *v)
		t.ExclTaxCents += v.BaseCents
		t.TaxCents += v.TaxCents
	}
	slices.SortFunc(t.VAT, func(a, b VATTotal) int { return a.BasisPoints - b.BasisPoints })
	t.InclTaxCents = t.ExclTaxCents + t.TaxCents
	return t
}

// Invoice is an invoice or a credit note, final once issued: everything needed to print it again
// is stored with it.
type Invoice struct {
	ID               InvoiceID
	Kind             Kind
	Series           string
	Year             int
	Seq              int64
	Number           string
	CustomerID       account.ID
	Language         string
	Customer         Party
	Seller           Seller
	IssuedAt         time.Time
	DueAt            time.Time
	Currency         string
	Lines            []Line
	VAT              []VATTotal
	ExclTaxCents     int64
	TaxCents         int64
	InclTaxCents     int64
	Scheme           Scheme
	Mention          string
	Purpose          Purpose
	Status           Status
	PaidAt           time.Time
	OrderID          int64
	ContractID       ContractID
	CreditsInvoiceID InvoiceID
	CreditsNumber    string // filled on read for credit notes
}

// FormatNumber is the printed number: series, year and a six-digit sequence ("F2026-000042").
func FormatNumber(series string, year int, seq int64) string {
	return fmt.Sprintf("%s%d-%06d", series, year, seq)
}

// Filter selects invoices.
type Filter struct {
	CustomerID account.ID // 0: every customer (staff)
	Kind       Kind       // "": both
	Statuses   []Status
	BeforeID   InvoiceID
	Limit      int
}
