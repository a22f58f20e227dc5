package api

import (
	"time"

	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/catalog"
	"github.com/itsgow/itsgow/internal/order"
)

// RangeDTO is a range of the catalogue.
type RangeDTO struct {
	Code          string `json:"code"`
	Name          string `json:"name"`
	Description   string `json:"description"`
	DescriptionFR string `json:"descriptionFr"`
	SupportLevel  string `json:"supportLevel"`
	TechSupport   bool   `json:"technicalSupport"`
}

// HardwareDTO is a plan's hardware profile.
type HardwareDTO struct {
	CPU    string         `json:"cpu"`
	Cores  int            `json:"cores"`
	RAMGiB int            `json:"ramGiB"`
	Disks  []catalog.Disk `json:"disks"`
	NIC    string         `json:"nic"`
}

// PriceDTO is the price of one rental duration (VAT excluded).
type PriceDTO struct {
	DurationMonths int       `json:"durationMonths"`
	SetupCents     int64     `json:"setupCents"`
	RecurringCents int64     `json:"recurringCents"`
	TermCents      int64     `json:"termCents"`
	Currency       string    `json:"currency"`
	ValidFrom      time.Time `json:"validFrom"`
}

// OptionDTO is an option.
type OptionDTO struct {
	Code         string `json:"code"`
	Kind         string `json:"kind"`
	Name         string `json:"name"`
	MonthlyCents int64  `json:"monthlyCents"`
	SetupCents   int64  `json:"setupCents"`
	MaxQuantity  int    `json:"maxQuantity"`
	Requires     string `json:"requires,omitempty"`
	Currency     string `json:"currency"`
}

// PlanDTO is a plan of the catalogue (API.md).
type PlanDTO struct {
	Code                  string      `json:"code"`
	Range                 string      `json:"range"`
	Name                  string      `json:"name"`
	Hardware              HardwareDTO `json:"hardware"`
	OSImages              []string    `json:"osImages"`
	SupportLevel          string      `json:"supportLevel"`
	Prices                []PriceDTO  `json:"prices"`
	Options               []string    `json:"options"`
	Stock                 string      `json:"stock"`
	Free                  int         `json:"free"` // free servers matching the plan (commerce.stock_source)
	DeliveryEstimateHours int         `json:"deliveryEstimateHours"`
	// Datacenters is the stock in each datacenter holding servers of the plan (with the fleet's
	// stock; omitted with the manual count): an order naming a datacenter needs a free server there.
	Datacenters []SiteStockDTO `json:"datacenters,omitempty"`
}

// SiteStockDTO is a plan's stock in one datacenter.
type SiteStockDTO struct {
	Code                  string `json:"code"`
	Stock                 string `json:"stock"`
	Free                  int    `json:"free"`
	DeliveryEstimateHours int    `json:"deliveryEstimateHours"`
}

func planDTO(p catalog.Plan, opts []catalog.Option) PlanDTO {
	d := PlanDTO{Code: p.Code, Range: p.Range, Name: p.Name, Hardware: HardwareDTO{CPU: p.Hardware.CPU, Cores: p.Hardware.Cores,
		RAMGiB: p.Hardware.RAMGiB, Disks: p.Hardware.Disks, NIC: p.Hardware.NIC}, OSImages: p.OSImages, SupportLevel: string(p.SupportLevel),
		Prices: []PriceDTO{}, Options: []string{}, Stock: string(p.Stock), Free: max(p.Free, 0),
		DeliveryEstimateHours: p.DeliveryEstimateHours}
	if d.Hardware.Disks == nil {
		d.Hardware.Disks = []catalog.Disk{}
	}
	for _, x := range p.Prices {
		d.Prices = append(d.Prices, PriceDTO{DurationMonths: x.DurationMonths, SetupCents: x.SetupCents, RecurringCents: x.RecurringCents,
			TermCents: x.TermCents(), Currency: x.Currency, ValidFrom: x.ValidFrom})
	}
	for _, o := range opts {
		d.Options = append(d.Options, o.Code)
	}
	if p.SitesKnown {
		d.Datacenters = []SiteStockDTO{}
		for _, x := range p.Datacenters {
			d.Datacenters = append(d.Datacenters, SiteStockDTO{Code: x.Datacenter, Stock: string(x.Stock), Free: x.Free,
				DeliveryEstimateHours: x.DeliveryEstimateHours})
		}
	}
	return d
}

