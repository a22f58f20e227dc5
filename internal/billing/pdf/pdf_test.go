package pdf_test

import (
	"bytes"
	"compress/zlib"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/billing"
	"github.com/itsgow/itsgow/internal/billing/pdf"
)

func invoice(scheme billing.Scheme, lang string) billing.Invoice {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	lines := []billing.Line{{Kind: "rental", Description: "Location du serveur dédié ECO-1 — debian-12 — 12 mois", Quantity: 12, UnitCents: 1649},
		{Kind: "option", Description: "Adresse IPv4 supplémentaire × 2 — 12 mois", Quantity: 24, UnitCents: 200}}
	rate := 2000
	if scheme == billing.SchemeReverseCharge {
		rate = 0
	}
	t := billing.Compute(lines, billing.Rule{Scheme: scheme, BasisPoints: rate})
	return billing.Invoice{ID: 1, Kind: billing.KindInvoice, Series: "F", Year: 2026, Seq: 42, Number: "F2026-000042", CustomerID: 7, Language: lang,
		Customer: billing.Party{Type: "company", Name: "Camille Martin", Company: "Martin Hébergement SARL", Address: "12 rue des Serveurs",
			PostalCode: "59000", City: "Lille", Country: "FR", SIREN: "732829320", VATNumber: "FR44732829320"},
		Seller: billing.DefaultSeller(), IssuedAt: at, DueAt: at.Add(15 * 24 * time.Hour), Currency: "EUR", Lines: t.Lines, VAT: t.VAT,
		ExclTaxCents: t.ExclTaxCents, TaxCents: t.TaxCents, InclTaxCents: t.InclTaxCents, Scheme: scheme,
		Mention: billing.Rule{Scheme: scheme}.Mention(lang), Purpose: billing.PurposeOrder, Status: billing.Paid, PaidAt: at, OrderID: 31}
}

var streamRe = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)

// text inflates the PDF's content streams and returns the strings drawn, as cp1252 turned to UTF-8.
func text(tb testing.TB, b []byte) string {
	tb.Helper()
	var out strings.Builder
	for _, m := range streamRe.FindAllSubmatch(b, -1) {
		r, err := zlib.NewReader(bytes.NewReader(m[1]))
		if err != nil {
			continue
		}
		raw, _ := io.ReadAll(r)
		for _, s := range regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`).FindAllSubmatch(raw, -1) {
			for _, c := range s[1] {
				if c < 0x80 {
					out.WriteByte(c)
				} else if c == 0x80 {
					out.WriteString("€")
				} else {
					out.WriteRune(rune(c)) // Latin-1 range of cp1252
				}
			}
			out.WriteByte('\n')
		}
	}
	return strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`).Replace(strings.ReplaceAll(out.String(), "\u00a0", " "))
}

func TestRenderIsByteIdenticalAndHasTheMandatoryMentions(t *testing.T) {
	t.Parallel()
	inv := invoice(billing.SchemeFrance, "fr")
	a, err := pdf.Render(inv)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pdf.Render(inv)
	if !bytes.Equal(a, b) || !bytes.HasPrefix(a, []byte("%PDF-")) {
		t.Fatal("two renderings of the same invoice differ")
	}
	got := text(t, a)
	for _, want := range []string{"FACTURE", "F2026-000042", "ITSGOW", "SIREN 404833048", "FR83404833048", "2 rue Jacquard", "Martin Hébergement SARL",
		"732829320", "FR44732829320", "02/03/2026", "17/03/2026", "Qté", "PU HT", "16,49 €", "20 %", "Base HT", "Total TTC", "Net à payer", "0,00 €",
		"taux annuel de 12 %", "40,00 €", "Indemnité forfaitaire", "Facture acquittée le 02/03/2026"} {
		if !strings.Contains(got, want) {
			t.Errorf("the PDF lacks %q:\n%s", want, got)
		}
	}
	rc := invoice(billing.SchemeReverseCharge, "en")
	c, err := pdf.Render(rc)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(t, c); !strings.Contains(got, "Autoliquidation") || !strings.Contains(got, "INVOICE") || !strings.Contains(got, "0%") {
		t.Errorf("reverse-charge invoice:\n%s", got)
	}
	cn := inv
	cn.Kind, cn.Number, cn.Status = billing.KindCreditNote, "A2026-000001", billing.Issued
	d, _ := pdf.Render(cn)
	if got := text(t, d); !strings.Contains(got, "AVOIR") || !strings.Contains(got, "Montant remboursé") {
		t.Errorf("credit note:\n%s", got)
	}
}
