package redfish

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/itsgow/itsgow/internal/errs"
)

// InsertMedia attaches imageURL (http, https, nfs or cifs) to the CD/DVD virtual media slot,
// write-protected, with the VirtualMedia.InsertMedia action, or by PATCHing Image when the slot
// has no actions (iLO 4, older iDRAC). The same image already inserted is left alone; another
// one is ejected first.
func (d *Driver) InsertMedia(ctx context.Context, imageURL string) error {
	if err := checkImageURL(imageURL); err != nil {
		return err
	}
	if err := d.insertMedia(ctx, imageURL); err != nil {
		return fmt.Errorf("redfish insert media %s: %w", d.base.Host, err)
	}
	return nil
}

func checkImageURL(imageURL string) error {
	u, err := url.Parse(imageURL)
	if err != nil || u.Host == "" {
		return errs.E(errs.Invalid, "the image URL must be absolute, with a host", err)
	}
	switch u.Scheme {
	case "http", "https", "nfs", "cifs", "smb":
		return nil
	}
	return errs.Errorf(errs.Invalid, "the image URL scheme %q is not one a BMC can mount", u.Scheme)
}

func (d *Driver) insertMedia(ctx context.Context, imageURL string) error {
	path, vm, etag, err := d.getMedia(ctx)
	if err != nil {
		return err
	}
	if vm.inserted() {
		if vm.image() == imageURL {
			return nil
		}
		if err := d.eject(ctx, path, vm, etag); err != nil {
			return err
		}
		if vm.Actions.Insert.Target == "" {
			if etag, err = d.getJSON(ctx, path, &vm); err != nil {
				return err
			}
		}
	}
	body := map[string]any{"Image": imageURL, "Inserted": true, "WriteProtected": true}
	if vm.Actions.Insert.Target != "" {
		_, err = d.do(ctx, request{method: http.MethodPost, path: vm.Actions.Insert.Target, body: body})
		return err
	}
	_, err = d.do(ctx, request{method: http.MethodPatch, path: path, body: body, ifMatch: etag})
	return err
}

// EjectMedia detaches the image from the CD/DVD slot; with nothing inserted it does nothing.
func (d *Driver) EjectMedia(ctx context.Context) error {
	path, vm, etag, err := d.getMedia(ctx)
	if err == nil && vm.inserted() {
		err = d.eject(ctx, path, vm, etag)
	}
	if err != nil {
		return fmt.Errorf("redfish eject media %s: %w", d.base.Host, err)
	}
	return nil
}

func (d *Driver) eject(ctx context.Context, path string, vm virtualMedia, etag string) error {
	if vm.Actions.Eject.Target != "" {
		_, err := d.do(ctx, request{method: http.MethodPost, path: vm.Actions.Eject.Target, body: struct{}{}})
		return err
	}
	body := map[string]any{"Image": nil, "Inserted": false}
	_, err := d.do(ctx, request{method: http.MethodPatch, path: path, body: body, ifMatch: etag})
	return err
}

// getMedia finds the CD/DVD slot and reads it.
func (d *Driver) getMedia(ctx context.Context) (string, virtualMedia, string, error) {
	var vm virtualMedia
	d.mu.Lock()
	path := d.media
	d.mu.Unlock()
	if path == "" {
		sys, _, _, err := d.getSystem(ctx)
		if err != nil {
			return "", vm, "", err
		}
		if path, err = d.mediaPath(ctx, sys); err != nil {
			return "", vm, "", err
		}
	}
	etag, err := d.getJSON(ctx, path, &vm)
	return path, vm, etag, err
}