// LineDTO is a line of an order form, invoice or credit note (amounts exclude VAT).
type LineDTO struct {
	Kind           string `json:"kind"`
	Code           string `json:"code,omitempty"`
	Description    string `json:"description"`
	Quantity       int64  `json:"quantity"`
	UnitCents      int64  `json:"unitCents"`
	VATBasisPoints int    `json:"vatRateBasisPoints"`
	TotalCents     int64  `json:"totalCents"`
}

// VATTotalDTO is the total of one VAT rate.
type VATTotalDTO struct {
	BasisPoints int   `json:"rateBasisPoints"`
	BaseCents   int64 `json:"baseCents"`
	TaxCents    int64 `json:"taxCents"`
}

func linesDTO(ls []billing.Line) []LineDTO {
	out := make([]LineDTO, 0, len(ls))
	for _, l := range ls {
		out = append(out, LineDTO{Kind: l.Kind, Code: l.Code, Description: l.Description, Quantity: l.Quantity, UnitCents: l.UnitCents,
			VATBasisPoints: l.VATBasisPoints, TotalCents: l.TotalCents})
	}
	return out
}

func vatDTO(vs []billing.VATTotal) []VATTotalDTO {
	out := make([]VATTotalDTO, 0, len(vs))
	for _, v := range vs {
		out = append(out, VATTotalDTO{BasisPoints: v.BasisPoints, BaseCents: v.BaseCents, TaxCents: v.TaxCents})
	}
	return out
}

// ItemRequest is one server of an order.
type ItemRequest struct {
	PlanCode       string          `json:"planCode"`
	DurationMonths int             `json:"durationMonths"`
	OSImage        string          `json:"osImage"`
	Datacenter     string          `json:"datacenter,omitempty"`
	Options        []OptionRequest `json:"options,omitempty"`
}

// OptionRequest is an option with its quantity (1 when omitted).
type OptionRequest struct {
	Code     string `json:"code"`
	Quantity *int   `json:"quantity,omitempty"`
}

// OrderRequest is POST /orders. Send Idempotency-Key to make a retry safe.
type OrderRequest struct {
	Items    []ItemRequest `json:"items"`
	DryRun   bool          `json:"dryRun,omitempty"`
	Currency string        `json:"currency,omitempty"`
	// VATNumber: a company's EU VAT number for the reverse charge (default: the account's).
	VATNumber string `json:"vatNumber,omitempty"`
	// ImmediateDelivery: a consumer's explicit request to deliver within the withdrawal period.
	ImmediateDelivery bool `json:"immediateDelivery,omitempty"`
}

// ImmediateRequestDTO is a consumer's recorded request to deliver within the withdrawal period.
type ImmediateRequestDTO struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// OrderDTO is an order form and its state (API.md).
type OrderDTO struct {
	ID                ID                   `json:"id"`
	Status            string               `json:"status"`
	DryRun            bool                 `json:"dryRun,omitempty"`
	PlanCode          string               `json:"planCode"`
	Range             string               `json:"range"`
	DurationMonths    int                  `json:"durationMonths"`
	OSImage           string               `json:"osImage"`
	Datacenter        string               `json:"datacenter,omitempty"`
	Options           []order.OptionLine   `json:"options"`
	Lines             []LineDTO            `json:"lines"`
	VAT               []VATTotalDTO        `json:"vat"`
	TotalExclTaxCents int64                `json:"totalExclTaxCents"`
	TaxCents          int64                `json:"taxCents"`
	TotalInclTaxCents int64                `json:"totalInclTaxCents"`
	Currency          string               `json:"currency"`
	VATScheme         string               `json:"vatScheme"`
	VATNumber         string               `json:"vatNumber,omitempty"`
	Consumer          bool                 `json:"consumer"`
	ImmediateDelivery *ImmediateRequestDTO `json:"immediateDelivery,omitempty"`
	CreatedAt         *time.Time           `json:"createdAt,omitempty"`
	PaidAt            *time.Time           `json:"paidAt,omitempty"`
	DeliverableFrom   *time.Time           `json:"deliverableFrom,omitempty"`
	DeliveryDeadline  *time.Time           `json:"deliveryDeadline,omitempty"`
	SecondsToDeadline int64                `json:"secondsToDeadline"`
	LateCancellable   bool                 `json:"lateCancellable"`
	Withdrawable      bool                 `json:"withdrawable"`
	DeliveredAt       *time.Time           `json:"deliveredAt,omitempty"`
	LateAt            *time.Time           `json:"lateAt,omitempty"`
	CancelledAt       *time.Time           `json:"cancelledAt,omitempty"`
	RefundedAt        *time.Time           `json:"refundedAt,omitempty"`
	WithdrawnAt       *time.Time           `json:"withdrawnAt,omitempty"`
	ServerRef         string               `json:"serverRef,omitempty"`
	MainIP            string               `json:"mainIp,omitempty"`
	InvoiceID         int64                `json:"invoiceId,omitempty"`
	ContractID        int64                `json:"contractId,omitempty"`
}

