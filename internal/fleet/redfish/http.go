package redfish

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"unicode"

	"github.com/itsgow/itsgow/internal/fleet"
)

// request is one HTTP exchange with the BMC.
type request struct {
	method  string
	path    string // absolute path on the BMC, or an absolute URL on the same host
	body    any    // marshalled as JSON when non-nil
	ifMatch string
	noAuth  bool   // service root and login
	token   string // overrides the session token (logout)
}

// response is a 2xx answer, read in full.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r request) op() string { return r.method + " " + r.path }

// do sends req with authentication, logging in first in session mode and once more when the
// session expired (401).
func (d *Driver) do(ctx context.Context, req request) (*response, error) {
	if d.cfg.Auth != AuthSession || req.noAuth || req.token != "" {
		return d.send(ctx, req)
	}
	token, err := d.login(ctx, false)
	if err != nil {
		return nil, err
	}
	req.token = token
	resp, err := d.send(ctx, req)
	var be *fleet.BMCError
	if !errors.As(err, &be) || be.Status != http.StatusUnauthorized {
		return resp, err
	}
	if req.token, err = d.login(ctx, true); err != nil {
		return nil, err
	}
	return d.send(ctx, req)
}

// send performs one HTTP request and reads the answer. Non-2xx answers are *fleet.BMCError
// carrying the Redfish message.
func (d *Driver) send(ctx context.Context, req request) (*response, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	target, err := d.resolve(req.path)
	if err != nil {
		return nil, &fleet.BMCError{Op: req.op(), Msg: err.Error()}
	}
	var body io.Reader
	if req.body != nil {
		b, err := json.Marshal(req.body)
		if err != nil {
			return nil, fmt.Errorf("redfish %s: encode body: %w", req.op(), err)
		}
		body = bytes.NewReader(b)
	}
	hr, err := http.NewRequestWithContext(ctx, req.method, target, body)
	if err != nil {
		return nil, &fleet.BMCError{Op: req.op(), Msg: "bad request", Err: err}
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("OData-Version", "4.0")
	hr.Header.Set("User-Agent", "itsgow-redfish")
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json")
	}
	if req.ifMatch != "" {
		hr.Header.Set("If-Match", req.ifMatch)
	}
	switch {
	case req.token != "":
		hr.Header.Set("X-Auth-Token", req.token)
	case !req.noAuth && d.cfg.Auth == AuthBasic:
		hr.SetBasicAuth(d.bmc.Username, string(d.bmc.Password))
	}
	hresp, err := d.hc.Do(hr)
	if err != nil {
		e := &fleet.BMCError{Op: req.op(), Err: err}
		if fleet.Temporary(e) {
			e.Msg = "timed out"
		}
		return nil, e
	}
	defer hresp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(hresp.Body, d.cfg.MaxBodyBytes+1))
	if err != nil {
		e := &fleet.BMCError{Op: req.op(), Status: hresp.StatusCode, Msg: "answer cut short", Err: err}
		if fleet.Temporary(e) {
			e.Msg = "timed out reading the answer"
		}
		return nil, e
	}
	if int64(len(b)) > d.cfg.MaxBodyBytes {
		return nil, &fleet.BMCError{Op: req.op(), Status: hresp.StatusCode,
			Msg: fmt.Sprintf("answer larger than %d bytes", d.cfg.MaxBodyBytes)}
	}
	if hresp.StatusCode < 200 || hresp.StatusCode > 299 {
		return nil, answerError(req.op(), hresp, b)
	}
	return &response{status: hresp.StatusCode, header: hresp.Header, body: b}, nil
}

// resolve turns a BMC path (or a same-host absolute URL, as in Location headers) into a URL.
func (d *Driver) resolve(p string) (string, error) {
	u, err := url.Parse(p)
	if err != nil {
		return "", fmt.Errorf("bad resource path %q", p)
	}
	if u.IsAbs() || u.Host != "" {
		if u.Host != d.base.Host {
			return "", fmt.Errorf("resource %q is on another host", p)
		}
		return d.base.ResolveReference(&url.URL{Path: u.Path, RawQuery: u.RawQuery}).String(), nil
	}
	if !strings.HasPrefix(u.Path, "/") {
		return "", fmt.Errorf("resource path %q is not absolute", p)
	}
	return d.base.ResolveReference(u).String(), nil
}

