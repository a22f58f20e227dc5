// Package pdf renders an invoice or a credit note as PDF from the stored billing.Invoice alone,
// byte for byte the same every time (fixed creation date, sorted catalogue, no random IDs), with
// the French mandatory mentions: seller and customer identities, SIREN and VAT numbers, number,
// dates, lines with quantity, unit price excluding VAT and VAT rate, totals per rate, due date,
// late-payment penalty rate, the 40 EUR recovery indemnity, and "Autoliquidation" when the
// customer pays the VAT.
//
// It imports billing, money, github.com/go-pdf/fpdf and the standard library; it does no I/O
// beyond writing to the buffer it returns. Render is safe for concurrent use.
package pdf

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/go-pdf/fpdf"

	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/money"
)

var labels = map[string]map[string]string{
	"fr": {
		"invoice": "FACTURE", "creditNote": "AVOIR", "number": "N°", "date": "Date d'émission", "due": "Échéance",
		"customer": "Client", "siren": "SIREN", "vat": "N° TVA intracommunautaire", "desc": "Désignation", "qty": "Qté",
		"unit": "PU HT", "rate": "TVA", "total": "Total HT", "base": "Base HT", "tax": "Montant TVA",
		"sumExcl": "Total HT", "sumTax": "Total TVA", "sumIncl": "Total TTC", "toPay": "Net à payer",
		"refund": "Montant remboursé", "paid": "Facture acquittée le %s.", "cancelled": "Facture annulée par avoir.",
		"refunded":  "Facture remboursée par avoir.",
		"penalty":   "En cas de retard de paiement, pénalités au taux annuel de %s, exigibles de plein droit (art. L441-10 du Code de commerce).",
		"indemnity": "Indemnité forfaitaire pour frais de recouvrement due par un client professionnel en retard de paiement : %s (art. D441-5).",
		"discount":  "Pas d'escompte pour paiement anticipé.", "bank": "Règlement par virement : IBAN %s — BIC %s — référence %s.",
		"page": "Page %d/{nb}", "rcs": "%s", "orderRef": "Commande n° %d", "contractRef": "Contrat n° %d",
	},
	"en": {
		"invoice": "INVOICE", "creditNote": "CREDIT NOTE", "number": "No.", "date": "Issue date", "due": "Due date",
		"customer": "Customer", "siren": "SIREN", "vat": "EU VAT number", "desc": "Description", "qty": "Qty",
		"unit": "Unit price excl. VAT", "rate": "VAT", "total": "Total excl. VAT", "base": "Base excl. VAT", "tax": "VAT amount",
		"sumExcl": "Total excl. VAT", "sumTax": "Total VAT", "sumIncl": "Total incl. VAT", "toPay": "Amount due",
		"refund": "Amount refunded", "paid": "Paid on %s.",
		"penalty":   "Late payment: penalties at the annual rate of %s, due without notice (art. L441-10 French Commercial Code).",
		"indemnity": "Fixed indemnity for recovery costs owed by a business customer paying late: %s (art. D441-5).",
		"discount":  "No discount for early payment.", "bank": "Payment by bank transfer: IBAN %s — BIC %s — reference %s.",
		"page": "Page %d/{nb}", "rcs": "%s", "orderRef": "Order no. %d", "contractRef": "Contract no. %d",
	},
}

func date(lang string) string {
	if lang == "en" {
		return "2006-01-02"
	}
	return "02/01/2006"
}