// ID is a numeric id.
type ID = int64

func orderDTO(o order.Order, now time.Time, withdrawal time.Duration) OrderDTO {
	d := OrderDTO{ID: int64(o.ID), Status: string(o.Status), DryRun: o.DryRun, PlanCode: o.PlanCode, Range: o.Range,
		DurationMonths: o.DurationMonths, OSImage: o.OSImage, Datacenter: o.Datacenter, Options: o.Options, Lines: linesDTO(o.Lines),
		VAT: vatDTO(o.VAT), TotalExclTaxCents: o.ExclTaxCents, TaxCents: o.TaxCents, TotalInclTaxCents: o.InclTaxCents, Currency: o.Currency,
		VATScheme: string(o.Scheme), VATNumber: o.VATNumber, Consumer: o.Consumer, CreatedAt: optTime(o.CreatedAt), PaidAt: optTime(o.PaidAt),
		DeliverableFrom: optTime(o.DeliverableFrom), DeliveryDeadline: optTime(o.DeliveryDeadline),
		SecondsToDeadline: int64(order.TimeLeft(o, now) / time.Second), LateCancellable: order.IsLate(o, now),
		Withdrawable: order.Withdrawable(o, now, withdrawal) || (o.Consumer && o.Status == order.NotPaid && !o.DryRun),
		DeliveredAt:  optTime(o.DeliveredAt), LateAt: optTime(o.LateAt), CancelledAt: optTime(o.CancelledAt), RefundedAt: optTime(o.RefundedAt),
		WithdrawnAt: optTime(o.WithdrawnAt), ServerRef: o.ServerRef, MainIP: o.MainIP, InvoiceID: int64(o.InvoiceID), ContractID: int64(o.ContractID)}
	if d.Options == nil {
		d.Options = []order.OptionLine{}
	}
	if !o.ImmediateRequestAt.IsZero() {
		d.ImmediateDelivery = &ImmediateRequestDTO{Text: o.ImmediateRequestText, At: o.ImmediateRequestAt}
	}
	return d
}

// PayRequest is POST /orders/{id}/pay and /invoices/{id}/pay. Send Idempotency-Key.
type PayRequest struct {
	Method string `json:"method"`         // transfer or sandbox
	Card   string `json:"card,omitempty"` // sandbox card number
}

// PaymentDTO is a payment.
type PaymentDTO struct {
	ID          int64      `json:"id"`
	OrderID     int64      `json:"orderId,omitempty"`
	InvoiceID   int64      `json:"invoiceId,omitempty"`
	Method      string     `json:"method"`
	Status      string     `json:"status"`
	AmountCents int64      `json:"amountCents"`
	Currency    string     `json:"currency"`
	Reference   string     `json:"reference"`
	ProviderRef string     `json:"providerRef,omitempty"`
	Failure     string     `json:"failure,omitempty"`
	CustomerID  int64      `json:"customerId"`
	CreatedAt   time.Time  `json:"createdAt"`
	SettledAt   *time.Time `json:"settledAt,omitempty"`
	// Transfer instructions (transfer only).
	IBAN string `json:"iban,omitempty"`
	BIC  string `json:"bic,omitempty"`
}

