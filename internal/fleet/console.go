package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/jobs"
)

// ConsoleID identifies a console session.
type ConsoleID int64

// ConsoleSession is a BMC console handed to a customer, as stored. It ends at ExpiresAt, or
// earlier when closed (by the customer, a suspension or a termination); its BMC credential is
// revoked then, which RevokedAt records. The password is never stored: it is shown once.
type ConsoleSession struct {
	ID           ConsoleID
	ServerID     ServerID
	CustomerID   account.ID
	MachineID    MachineID
	Kind         ConsoleKind
	ConnectTypes []string
	URL          string
	Username     string
	Ref          string // the driver's handle for CloseConsole (empty until the BMC answered); never shown
	OpenedAt     time.Time
	ExpiresAt    time.Time
	ClosedAt     time.Time
	CloseReason  string
	RevokedAt    time.Time
	RevokeError  string // why the BMC did not revoke the credential (staff were alerted)
}

// Live reports whether the customer may use the session at now: not closed and before its
// expiry (at ExpiresAt exactly it has ended).
func (c ConsoleSession) Live(now time.Time) bool {
	return c.ClosedAt.IsZero() && now.Before(c.ExpiresAt)
}

// RevokeDue reports whether the session's BMC credential must be revoked at now: the session
// was closed or has expired, and the credential is not revoked yet.
func (c ConsoleSession) RevokeDue(now time.Time) bool {
	return c.RevokedAt.IsZero() && (!c.ClosedAt.IsZero() || !now.Before(c.ExpiresAt))
}

// ConsoleAccess is an opened console as its customer sees it, once: the session and the
// password of its short-lived credential.
type ConsoleAccess struct {
	ConsoleSession
	Password Secret
}

// Console errors.
var (
	ErrConsoleOpen = errs.Coded(errs.Conflict, "console_open", "a console is already open on this server; close it to open another")
	ErrNoConsole   = errs.Coded(errs.NotFound, "no_console", "no console is open on this server")
)

// JobConsoleRevoke revokes the BMC credential of a console session that ended.
const JobConsoleRevoke = "fleet.console.revoke"

type consoleArgs struct {
	Console ConsoleID `json:"console"`
}

// Console opens a time-limited BMC console for the customer when the BMC offers one: the driver
// creates a short-lived credential, shown once here, and a job revokes it at the expiry
// (fleet.console_ttl after now, on the platform's clock), or when the customer closes it first.
//
// One console at a time per server, and one request at a time on its BMC: the session is
// recorded (claimed) under the server lock before the BMC is asked, so a concurrent request
// gets 409 console_open without reaching the BMC (two requests filling the same fixed account
// slot of an iDRAC-style BMC would clear each other's account). The claim holds no credential
// until the BMC answers; a failed open ends it at once.
func (s *Service) Console(ctx context.Context, actor account.Actor, customer account.ID, id ServerID) (ConsoleAccess, error) {
	srv, err := s.OwnServer(ctx, customer, id)
	if err != nil {
		return ConsoleAccess{}, err
	}
	if err := consoleAllowed(srv, srv.MachineID); err != nil {
		return ConsoleAccess{}, err
	}
	if _, err := s.liveConsole(ctx, s.deps.Store, srv.ID, s.Now()); err == nil {
		return ConsoleAccess{}, ErrConsoleOpen
	} else if errs.KindOf(err) != errs.NotFound {
		return ConsoleAccess{}, err
	}
	m, err := s.deps.Store.GetMachine(ctx, srv.MachineID)
	if err != nil {
		return ConsoleAccess{}, err
	}
	drv, err := s.driver(ctx, m)
	if err != nil {
		return ConsoleAccess{}, err
	}
	co, ok := drv.(ConsoleOpener)
	if !ok {
		return ConsoleAccess{}, fmt.Errorf("console: %w", ErrUnsupported)
	}
	now := s.Now()
	// the kind is the BMC's, known once it answered; until then the claim says graphical
	sess := ConsoleSession{ServerID: srv.ID, CustomerID: srv.CustomerID, MachineID: m.ID, Kind: ConsoleGraphical,
		OpenedAt: now, ExpiresAt: now.Add(s.cfg.ConsoleTTL)}
	err = s.inTx(ctx, func(tx Tx) error {
		cur, err := tx.LockServer(ctx, srv.ID)
		if err != nil {
			return err
		}
		if err := consoleAllowed(cur, m.ID); err != nil {
			return err
		}
		if _, err := s.liveConsole(ctx, tx, srv.ID, now); err == nil {
			return ErrConsoleOpen // another request opened one, or is opening it
		} else if errs.KindOf(err) != errs.NotFound {
			return err
		}
		if err := tx.InsertConsole(ctx, &sess); err != nil {
			return err
		}
		// a claim left behind (a crash while the BMC answered) ends at the expiry too
		return s.enqueueRevoke(ctx, tx, sess.ID, "expiry", sess.ExpiresAt)
	})
	if err != nil {
		return ConsoleAccess{}, err
	}
	c, err := co.OpenConsole(ctx, s.cfg.ConsoleTTL)
	if err != nil {
		_ = s.endClaim(context.WithoutCancel(ctx), sess, "the BMC did not open it") //nolint:errcheck // the open failed already; that error is the one to return; the expiry ends the claim otherwise
		if errs.As(err) == nil {
			return ConsoleAccess{}, errs.E(errs.Unavailable, "the server's management controller did not open a console", err)
		}
		return ConsoleAccess{}, err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		cur, err := tx.LockServer(ctx, srv.ID)
		if err != nil {
			return err
		}
		// checked again under the lock: a suspension or a termination that committed while the
		// BMC opened the console wins (it closed the claim), and the credential is taken back below
		if err := consoleAllowed(cur, m.ID); err != nil {
			return err
		}
		got, err := tx.GetConsole(ctx, sess.ID)
		if err != nil {
			return err
		}
		if !got.Live(s.Now()) {
			return errConsoleClosedWhileOpening
		}
		sess = got
		sess.Kind, sess.ConnectTypes, sess.URL, sess.Username, sess.Ref = c.Kind, c.ConnectTypes, c.URL, c.Username, c.Ref
		if err := tx.UpdateConsole(ctx, sess); err != nil {
			return err
		}
		return audit(ctx, tx, now, actor, "server.console.open", "server", srv.ID, srv.CustomerID,
			map[string]any{"console": sess.ID, "kind": sess.Kind, "username": sess.Username, "expiresAt": sess.ExpiresAt})
	})
	if err != nil {
		if cc, ok := drv.(ConsoleCloser); ok { // nothing records the credential: take it back now
			_ = cc.CloseConsole(context.WithoutCancel(ctx), c.Ref) //nolint:errcheck // the open failed already; that error is the one to return
		}
		_ = s.endClaim(context.WithoutCancel(ctx), sess, "not recorded") //nolint:errcheck // as above
		return ConsoleAccess{}, err
	}
	return ConsoleAccess{ConsoleSession: sess, Password: c.Password}, nil
}

