package fleet

import (
	"context"
	"fmt"
	"time"

	"github.com/itsgow/itsgow/internal/errs"
)

// ErrNoAddress is an exhausted pool.
var ErrNoAddress = errs.Coded(errs.Unavailable, "no_address", "no free address in the pools")

// allocate gives srv one address (IPv4 pools) or one /64 (IPv6 pools) of kind from the pools
// of its datacenter: the lowest never-used index, else the address whose quarantine ended
// first. Concurrent allocations claim different indexes (ClaimSlot) instead of waiting for each
// other; the UNIQUE constraint on the address is the guarantee that none is ever given twice.
func (s *Service) allocate(ctx context.Context, tx Tx, srv Server, v4 bool, kind IPKind, now time.Time) (IP, error) {
	pools, err := tx.Pools(ctx)
	if err != nil {
		return IP{}, err
	}
	for _, p := range pools {
		if p.IPv4() != v4 || (p.Datacenter != "" && p.Datacenter != srv.Datacenter) {
			continue
		}
		first, last := p.Range()
		ip := IP{PoolID: p.ID, ServerID: srv.ID, CustomerID: srv.CustomerID, Kind: kind, State: IPAssigned, AssignedAt: now}
		n, ok, err := tx.ClaimSlot(ctx, p.ID, first, last)
		if err != nil {
			return IP{}, err
		}
		if ok {
			ip.N = n
			if ip.Prefix, err = p.At(n); err != nil {
				return IP{}, err
			}
			if v4 {
				ip.Reverse = srv.Name
			}
			if err := tx.InsertIP(ctx, &ip); err != nil {
				return IP{}, fmt.Errorf("assign %s: %w", ip.Prefix, err)
			}
			return ip, nil
		}
		old, err := tx.ReusableIP(ctx, p.ID, now)
		if errs.KindOf(err) == errs.NotFound {
			continue
		}
		if err != nil {
			return IP{}, err
		}
		ip.ID, ip.N, ip.Prefix = old.ID, old.N, old.Prefix
		if v4 {
			ip.Reverse = srv.Name
		}
		if err := tx.ReassignIP(ctx, ip, now); err != nil {
			return IP{}, fmt.Errorf("reassign %s: %w", ip.Prefix, err)
		}
		return ip, nil
	}
	return IP{}, ErrNoAddress
}