func paymentDTO(p order.Payment, seller billing.Seller) PaymentDTO {
	d := PaymentDTO{ID: int64(p.ID), OrderID: int64(p.OrderID), InvoiceID: int64(p.InvoiceID), Method: string(p.Method), Status: string(p.Status),
		AmountCents: p.AmountCents, Currency: p.Currency, Reference: p.Reference, ProviderRef: p.ProviderRef, Failure: p.Failure,
		CustomerID: int64(p.CustomerID), CreatedAt: p.CreatedAt, SettledAt: optTime(p.SettledAt)}
	if p.Method == order.MethodTransfer {
		d.IBAN, d.BIC = seller.IBAN, seller.BIC
	}
	return d
}

// InvoiceDTO is an invoice or a credit note.
type InvoiceDTO struct {
	ID                int64          `json:"id"`
	Kind              string         `json:"kind"`
	Number            string         `json:"number"`
	Status            string         `json:"status"`
	Purpose           string         `json:"purpose"`
	IssuedAt          time.Time      `json:"issuedAt"`
	DueAt             time.Time      `json:"dueAt"`
	PaidAt            *time.Time     `json:"paidAt,omitempty"`
	Customer          billing.Party  `json:"customer"`
	Seller            billing.Seller `json:"seller"`
	Lines             []LineDTO      `json:"lines"`
	VAT               []VATTotalDTO  `json:"vat"`
	TotalExclTaxCents int64          `json:"totalExclTaxCents"`
	TaxCents          int64          `json:"taxCents"`
	TotalInclTaxCents int64          `json:"totalInclTaxCents"`
	Currency          string         `json:"currency"`
	VATScheme         string         `json:"vatScheme"`
	Mention           string         `json:"mention,omitempty"`
	OrderID           int64          `json:"orderId,omitempty"`
	ContractID        int64          `json:"contractId,omitempty"`
	CreditsInvoiceID  int64          `json:"creditsInvoiceId,omitempty"`
	CreditsNumber     string         `json:"creditsNumber,omitempty"`
	CustomerID        int64          `json:"customerId"`
	PDF               string         `json:"pdf"`
}

func invoiceDTO(v billing.Invoice) InvoiceDTO {
	return InvoiceDTO{ID: int64(v.ID), Kind: string(v.Kind), Number: v.Number, Status: string(v.Status), Purpose: string(v.Purpose),
		IssuedAt: v.IssuedAt, DueAt: v.DueAt, PaidAt: optTime(v.PaidAt), Customer: v.Customer, Seller: v.Seller, Lines: linesDTO(v.Lines),
		VAT: vatDTO(v.VAT), TotalExclTaxCents: v.ExclTaxCents, TaxCents: v.TaxCents, TotalInclTaxCents: v.InclTaxCents, Currency: v.Currency,
		VATScheme: string(v.Scheme), Mention: v.Mention, OrderID: v.OrderID, ContractID: int64(v.ContractID),
		CreditsInvoiceID: int64(v.CreditsInvoiceID), CreditsNumber: v.CreditsNumber, CustomerID: int64(v.CustomerID),
		PDF: "/api/v1/invoices/" + itoa(int(v.ID)) + "/pdf"}
}

// RenewDTO is how a contract renews.
type RenewDTO struct {
	Automatic bool `json:"automatic"`
}

// ContractDTO is a contract.
type ContractDTO struct {
	ID                int64        `json:"id"`
	OrderID           int64        `json:"orderId"`
	Plan              string       `json:"plan"`
	Range             string       `json:"range"`
	DurationMonths    int          `json:"durationMonths"`
	TermExclTaxCents  int64        `json:"termExclTaxCents"`
	Currency          string       `json:"currency"`
	TermLines         []LineDTO    `json:"termLines"`
	StartedAt         time.Time    `json:"startedAt"`
	TermNo            int          `json:"termNo"`
	TermStart         time.Time    `json:"termStart"`
	EndsAt            time.Time    `json:"endsAt"`
	Renew             RenewDTO     `json:"renew"`
	Status            string       `json:"status"`
	TerminateAt       *time.Time   `json:"terminateAt,omitempty"`
	TerminatedAt      *time.Time   `json:"terminatedAt,omitempty"`
	TerminationReason string       `json:"terminationReason,omitempty"`
	ServerRef         string       `json:"serverRef"`
	MainIP            string       `json:"mainIp"`
	Suspensions       []Suspension `json:"suspensions"`
	Renewals          []RenewalDTO `json:"renewals"`
}