var errConsoleClosedWhileOpening = errs.Coded(errs.Conflict, "console_closed", "the console was closed while the server's management controller opened it")

// consoleAllowed reports whether a server may have a console on machine m: active or in rescue
// on it, not suspended.
func consoleAllowed(srv Server, m MachineID) error {
	if srv.State == ServerSuspended {
		return ErrSuspended
	}
	if srv.MachineID == 0 || srv.MachineID != m || (srv.State != ServerActive && srv.State != ServerRescue) {
		return ErrNotActive
	}
	return nil
}

// endClaim ends a console claim whose BMC gave no credential (or whose credential was taken
// back): closed and revoked at once, with nothing for a job to revoke. A claim something else
// ended already is left as it is.
func (s *Service) endClaim(ctx context.Context, claim ConsoleSession, why string) error {
	return s.inTx(ctx, func(tx Tx) error {
		if _, err := tx.LockServer(ctx, claim.ServerID); err != nil {
			return err
		}
		c, err := tx.GetConsole(ctx, claim.ID)
		if err != nil || !c.RevokedAt.IsZero() {
			return err
		}
		now := s.Now()
		if c.ClosedAt.IsZero() {
			c.ClosedAt, c.CloseReason = now, why
		}
		c.RevokedAt = now
		return tx.UpdateConsole(ctx, c)
	})
}

// liveConsole returns the server's console session that is live at now (NotFound when none).
func (s *Service) liveConsole(ctx context.Context, r Reader, id ServerID, now time.Time) (ConsoleSession, error) {
	cs, err := r.ConsolesOf(ctx, id, 5)
	if err != nil {
		return ConsoleSession{}, err
	}
	for _, c := range cs {
		if c.Live(now) {
			return c, nil
		}
	}
	return ConsoleSession{}, ErrNoConsole
}

// CurrentConsole returns the customer's live console session on a server, without its
// password (NotFound when none).
func (s *Service) CurrentConsole(ctx context.Context, customer account.ID, id ServerID) (ConsoleSession, error) {
	srv, err := s.OwnServer(ctx, customer, id)
	if err != nil {
		return ConsoleSession{}, err
	}
	c, err := s.liveConsole(ctx, s.deps.Store, srv.ID, s.Now())
	if err == nil && c.Ref == "" {
		return ConsoleSession{}, ErrNoConsole // claimed, the BMC has not answered yet
	}
	return c, err
}

// CloseConsole ends the live console of a server now; a job revokes its credential.
func (s *Service) CloseConsole(ctx context.Context, actor account.Actor, customer account.ID, id ServerID) error {
	srv, err := s.OwnServer(ctx, customer, id)
	if err != nil {
		return err
	}
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		if _, err := tx.LockServer(ctx, srv.ID); err != nil {
			return err
		}
		n, err := s.closeConsoles(ctx, tx, srv.ID, "closed by "+actor.Label, now)
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNoConsole
		}
		return audit(ctx, tx, now, actor, "server.console.close", "server", srv.ID, srv.CustomerID, nil)
	})
}