// getJSON reads a resource into v and returns its ETag (header, else @odata.etag).
func (d *Driver) getJSON(ctx context.Context, path string, v any) (string, error) {
	req := request{method: http.MethodGet, path: path}
	resp, err := d.do(ctx, req)
	if err != nil {
		return "", err
	}
	if err := decode(req.op(), resp, v); err != nil {
		return "", err
	}
	if etag := resp.header.Get("ETag"); etag != "" {
		return etag, nil
	}
	var tagged struct {
		ETag string `json:"@odata.etag"`
	}
	_ = json.Unmarshal(resp.body, &tagged) // decoded once already: cannot fail
	return tagged.ETag, nil
}

// decode parses a JSON answer, telling HTML and garbage apart.
func decode(op string, resp *response, v any) error {
	body := bytes.TrimSpace(resp.body)
	if len(body) == 0 {
		return &fleet.BMCError{Op: op, Status: resp.status, Msg: "empty answer, want JSON"}
	}
	if body[0] == '<' {
		return &fleet.BMCError{Op: op, Status: resp.status,
			Msg: "answered HTML instead of JSON" + htmlTitle(body)}
	}
	if err := json.Unmarshal(body, v); err != nil {
		return &fleet.BMCError{Op: op, Status: resp.status, Msg: "invalid JSON answer", Err: err}
	}
	return nil
}

// redfishError is the body of a Redfish error answer.
type redfishError struct {
	Error struct {
		Code     string    `json:"code"`
		Message  string    `json:"message"`
		Extended []message `json:"@Message.ExtendedInfo"`
	} `json:"error"`
}

type message struct {
	MessageID string `json:"MessageId"`
	Message   string `json:"Message"`
}

// answerError maps a non-2xx answer to a *fleet.BMCError with the BMC's own words.
func answerError(op string, hresp *http.Response, body []byte) *fleet.BMCError {
	e := &fleet.BMCError{Op: op, Status: hresp.StatusCode}
	trimmed := bytes.TrimSpace(body)
	var rf redfishError
	if len(trimmed) > 0 && trimmed[0] == '{' && json.Unmarshal(trimmed, &rf) == nil {
		var msgs []string
		for _, m := range rf.Error.Extended {
			if m.Message != "" {
				msgs = append(msgs, m.Message)
			}
			if e.Code == "" {
				e.Code = clean(m.MessageID, 100)
			}
		}
		if len(msgs) == 0 && rf.Error.Message != "" {
			msgs = append(msgs, rf.Error.Message)
		}
		if e.Code == "" {
			e.Code = clean(rf.Error.Code, 100)
		}
		e.Msg = clean(strings.Join(msgs, "; "), 500)
	}
	if e.Msg == "" {
		e.Msg = http.StatusText(hresp.StatusCode)
		if len(trimmed) > 0 && trimmed[0] == '<' {
			e.Msg += ": non-JSON answer" + htmlTitle(trimmed)
		} else if len(trimmed) > 0 && e.Code == "" {
			ct, _, _ := mime.ParseMediaType(hresp.Header.Get("Content-Type"))
			e.Msg += ": non-Redfish answer (" + clean(ct, 60) + ")"
		}
	}
	if hresp.StatusCode == http.StatusUnauthorized {
		e.Msg = "authentication refused: " + e.Msg
	}
	return e
}

// htmlTitle returns ` ("<title>")` of an HTML page, or "".
func htmlTitle(b []byte) string {
	lower := bytes.ToLower(b)
	i := bytes.Index(lower, []byte("<title>"))
	if i < 0 {
		return ""
	}
	rest := b[i+len("<title>"):]
	j := bytes.Index(bytes.ToLower(rest), []byte("</title>"))
	if j < 0 {
		return ""
	}
	if t := clean(string(rest[:j]), 120); t != "" {
		return fmt.Sprintf(" (%q)", t)
	}
	return ""
}

// clean makes BMC-provided text safe for logs: printable, one line, at most n runes.
func clean(s string, n int) string {
	var b strings.Builder
	space := false
	count := 0
	for _, r := range s {
		if unicode.IsSpace(r) || !unicode.IsPrint(r) {
			space = b.Len() > 0
			continue
		}
		if count >= n {
			b.WriteString("…")
			break
		}
		if space {
			b.WriteByte(' ')
			count++
			space = false
		}
		b.WriteRune(r)
		count++
	}
	return b.String()
}
