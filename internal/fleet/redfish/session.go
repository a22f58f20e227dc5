package redfish

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/itsgow/itsgow/internal/fleet"
)

// login returns the session token, creating a session when there is none or when force is set
// (the previous one expired).
func (d *Driver) login(ctx context.Context, force bool) (string, error) {
	d.mu.Lock()
	token := d.token
	d.mu.Unlock()
	if token != "" && !force {
		return token, nil
	}
	d.loginMu.Lock()
	defer d.loginMu.Unlock()
	d.mu.Lock()
	if d.token != "" && d.token != token {
		token = d.token // another goroutine logged in meanwhile
		d.mu.Unlock()
		return token, nil
	}
	d.mu.Unlock()
	sessions, err := d.sessionsPath(ctx)
	if err != nil {
		return "", err
	}
	req := request{method: http.MethodPost, path: sessions, noAuth: true, body: map[string]string{
		"UserName": d.bmc.Username,
		"Password": string(d.bmc.Password),
	}}
	resp, err := d.send(ctx, req)
	if err != nil {
		return "", err
	}
	token = resp.header.Get("X-Auth-Token")
	if token == "" {
		return "", &fleet.BMCError{Op: req.op(), Status: resp.status, Msg: "login answered no X-Auth-Token"}
	}
	session := resp.header.Get("Location")
	if session == "" {
		var s odataID
		if json.Unmarshal(resp.body, &s) == nil {
			session = s.ID
		}
	}
	d.mu.Lock()
	d.token, d.session = token, session
	d.mu.Unlock()
	return token, nil
}

// sessionsPath returns the SessionService sessions collection named by the service root,
// reading the root when discovery has not yet. The service root is public in Redfish, so this
// needs no session.
func (d *Driver) sessionsPath(ctx context.Context) (string, error) {
	d.mu.Lock()
	sessions := d.sessions
	d.mu.Unlock()
	if sessions != "" {
		return sessions, nil
	}
	root, err := d.serviceRoot(ctx)
	if err != nil {
		return "", err
	}
	return root.sessionsPath(), nil
}