// closeConsoles ends every live console of a server (a close, a suspension, a termination) and
// enqueues the revocation of their credentials.
func (s *Service) closeConsoles(ctx context.Context, tx Tx, id ServerID, reason string, now time.Time) (int, error) {
	cs, err := tx.ConsolesOf(ctx, id, 5)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, c := range cs {
		if !c.Live(now) {
			continue
		}
		c.ClosedAt, c.CloseReason = now, reason
		if err := tx.UpdateConsole(ctx, c); err != nil {
			return n, err
		}
		if err := s.enqueueRevoke(ctx, tx, c.ID, "close", now); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func (s *Service) enqueueRevoke(ctx context.Context, tx Tx, id ConsoleID, why string, at time.Time) error {
	_, _, err := jobs.Enqueue(ctx, tx, s.Now(), JobConsoleRevoke, consoleArgs{Console: id},
		jobs.Opts{UniqueKey: revokeKey(id, why), RunAt: at, MaxAttempts: s.cfg.BMCAttempts})
	if err != nil {
		return fmt.Errorf("enqueue %s: %w", JobConsoleRevoke, err)
	}
	if s.deps.Wake != nil {
		tx.AfterCommit(s.deps.Wake)
	}
	return nil
}

// revokeKey is the unique key of a session's revoke job: why is "expiry" (enqueued at the
// open, run at the expiry) or "close" (a session closed early).
func revokeKey(id ConsoleID, why string) string { return fmt.Sprintf("console:%d:%s", id, why) }

// HandleConsoleRevoke is the job handler of JobConsoleRevoke: once a console session has ended
// (expiry or close), the BMC removes its credential and ends its sessions. A BMC that times out
// is retried; one that refuses leaves the error on the session and alerts the NOC, since a
// credential is left on the BMC.
func (s *Service) HandleConsoleRevoke(ctx context.Context, j jobs.Job) error {
	a, err := jobs.Decode[consoleArgs](j)
	if err != nil {
		return jobs.Permanent(err)
	}
	c, err := s.deps.Store.GetConsole(ctx, a.Console)
	if err != nil {
		return err
	}
	if !c.RevokeDue(s.Now()) {
		return nil // revoked already, or not ended yet (an early run: the expiry job comes later)
	}
	if !c.ClosedAt.IsZero() && j.UniqueKey == revokeKey(c.ID, "expiry") {
		return nil // closed early: its close job revokes it, one job at a time on the BMC
	}
	m, err := s.deps.Store.GetMachine(ctx, c.MachineID)
	if err != nil {
		return err
	}
	var bmcErr error
	if c.Ref != "" { // a claim the BMC gave no credential (yet) has nothing to revoke there
		var drv any
		if drv, bmcErr = s.driver(ctx, m); bmcErr == nil {
			if cc, ok := drv.(ConsoleCloser); ok {
				bmcErr = cc.CloseConsole(ctx, c.Ref)
			}
		}
	}
	if bmcErr != nil && fleetTemporary(bmcErr) && j.Attempt < j.MaxAttempts {
		return bmcErr
	}
	now := s.Now()
	return s.inTx(ctx, func(tx Tx) error {
		if _, err := tx.LockServer(ctx, c.ServerID); err != nil { // one revocation records it, however many jobs ran
			return err
		}
		c, err := tx.GetConsole(ctx, a.Console)
		if err != nil || !c.RevokedAt.IsZero() {
			return err
		}
		if c.ClosedAt.IsZero() {
			c.ClosedAt, c.CloseReason = c.ExpiresAt, "expired"
		}
		c.RevokedAt = now
		if bmcErr != nil {
			c.RevokeError = bmcErr.Error()
			if err := s.alertStaff(ctx, tx, fmt.Sprintf("console credential %s left on the BMC of machine %s", c.Username, m.Serial),
				"The BMC did not revoke the console credential of server "+fmt.Sprint(c.ServerID)+": "+bmcErr.Error()+
					"\nRemove the account "+c.Username+" by hand.", fmt.Sprintf("console:%d", c.ID)); err != nil {
				return err
			}
		}
		if err := tx.UpdateConsole(ctx, c); err != nil {
			return err
		}
		return audit(ctx, tx, now, account.System, "server.console.revoke", "server", c.ServerID, c.CustomerID,
			map[string]any{"console": c.ID, "reason": c.CloseReason, "error": c.RevokeError})
	})
}

// revokeDueConsoles enqueues the revocation of sessions that ended and still hold a credential:
// the safety net of the expiry and close jobs (restarts, lost jobs). It enqueues under their
// unique key (console:<id>:expiry, or :close for a session closed early), so a session whose
// job is still pending (a BMC timing out, retried with backoff) gets no second one, however many
// passes run; the key is free again once the finished job is pruned.
func (s *Service) revokeDueConsoles(ctx context.Context, now time.Time) (int, error) {
	due, err := s.deps.Store.ConsolesToRevoke(ctx, now, 500)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	err = s.inTx(ctx, func(tx Tx) error {
		for _, c := range due {
			why := "expiry"
			if !c.ClosedAt.IsZero() {
				why = "close"
			}
			if err := s.enqueueRevoke(ctx, tx, c.ID, why, now); err != nil {
				return err
			}
		}
		return nil
	})
	return len(due), err
}
