package mitigation_test

import (
	"strings"
	"testing"
	"time"

	"github.com/itsgow/itsgow/internal/golden"
)

// The customer's notices of two histories, in each language: an attack (start, raise, end
// after 26 hours) and a staff-forced mitigation (start, release).
func TestNoticesGolden(t *testing.T) {
	t.Parallel()
	for _, lang := range []string{"fr", "en"} {
		t.Run(lang, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, nil, nil)
			if _, err := e.db.SQL().Exec(`UPDATE accounts SET language = ? WHERE id = ?`, lang, int64(e.cust.ID)); err != nil {
				t.Fatal(err)
			}
			e.tick()
			e.second(target, 300_000) // started, level 1
			e.second(target, 600_000) // raised, level 2
			e.second(target, 0)
			e.clock.Set(t0.Add(26*time.Hour + 5*time.Second))
			e.tick() // ended
			if _, err := e.svc.Force(e.ctx, staffActor, other, 3, "infrastructure"); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(90 * time.Minute)
			if _, err := e.svc.Release(e.ctx, staffActor, other, "over"); err != nil {
				t.Fatal(err)
			}
			var b strings.Builder
			for _, n := range e.notices() {
				b.WriteString("==== " + n.Kind + "\nSubject: " + n.Subject + "\n\n" + n.Body + "\n")
				if strings.Contains(n.Subject+n.Body, "<no value>") {
					t.Errorf("%s has <no value>:\n%s", n.Kind, n.Body)
				}
			}
			golden.Check(t, "notices."+lang+".txt", []byte(b.String()))
		})
	}
}
