package mitigation

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/itsgow/itsgow/internal/account"
	"github.com/itsgow/itsgow/internal/errs"
	"github.com/itsgow/itsgow/internal/logkey"
	"github.com/itsgow/itsgow/internal/netguard"
	"github.com/itsgow/itsgow/internal/netguard/edge"
)

// StaffRule is a filter the NOC writes toward one customer address or a whole prefix (carpet
// bombing, which detection reports per prefix and never mitigates by itself): the traffic of
// its vectors is dropped at the edge (ip-flood and tcp-flood rate-limited). A rule wider than
// one address reaches the edge only once a second staff member approved it (the guard rail of
// edge.Compile); none ever touches an infrastructure prefix.
type StaffRule struct {
	ID          int64
	Prefix      netip.Prefix
	Vectors     []netguard.Vector
	Reason      string
	RequestedBy account.ID
	RequestedAt time.Time
	// ApprovedBy is the staff member who approved a wide rule (0: not approved).
	ApprovedBy account.ID
	ApprovedAt time.Time
}

// Wide reports a rule wider than one address, which needs approval.
func (r StaffRule) Wide() bool { return !netguard.IsHost(r.Prefix) }

// Applied reports a rule the edge receives: one address, or approved.
func (r StaffRule) Applied() bool { return !r.Wide() || r.ApprovedBy != 0 }

// Edge returns the rules r compiles to, one per vector, rate-limited at rate bytes per second
// where the vector asks for it.
func (r StaffRule) Edge(rate uint64) []edge.StaffRule {
	out := make([]edge.StaffRule, 0, len(r.Vectors))
	for _, v := range r.Vectors {
		er, ok := edge.VectorRule(r.Prefix, v, rate)
		if !ok {
			continue
		}
		er.Origin.Reason = string(v)
		out = append(out, edge.StaffRule{ID: "r" + strconv.FormatInt(r.ID, 10), Rule: er, Approved: r.ApprovedBy != 0})
	}
	return out
}

// Widest prefixes a staff rule may name.
const (
	MaxStaffPrefixV4 = 16
	MaxStaffPrefixV6 = 48
)

var errSameStaff = errs.Coded(errs.Forbidden, "approval_by_requester",
	"a rule wider than one address needs the approval of a second staff member")

// StaffRules lists the staff rules.
func (s *Service) StaffRules(ctx context.Context) ([]StaffRule, error) {
	return s.deps.Store.StaffRules(ctx)
}