// Render returns the PDF of inv.
func Render(inv billing.Invoice) ([]byte, error) {
	lang := inv.Language
	if lang != "en" {
		lang = "fr"
	}
	L := labels[lang]
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(inv.IssuedAt)
	f.SetModificationDate(inv.IssuedAt)
	f.SetCatalogSort(true)
	f.SetCompression(true)
	f.SetProducer("itsgow", false)
	f.SetAutoPageBreak(true, 20)
	f.AliasNbPages("{nb}")
	tr := f.UnicodeTranslatorFromDescriptor("")
	t := func(s string) string {
		s = strings.NewReplacer("\u202f", " ", "\u2192", "->").Replace(s)
		return tr(s)
	}
	amt := func(c int64) string { return t(money.Format(c, inv.Currency, lang)) }
	title := L[string(inv.Kind)]
	f.SetTitle(title+" "+inv.Number, true)
	f.SetAuthor(inv.Seller.Name, true)
	f.SetFooterFunc(func() {
		f.SetY(-14)
		f.SetFont("Helvetica", "", 7)
		f.SetTextColor(110, 110, 110)
		s := inv.Seller
		f.CellFormat(0, 4, t(fmt.Sprintf("%s — %s — SIREN %s — %s — TVA %s", s.Name, s.LegalForm, s.SIREN, s.RCS, s.VATNumber)), "", 1, "C", false, 0, "")
		f.CellFormat(0, 4, t(fmt.Sprintf(L["page"], f.PageNo())), "", 0, "C", false, 0, "")
	})
	f.AddPage()
	f.SetTextColor(20, 30, 45)

	// Seller
	s := inv.Seller
	f.SetFont("Helvetica", "B", 15)
	f.CellFormat(100, 8, t(s.Name), "", 2, "L", false, 0, "")
	f.SetFont("Helvetica", "", 8.5)
	for _, line := range []string{s.LegalForm, s.Address, s.PostalCode + " " + s.City + " (" + s.Country + ")",
		"SIREN " + s.SIREN + " — " + s.RCS, L["vat"] + " : " + s.VATNumber, s.Email} {
		if strings.TrimSpace(line) != "" {
			f.CellFormat(100, 4.2, t(line), "", 2, "L", false, 0, "")
		}
	}
	// Title block
	f.SetXY(120, 12)
	f.SetFont("Helvetica", "B", 16)
	f.CellFormat(80, 8, t(title), "", 2, "R", false, 0, "")
	f.SetFont("Helvetica", "", 9.5)
	f.CellFormat(80, 5, t(L["number"]+" "+inv.Number), "", 2, "R", false, 0, "")
	f.CellFormat(80, 5, t(L["date"]+" : "+inv.IssuedAt.UTC().Format(date(lang))), "", 2, "R", false, 0, "")
	if inv.Kind == billing.KindInvoice {
		f.CellFormat(80, 5, t(L["due"]+" : "+inv.DueAt.UTC().Format(date(lang))), "", 2, "R", false, 0, "")
	}
	if inv.OrderID != 0 {
		f.CellFormat(80, 5, t(fmt.Sprintf(L["orderRef"], inv.OrderID)), "", 2, "R", false, 0, "")
	}
	if inv.ContractID != 0 {
		f.CellFormat(80, 5, t(fmt.Sprintf(L["contractRef"], inv.ContractID)), "", 2, "R", false, 0, "")
	}

	// Customer
	c := inv.Customer
	f.SetXY(120, 52)
	f.SetFillColor(240, 243, 247)
	f.SetFont("Helvetica", "B", 9)
	f.CellFormat(80, 6, t(L["customer"]), "", 2, "L", true, 0, "")
	f.SetFont("Helvetica", "", 9)
	cl := []string{}
	if c.Company != "" {
		cl = append(cl, c.Company)
	}
	cl = append(cl, c.Name, c.Address, strings.TrimSpace(c.PostalCode+" "+c.City), c.Country)
	if c.SIREN != "" {
		cl = append(cl, L["siren"]+" : "+c.SIREN)
	}
	if c.VATNumber != "" && (c.Type == "company" || c.Company != "") {
		cl = append(cl, L["vat"]+" : "+c.VATNumber)
	}
	for _, line := range cl {
		if strings.TrimSpace(line) != "" {
			f.CellFormat(80, 4.5, t(line), "", 2, "L", true, 0, "")
		}
	}

	// Lines
	y := f.GetY() + 10
	if y < 95 {
		y = 95
	}
	f.SetXY(10, y)
	widths := []float64{96, 14, 28, 16, 36}
	head := []string{L["desc"], L["qty"], L["unit"], L["rate"], L["total"]}
	aligns := []string{"L", "R", "R", "R", "R"}
	f.SetFont("Helvetica", "B", 8.5)
	f.SetFillColor(18, 50, 79)
	f.SetTextColor(255, 255, 255)
	for i, h := range head {
		f.CellFormat(widths[i], 7, t(h), "", 0, aligns[i], true, 0, "")
	}
	f.Ln(-1)
	f.SetTextColor(20, 30, 45)
	f.SetFont("Helvetica", "", 8.5)
	for _, l := range inv.Lines {
		x0, y0 := f.GetX(), f.GetY()
		f.MultiCell(widths[0], 5, t(l.Description), "", "L", false)
		y1 := f.GetY()
		f.SetXY(x0+widths[0], y0)
		f.CellFormat(widths[1], 5, fmt.Sprint(l.Quantity), "", 0, "R", false, 0, "")
		f.CellFormat(widths[2], 5, amt(l.UnitCents), "", 0, "R", false, 0, "")
		f.CellFormat(widths[3], 5, t(money.Percent(l.VATBasisPoints, lang)), "", 0, "R", false, 0, "")
		f.CellFormat(widths[4], 5, amt(l.TotalCents), "", 0, "R", false, 0, "")
		f.SetXY(x0, y1+1)
		f.SetDrawColor(221, 227, 234)
		f.Line(10, f.GetY(), 200, f.GetY())
	}

	// Totals per VAT rate
	f.Ln(4)
	f.SetFont("Helvetica", "B", 8.5)
	f.CellFormat(30, 6, t(L["rate"]), "B", 0, "L", false, 0, "")
	f.CellFormat(35, 6, t(L["base"]), "B", 0, "R", false, 0, "")
	f.CellFormat(35, 6, t(L["tax"]), "B", 1, "R", false, 0, "")
	f.SetFont("Helvetica", "", 8.5)
	for _, v := range inv.VAT {
		f.CellFormat(30, 5, t(money.Percent(v.BasisPoints, lang)), "", 0, "L", false, 0, "")
		f.CellFormat(35, 5, amt(v.BaseCents), "", 0, "R", false, 0, "")
		f.CellFormat(35, 5, amt(v.TaxCents), "", 1, "R", false, 0, "")
	}
	// Grand totals
	f.Ln(3)
	paidAtIssue := !inv.PaidAt.IsZero() && !inv.PaidAt.After(inv.IssuedAt)
	rows := [][2]string{{L["sumExcl"], amt(inv.ExclTaxCents)}, {L["sumTax"], amt(inv.TaxCents)}, {L["sumIncl"], amt(inv.InclTaxCents)}}
	switch {
	case inv.Kind == billing.KindCreditNote:
		rows = append(rows, [2]string{L["refund"], amt(inv.InclTaxCents)})
	case paidAtIssue:
		rows = append(rows, [2]string{L["toPay"], amt(0)})
	default:
		rows = append(rows, [2]string{L["toPay"], amt(inv.InclTaxCents)})
	}
	for i, row := range rows {
		f.SetX(120)
		if i >= 2 {
			f.SetFont("Helvetica", "B", 10)
			f.SetFillColor(240, 243, 247)
		}
		f.CellFormat(45, 6.5, t(row[0]), "", 0, "L", i >= 2, 0, "")
		f.CellFormat(35, 6.5, row[1], "", 1, "R", i >= 2, 0, "")
	}

	// Mentions
	f.Ln(6)
	f.SetFont("Helvetica", "", 8)
	var mentions []string
	if inv.Mention != "" {
		mentions = append(mentions, strings.Split(inv.Mention, "\n")...)
	}
	if inv.Kind == billing.KindInvoice {
		// An invoice issued already paid (an order form paid before it was invoiced) says so;
		// nothing that happens after issue changes the document.
		if paidAtIssue {
			mentions = append(mentions, fmt.Sprintf(L["paid"], inv.PaidAt.UTC().Format(date(lang))))
		}
		mentions = append(mentions,
			fmt.Sprintf(L["penalty"], money.Percent(s.LatePenaltyBasisPoints, lang)),
			fmt.Sprintf(L["indemnity"], money.Format(s.RecoveryIndemnityCents, "EUR", lang)),
			L["discount"])
		if s.IBAN != "" {
			mentions = append(mentions, fmt.Sprintf(L["bank"], s.IBAN, s.BIC, inv.Number))
		}
	}
	for _, m := range mentions {
		f.MultiCell(0, 4.2, t(m), "", "L", false)
	}
	var b bytes.Buffer
	if err := f.Output(&b); err != nil {
		return nil, fmt.Errorf("render invoice %s: %w", inv.Number, err)
	}
	return b.Bytes(), nil
}
