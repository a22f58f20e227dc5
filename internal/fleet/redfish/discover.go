package redfish

import (
	"context"
	"fmt"
	"net/http"
	"path"
	"slices"
	"strings"

	"github.com/itsgow/itsgow/internal/fleet"
)

// serviceRoot reads /redfish/v1 and remembers the sessions collection it names.
func (d *Driver) serviceRoot(ctx context.Context) (serviceRoot, error) {
	var root serviceRoot
	req := request{method: http.MethodGet, path: "/redfish/v1", noAuth: d.cfg.Auth == AuthSession}
	resp, err := d.do(ctx, req)
	if err == nil {
		err = decode(req.op(), resp, &root)
	}
	if err != nil {
		return root, err
	}
	d.mu.Lock()
	d.sessions = root.sessionsPath()
	d.mu.Unlock()
	return root, nil
}

// systemPath returns the ComputerSystem the driver works on, discovering it once: the service
// root, its Systems collection, then the configured member or the first one.
func (d *Driver) systemPath(ctx context.Context) (string, error) {
	d.mu.Lock()
	sys := d.system
	d.mu.Unlock()
	if sys != "" {
		return sys, nil
	}
	d.discoverMu.Lock()
	defer d.discoverMu.Unlock()
	d.mu.Lock()
	sys = d.system
	d.mu.Unlock()
	if sys != "" {
		return sys, nil
	}
	root, err := d.serviceRoot(ctx)
	if err != nil {
		return "", err
	}
	if root.Systems.ID == "" {
		return "", &fleet.BMCError{Op: "GET /redfish/v1", Msg: "service root lists no Systems collection"}
	}
	sys, err = d.pickMember(ctx, root.Systems.ID, d.cfg.SystemID, "ComputerSystem")
	if err != nil {
		return "", err
	}
	d.mu.Lock()
	d.system = sys
	d.mu.Unlock()
	return sys, nil
}

// pickMember reads a collection and returns the member whose path or last segment is want,
// or the first member when want is empty.
func (d *Driver) pickMember(ctx context.Context, coll, want, kind string) (string, error) {
	var c collection
	if _, err := d.getJSON(ctx, coll, &c); err != nil {
		return "", err
	}
	var ids []string
	for _, m := range c.Members {
		if m.ID == "" {
			continue
		}
		ids = append(ids, m.ID)
		if want == "" || matchID(m.ID, want) {
			return m.ID, nil
		}
	}
	if want == "" {
		return "", &fleet.BMCError{Op: "GET " + coll, Msg: "no " + kind + " in the collection"}
	}
	return "", &fleet.BMCError{Op: "GET " + coll, Status: http.StatusNotFound,
		Msg: fmt.Sprintf("%s %q not found among %s", kind, want, clean(strings.Join(ids, ", "), 300))}
}

func matchID(odataPath, want string) bool {
	p := strings.TrimSuffix(odataPath, "/")
	return p == strings.TrimSuffix(want, "/") || path.Base(p) == want
}

// mediaPath returns the CD/DVD virtual media slot, discovering it once: the configured
// Manager, else the system's ManagedBy link, else the first Manager; its VirtualMedia
// collection, else the system's own (Redfish 2021.1 and later); then the first slot taking CD
// or DVD media.
func (d *Driver) mediaPath(ctx context.Context, sys system) (string, error) {
	d.mu.Lock()
	media := d.media
	d.mu.Unlock()
	if media != "" {
		return media, nil
	}
	d.discoverMu.Lock()
	defer d.discoverMu.Unlock()
	d.mu.Lock()
	media = d.media
	d.mu.Unlock()
	if media != "" {
		return media, nil
	}
	var colls []string
	mgr, err := d.managerPath(ctx, sys)
	if err != nil {
		return "", err
	}
	if mgr != "" {
		var m manager
		if _, err := d.getJSON(ctx, mgr, &m); err != nil {
			return "", err
		}
		if m.VirtualMedia.ID != "" {
			colls = append(colls, m.VirtualMedia.ID)
		}
	}
	if sys.VirtualMedia.ID != "" {
		colls = append(colls, sys.VirtualMedia.ID)
	}
	for _, coll := range colls {
		var c collection
		if _, err := d.getJSON(ctx, coll, &c); err != nil {
			return "", err
		}
		first := ""
		for _, member := range c.Members {
			var vm virtualMedia
			if _, err := d.getJSON(ctx, member.ID, &vm); err != nil {
				return "", err
			}
			if slices.ContainsFunc(vm.MediaTypes, isOptical) {
				media = member.ID
				break
			}
			if first == "" && len(vm.MediaTypes) == 0 {
				first = member.ID
			}
		}
		if media == "" {
			media = first
		}
		if media != "" {
			break
		}
	}
	if media == "" {
		return "", fmt.Errorf("no CD/DVD virtual media slot: %w", fleet.ErrUnsupported)
	}
	d.mu.Lock()
	d.media = media
	d.mu.Unlock()
	return media, nil
}

func isOptical(t string) bool { return t == "CD" || t == "DVD" }

// managerPath picks the Manager: the configured one, the system's ManagedBy link, or the first
// of the Managers collection; "" when the BMC lists none.
func (d *Driver) managerPath(ctx context.Context, sys system) (string, error) {
	if d.cfg.ManagerID == "" && len(sys.Links.ManagedBy) > 0 && sys.Links.ManagedBy[0].ID != "" {
		return sys.Links.ManagedBy[0].ID, nil
	}
	root, err := d.serviceRoot(ctx)
	if err != nil {
		return "", err
	}
	if root.Managers.ID == "" {
		return "", nil
	}
	return d.pickMember(ctx, root.Managers.ID, d.cfg.ManagerID, "Manager")
}

// getSystem reads the ComputerSystem; it returns its path and ETag too.
func (d *Driver) getSystem(ctx context.Context) (sys system, path, etag string, err error) {
	path, err = d.systemPath(ctx)
	if err != nil {
		return sys, "", "", err
	}
	etag, err = d.getJSON(ctx, path, &sys)
	return sys, path, etag, err
}