// Suspension is a suspension of a contract's server.
type Suspension struct {
	Reason    string     `json:"reason"`
	StartedAt time.Time  `json:"startedAt"`
	LiftedAt  *time.Time `json:"liftedAt,omitempty"`
}

// RenewalDTO is a renewal of a contract.
type RenewalDTO struct {
	TermNo    int       `json:"termNo"`
	InvoiceID int64     `json:"invoiceId"`
	TermStart time.Time `json:"termStart"`
	TermEnd   time.Time `json:"termEnd"`
	Status    string    `json:"status"`
}

func contractDTO(c billing.Contract, ss []billing.Suspension, rs []billing.Renewal) ContractDTO {
	d := ContractDTO{ID: int64(c.ID), OrderID: c.OrderID, Plan: c.PlanCode, Range: c.Range, DurationMonths: c.DurationMonths,
		TermExclTaxCents: c.TermExclTaxCents, Currency: c.Currency, TermLines: linesDTO(c.TermLines), StartedAt: c.StartedAt, TermNo: c.TermNo,
		TermStart: c.TermStart, EndsAt: c.TermEnd, Renew: RenewDTO{Automatic: c.Renew == billing.RenewAutomatic}, Status: string(c.Status),
		TerminateAt: optTime(c.TerminateAt), TerminatedAt: optTime(c.TerminatedAt), TerminationReason: c.TerminationReason,
		ServerRef: c.ServerRef, MainIP: c.MainIP, Suspensions: []Suspension{}, Renewals: []RenewalDTO{}}
	for _, s := range ss {
		d.Suspensions = append(d.Suspensions, Suspension{Reason: s.Reason, StartedAt: s.StartedAt, LiftedAt: optTime(s.LiftedAt)})
	}
	for _, r := range rs {
		d.Renewals = append(d.Renewals, RenewalDTO{TermNo: r.TermNo, InvoiceID: int64(r.InvoiceID), TermStart: r.TermStart, TermEnd: r.TermEnd, Status: string(r.Status)})
	}
	return d
}

// ContractPatch is PATCH /contracts/{id}. Only renew may change: plan, duration and price are
// frozen for the term (Art. 10), and asking to change them answers 409 offer_frozen.
type ContractPatch struct {
	Renew          *RenewDTO `json:"renew,omitempty"`
	PlanCode       *string   `json:"planCode,omitempty"`
	DurationMonths *int      `json:"durationMonths,omitempty"`
	PriceCents     *int64    `json:"termExclTaxCents,omitempty"`
}

// TerminationRequest is POST /contracts/{id}/termination.
type TerminationRequest struct {
	At     string `json:"at"` // now or endOfTerm
	Reason string `json:"reason,omitempty"`
}

// DeliveredRequest is the fleet's (or staff's) word that an order's server is online.
type DeliveredRequest struct {
	ServerRef string     `json:"serverRef,omitempty"` // empty: a manual delivery with a made-up reference
	MainIP    string     `json:"mainIp,omitempty"`
	At        *time.Time `json:"at,omitempty"`
}

// PriceRequest is a staff price change of one duration of a plan.
type PriceRequest struct {
	DurationMonths int    `json:"durationMonths"`
	SetupCents     int64  `json:"setupCents"`
	RecurringCents int64  `json:"recurringCents"`
	Currency       string `json:"currency,omitempty"`
}

// StockRequest sets a plan's seeded count of free servers.
type StockRequest struct {
	Free int `json:"free"`
}

// OptionPriceRequest changes an option's monthly price.
type OptionPriceRequest struct {
	MonthlyCents int64 `json:"monthlyCents"`
}

// CycleDTO counts what a billing cycle did.
type CycleDTO struct {
	Renewed    int `json:"renewed"`
	Reminded   int `json:"reminded"`
	Suspended  int `json:"suspended"`
	Terminated int `json:"terminated"`
	Late       int `json:"late"`
}
