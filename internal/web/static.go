package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded static file, served at /static/<hash>/<name>.
type asset struct {
	name  string
	hash  string
	body  []byte
	ctype string
}

// assets are the static files by name.
type assets map[string]asset

func loadAssets() (assets, error) {
	out := assets{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		name := path.Base(p)
		ctype := mime.TypeByExtension(path.Ext(name))
		switch path.Ext(name) {
		case ".css":
			ctype = "text/css; charset=utf-8"
		case ".svg":
			ctype = "image/svg+xml"
		}
		if ctype == "" {
			ctype = "application/octet-stream"
		}
		out[name] = asset{name: name, hash: hex.EncodeToString(sum[:8]), body: b, ctype: ctype}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("static assets: %w", err)
	}
	return out, nil
}

// url is the content-hash URL of a static file ("" for an unknown one).
func (a assets) url(name string) string {
	f, ok := a[name]
	if !ok {
		return ""
	}
	return "/static/" + f.hash + "/" + f.name
}

// serveStatic serves GET /static/{hash}/{file}: only the current hash of a file exists, and it
// never changes, so browsers may keep it for a year.
func (u *ui) serveStatic(w http.ResponseWriter, r *http.Request) {
	f, ok := u.views.assets[r.PathValue("file")]
	if !ok || f.hash != r.PathValue("hash") {
		u.fail(w, r, errNotFound)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ctype)
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", `"`+f.hash+`"`)
	if r.Header.Get("If-None-Match") == `"`+f.hash+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(f.body)
}