// AddStaffRule stores a staff rule toward prefix dropping vectors. One address reaches the edge
// at once; a wider prefix (at most a /16 or a /48) waits for a second staff member's approval.
func (s *Service) AddStaffRule(ctx context.Context, actor account.Actor, prefix netip.Prefix, vectors []netguard.Vector, reason string) (StaffRule, error) {
	var fields []errs.FieldError
	prefix = prefix.Masked()
	if prefix.Addr().Is4In6() { // ::ffff:198.18.1.0/120 is 198.18.1.0/24: checked and applied as IPv4
		prefix = netip.PrefixFrom(prefix.Addr().Unmap(), prefix.Bits()-96)
	}
	switch {
	case !prefix.IsValid():
		fields = append(fields, errs.FieldError{Field: "prefix", Message: "must be an address or a prefix (198.18.1.0/24)"})
	case prefix.Addr().Is4() && prefix.Bits() < MaxStaffPrefixV4, prefix.Addr().Is6() && prefix.Bits() < MaxStaffPrefixV6:
		fields = append(fields, errs.FieldError{Field: "prefix", Message: fmt.Sprintf("at most a /%d (IPv4) or a /%d (IPv6)", MaxStaffPrefixV4, MaxStaffPrefixV6)})
	default:
		for _, p := range s.infra {
			if p.Overlaps(prefix) {
				fields = append(fields, errs.FieldError{Field: "prefix", Message: "touches the infrastructure prefix " + p.String()})
				break
			}
		}
	}
	if len(vectors) == 0 {
		fields = append(fields, errs.FieldError{Field: "vectors", Message: "name at least one vector"})
	}
	for i, v := range vectors { // the index of the request, before sorting
		if _, ok := v.Match(); !ok {
			fields = append(fields, errs.FieldError{Field: fmt.Sprintf("vectors[%d]", i), Message: fmt.Sprintf("unknown vector %q", v)})
		}
	}
	vs := slices.Clone(vectors)
	slices.Sort(vs)
	vs = slices.Compact(vs)
	reason = strings.TrimSpace(reason)
	if reason == "" {
		fields = append(fields, errs.FieldError{Field: "reason", Message: "say why (a ticket, the attack)"})
	}
	if len(fields) > 0 {
		return StaffRule{}, errs.Fields(fields...)
	}
	now := s.Now().UTC().Truncate(time.Microsecond) // as stored
	r := StaffRule{Prefix: prefix, Vectors: vs, Reason: reason, RequestedBy: actor.ID, RequestedAt: now}
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		if err := tx.InsertStaffRule(ctx, &r); err != nil {
			return err
		}
		tx.AfterCommit(s.wake)
		return account.Audit(ctx, tx, now, actor, "edge.staff_rule.add", "edge_rule", strconv.FormatInt(r.ID, 10), 0,
			map[string]any{"prefix": prefix.String(), "vectors": vs, "reason": reason, "needsApproval": r.Wide()})
	})
	if err != nil {
		return StaffRule{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "staff edge rule added", slog.String(logkey.Prefix, prefix.String()),
		slog.String("vectors", netguard.JoinVectors(vs)), slog.Bool("needs_approval", r.Wide()), slog.Int64(logkey.StaffID, int64(actor.ID)))
	return r, nil
}

// ApproveStaffRule approves a wide staff rule: the approver must not be the staff member who
// wrote it (403 approval_by_requester). Approving twice, or a rule of one address, changes
// nothing.
func (s *Service) ApproveStaffRule(ctx context.Context, actor account.Actor, id int64) (StaffRule, error) {
	var r StaffRule
	err := s.deps.Store.InTx(ctx, func(tx Tx) error {
		var err error
		if r, err = s.lockStaffRule(ctx, tx, id); err != nil || r.Applied() {
			return err
		}
		if actor.ID == r.RequestedBy {
			return errSameStaff
		}
		now := s.Now().UTC().Truncate(time.Microsecond) // as stored
		if err := tx.ApproveStaffRule(ctx, id, actor.ID, now); err != nil {
			return err
		}
		r.ApprovedBy, r.ApprovedAt = actor.ID, now
		tx.AfterCommit(s.wake)
		return account.Audit(ctx, tx, now, actor, "edge.staff_rule.approve", "edge_rule", strconv.FormatInt(id, 10), 0,
			map[string]any{"prefix": r.Prefix.String(), "requestedBy": r.RequestedBy})
	})
	if err != nil {
		return StaffRule{}, err
	}
	s.log.LogAttrs(ctx, slog.LevelInfo, "staff edge rule approved", slog.String(logkey.Prefix, r.Prefix.String()),
		slog.Int64(logkey.StaffID, int64(actor.ID)))
	return r, nil
}

// DeleteStaffRule removes a staff rule; the edge withdraws it.
func (s *Service) DeleteStaffRule(ctx context.Context, actor account.Actor, id int64) error {
	return s.deps.Store.InTx(ctx, func(tx Tx) error {
		r, err := s.lockStaffRule(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := tx.DeleteStaffRule(ctx, id); err != nil {
			return err
		}
		tx.AfterCommit(s.wake)
		return account.Audit(ctx, tx, s.Now(), actor, "edge.staff_rule.delete", "edge_rule", strconv.FormatInt(id, 10), 0,
			map[string]any{"prefix": r.Prefix.String()})
	})
}

func (s *Service) lockStaffRule(ctx context.Context, tx Tx, id int64) (StaffRule, error) {
	r, err := tx.LockStaffRule(ctx, id)
	if errs.KindOf(err) == errs.NotFound {
		return r, errs.Coded(errs.NotFound, "not_found", "staff rule not found")
	}
	return r, err
}
